// Locating the external references the oracle suites compare against (nasm, ndisasm, a C compiler).
// SPEC 8: when one is missing a suite prints `SKIPPED: ... (apt-get install X)` and passes, except under
// CI=true, where a missing oracle is a failure.
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';

export function findExecutable(name: string): string | undefined {
  for (const directory of (process.env.PATH ?? '').split(path.delimiter)) {
    if (!directory) continue;
    const candidate = path.join(directory, name);
    try {
      fs.accessSync(candidate, fs.constants.X_OK);
      return candidate;
    } catch {
      // not in this directory
    }
  }
  return undefined;
}

/**
 * Returns the tool's path, or undefined after printing the SKIPPED line (outside CI). Under CI=true a
 * missing tool throws, failing the suite that needed it.
 */
export function requireOracle(name: string, installHint: string, purpose: string): string | undefined {
  const found = findExecutable(name);
  if (found) return found;
  reportMissingOracle(`${purpose}: '${name}' not found (${installHint})`);
  return undefined;
}

/** Prints `SKIPPED: <what>` for a check no oracle here can make; under CI=true throws instead. */
export function reportMissingOracle(what: string): void {
  const message = `SKIPPED: ${what}`;
  if (process.env.CI === 'true') throw new Error(`${message} — oracles are mandatory when CI=true`);
  console.log(message);
}

/** The repository root, found from this file whether it runs from out/ or from another outDir. */
export function repositoryRoot(): string {
  const fromCwd = findPackageRoot(process.cwd());
  if (fromCwd) return fromCwd;
  const fromHere = findPackageRoot(__dirname);
  if (fromHere) return fromHere;
  throw new Error('cannot find the repository root (package.json named nt-syscall-debugger)');
}

function findPackageRoot(start: string): string | undefined {
  let directory = path.resolve(start);
  for (;;) {
    const manifest = path.join(directory, 'package.json');
    if (fs.existsSync(manifest)) {
      try {
        if (JSON.parse(fs.readFileSync(manifest, 'utf8')).name === 'nt-syscall-debugger') return directory;
      } catch {
        // unreadable manifest: keep walking up
      }
    }
    const parent = path.dirname(directory);
    if (parent === directory) return undefined;
    directory = parent;
  }
}

/** Assembles `source` with `nasm -f bin` in a scratch directory; returns the bytes or throws with nasm's messages. */
export function nasmAssemble(nasm: string, source: string, extraArgs: readonly string[] = []): Buffer {
  const directory = fs.mkdtempSync(path.join(require('os').tmpdir(), 'ntsyscall-nasm-'));
  try {
    const input = path.join(directory, 'input.asm');
    const output = path.join(directory, 'output.bin');
    fs.writeFileSync(input, source);
    execFileSync(nasm, ['-f', 'bin', ...extraArgs, '-o', output, input], { stdio: ['ignore', 'pipe', 'pipe'] });
    return fs.readFileSync(output);
  } finally {
    fs.rmSync(directory, { recursive: true, force: true });
  }
}
