// `ntsyscall asm FILE.asm [-o OUT.bin] [--listing]`: assembles one module the way `nasm -f bin` would,
// writes the binary, and prints every diagnostic as file:line:col: message.
import * as fs from 'fs';
import * as path from 'path';
import { assemble } from '../../core/asm/assembler';
import { formatDiagnostic } from '../../core/asm/diagnostics';
import type { CommandOutput } from '../cli';

const USAGE = 'usage: ntsyscall asm FILE.asm [-o OUT.bin] [--listing] [-I DIR]...\n';

interface AsmArguments {
  input: string;
  output?: string;
  listing: boolean;
  includePaths: string[];
}

function parseArguments(args: readonly string[]): AsmArguments | string {
  let input: string | undefined;
  let output: string | undefined;
  let listing = false;
  const includePaths: string[] = [];
  for (let index = 0; index < args.length; index++) {
    const argument = args[index];
    if (argument === '-o' || argument === '-I') {
      const value = args[++index];
      if (value === undefined || value === '') return `ntsyscall asm: ${argument} needs a value`;
      if (argument === '-o') output = value;
      else includePaths.push(value);
    } else if (argument === '--listing' || argument === '-l') {
      listing = true;
    } else if (argument.startsWith('-') && argument !== '-') {
      return `ntsyscall asm: unknown option '${argument}'`;
    } else if (input === undefined) {
      input = argument;
    } else {
      return `ntsyscall asm: only one input file may be given ('${input}' and '${argument}')`;
    }
  }
  if (input === undefined) return 'ntsyscall asm: no input file';
  return { input, output, listing, includePaths };
}

export async function runAsmCommand(args: readonly string[], output: CommandOutput): Promise<number> {
  if (args.includes('-h') || args.includes('--help')) {
    output.stdout(USAGE);
    return 0;
  }
  const parsed = parseArguments(args);
  if (typeof parsed === 'string') {
    output.stderr(`${parsed}\n${USAGE}`);
    return 2;
  }
  const result = assemble({ fileName: parsed.input, includePaths: parsed.includePaths });
  for (const diagnostic of result.diagnostics) output.stderr(`${formatDiagnostic(diagnostic)}\n`);
  if (!result.ok) return 2;
  if (parsed.listing) output.stdout(result.listing);
  const outputPath = parsed.output ?? path.join(path.dirname(parsed.input), `${path.basename(parsed.input, path.extname(parsed.input))}.bin`);
  try {
    fs.writeFileSync(outputPath, result.image);
  } catch (error) {
    output.stderr(`ntsyscall asm: cannot write '${outputPath}': ${error instanceof Error ? error.message : String(error)}\n`);
    return 2;
  }
  return 0;
}
