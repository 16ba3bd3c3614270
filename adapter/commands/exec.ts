// `ntsyscall exec FILE.asm [--set eax=1,ebx=2] [--json] [--max-instructions N]`: assemble one file, run it
// in the flat ring-0 machine from its org until hlt, print the registers and EFLAGS.
import * as fs from 'fs';
import { assemble } from '../../core/asm/assembler';
import { formatDiagnostic } from '../../core/asm/diagnostics';
import { FLAT_DEFAULT_MAX_INSTRUCTIONS, FlatMachine, FlatRunResult, RegisterState } from '../../core/machine/flat-machine';
import type { CommandOutput } from '../cli';

const USAGE = 'usage: ntsyscall exec FILE.asm [--set eax=1,ebx=2,...] [--json] [--max-instructions N]\n';
const SETTABLE = ['eax', 'ecx', 'edx', 'ebx', 'esp', 'ebp', 'esi', 'edi', 'eip', 'eflags'] as const;
type Settable = (typeof SETTABLE)[number];

interface ExecOptions {
  file: string;
  initial: Partial<RegisterState>;
  json: boolean;
  maxInstructions: number;
}

/** Parses a guest number: decimal, 0x hex, or NASM-style trailing h. */
function parseGuestNumber(text: string): number | undefined {
  const trimmed = text.trim();
  let value: number;
  if (/^0x[0-9a-f]+$/i.test(trimmed)) value = parseInt(trimmed.slice(2), 16);
  else if (/^[0-9][0-9a-f]*h$/i.test(trimmed)) value = parseInt(trimmed.slice(0, -1), 16);
  else if (/^-?[0-9]+$/.test(trimmed)) value = parseInt(trimmed, 10);
  else return undefined;
  if (!Number.isFinite(value) || value > 0xFFFFFFFF || value < -0x80000000) return undefined;
  return value >>> 0;
}

function parseArguments(args: readonly string[]): ExecOptions | string {
  let file: string | undefined;
  const initial: Partial<RegisterState> = {};
  let json = false;
  let maxInstructions = FLAT_DEFAULT_MAX_INSTRUCTIONS;
  for (let i = 0; i < args.length; i++) {
    const argument = args[i];
    if (argument === '--json') { json = true; continue; }
    if (argument === '--set' || argument.startsWith('--set=')) {
      const list = argument === '--set' ? args[++i] : argument.slice('--set='.length);
      if (list === undefined) return `--set needs a list such as eax=1,ebx=0x20`;
      for (const assignment of list.split(',').filter((part) => part.length > 0)) {
        const [name, value] = assignment.split('=');
        const register = name?.trim().toLowerCase();
        if (!register || !(SETTABLE as readonly string[]).includes(register)) return `--set: '${name}' is not a register (use ${SETTABLE.join(', ')})`;
        const parsed = value === undefined ? undefined : parseGuestNumber(value);
        if (parsed === undefined) return `--set: '${assignment}' needs a 32-bit number (decimal or 0x hex)`;
        initial[register as Settable] = parsed;
      }
      continue;
    }
    if (argument === '--max-instructions' || argument.startsWith('--max-instructions=')) {
      const text = argument === '--max-instructions' ? args[++i] : argument.slice('--max-instructions='.length);
      const parsed = text === undefined ? NaN : Number(text);
      if (!Number.isInteger(parsed) || parsed <= 0) return `--max-instructions needs a positive whole number`;
      maxInstructions = parsed;
      continue;
    }
    if (argument.startsWith('-')) return `unknown option '${argument}'`;
    if (file !== undefined) return `only one FILE.asm may be given ('${file}' and '${argument}')`;
    file = argument;
  }
  if (file === undefined) return 'no FILE.asm given';
  return { file, initial, json, maxInstructions };
}

const FLAG_NAMES: readonly [number, string][] = [
  [0x0001, 'CF'], [0x0004, 'PF'], [0x0010, 'AF'], [0x0040, 'ZF'], [0x0080, 'SF'], [0x0100, 'TF'], [0x0200, 'IF'],
  [0x0400, 'DF'], [0x0800, 'OF'], [0x4000, 'NT'], [0x10000, 'RF'], [0x20000, 'VM'], [0x40000, 'AC'], [0x200000, 'ID'],
];

/** `ZF PF IF IOPL=0` for an EFLAGS value. */
export function describeEflags(eflags: number): string {
  const names = FLAG_NAMES.filter(([bit]) => (eflags & bit) !== 0).map(([, name]) => name);
  names.push(`IOPL=${(eflags >>> 12) & 3}`);
  return names.join(' ');
}

function hex8(value: number): string {
  return (value >>> 0).toString(16).toUpperCase().padStart(8, '0');
}

function formatText(result: FlatRunResult): string {
  const r = result.registers;
  return [
    `eax=${hex8(r.eax)} ebx=${hex8(r.ebx)} ecx=${hex8(r.ecx)} edx=${hex8(r.edx)}`,
    `esi=${hex8(r.esi)} edi=${hex8(r.edi)} ebp=${hex8(r.ebp)} esp=${hex8(r.esp)}`,
    `eip=${hex8(r.eip)} eflags=${hex8(r.eflags)} [${describeEflags(r.eflags)}]`,
    `stopped: ${result.stop.message} after ${result.instructions} instruction${result.instructions === 1 ? '' : 's'}`,
    '',
  ].join('\n');
}

export async function runExecCommand(args: readonly string[], output: CommandOutput): Promise<number> {
  const options = parseArguments(args);
  if (typeof options === 'string') {
    output.stderr(`ntsyscall exec: ${options}\n${USAGE}`);
    return 2;
  }
  let source: string;
  try {
    source = fs.readFileSync(options.file, 'utf8');
  } catch (error) {
    output.stderr(`ntsyscall exec: cannot read '${options.file}': ${error instanceof Error ? error.message : String(error)}\n`);
    return 2;
  }
  const assembled = assemble({ fileName: options.file, source });
  for (const diagnostic of assembled.diagnostics) output.stderr(`${formatDiagnostic(diagnostic)}\n`);
  if (!assembled.ok) return 2;
  const machine = new FlatMachine();
  if (assembled.origin + assembled.image.length > machine.memory.size) {
    output.stderr(`ntsyscall exec: the image (${assembled.image.length} bytes at 0x${assembled.origin.toString(16)}) does not fit in ${machine.memory.size / 1048576} MiB of RAM\n`);
    return 2;
  }
  machine.load(assembled.origin, assembled.image);
  const initial: Partial<RegisterState> = { eip: assembled.origin, ...options.initial };
  const result = machine.run(initial, { maxInstructions: options.maxInstructions });
  if (options.json) {
    const r = result.registers;
    output.stdout(JSON.stringify({
      eax: r.eax, ecx: r.ecx, edx: r.edx, ebx: r.ebx, esp: r.esp, ebp: r.ebp, esi: r.esi, edi: r.edi,
      eip: r.eip, eflags: r.eflags, instructions: result.instructions, stop: result.stop,
    }) + '\n');
  } else {
    output.stdout(formatText(result));
  }
  if (result.stop.reason === 'hlt') return 0;
  if (!options.json) output.stderr(`ntsyscall exec: ${result.stop.message}\n`);
  return 3;
}
