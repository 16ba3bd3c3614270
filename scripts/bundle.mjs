// Bundles the extension and the debug adapter into dist/ with esbuild (the .vsix ships no node_modules).
// Usage: node scripts/bundle.mjs [--production] [--outdir DIR]   (--production: minified, no source maps;
// --outdir: somewhere else than dist/, as the launch bench does to time what the .vsix ships)
import { existsSync, rmSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as esbuild from 'esbuild';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const production = process.argv.includes('--production');
const outdirIndex = process.argv.indexOf('--outdir');
const outdir = outdirIndex >= 0 ? process.argv[outdirIndex + 1] : 'dist';

/** Entry points: the adapter's are optional while the adapter is being written. */
const bundles = [
  { entry: 'extension/extension.ts', outfile: join(outdir, 'extension.js'), external: ['vscode'], required: true },
  { entry: 'adapter/dap-main.ts', outfile: join(outdir, 'adapter.js'), external: [], required: false },
  // The session class alone, for `ntsyscall.adapter.runInline` (loaded by path, not bundled into the extension).
  { entry: 'adapter/session.ts', outfile: join(outdir, 'adapter-session.js'), external: ['vscode'], required: false },
];

let failed = false;
for (const bundle of bundles) {
  const entry = join(root, bundle.entry);
  if (!existsSync(entry)) {
    const message = `bundle: ${bundle.entry} does not exist yet; ${bundle.outfile} not built`;
    if (bundle.required) { console.error(message); failed = true; } else console.log(message);
    continue;
  }
  // A map left by a development build would otherwise ship in the .vsix (.vscodeignore cannot re-exclude it).
  if (production) rmSync(resolve(root, `${bundle.outfile}.map`), { force: true });
  const result = await esbuild.build({
    entryPoints: [entry],
    outfile: resolve(root, bundle.outfile),
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'cjs',
    external: bundle.external,
    sourcemap: production ? false : 'linked',
    minify: production,
    logLevel: 'warning',
    metafile: true,
  });
  const bytes = Object.values(result.metafile.outputs).reduce((sum, output) => sum + output.bytes, 0);
  console.log(`bundle: ${bundle.entry} -> ${relative(root, resolve(root, bundle.outfile))} (${Math.round(bytes / 1024)} KiB)`);
}
process.exit(failed ? 1 : 0);
