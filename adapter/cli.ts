// The `ntsyscall` command line: one subcommand per file under adapter/commands/.
import { runAsmCommand } from './commands/asm';
import { runDapCommand } from './commands/dap';
import { runExecCommand } from './commands/exec';
import { runStubsCommand } from './commands/stubs';
import { runRunCommand, runStartCommand } from './commands/run';

export type CommandOutput = { stdout: (text: string) => void; stderr: (text: string) => void };

const processOutput: CommandOutput = {
  stdout: (text) => { process.stdout.write(text); },
  stderr: (text) => { process.stderr.write(text); },
};

const USAGE = `usage: ntsyscall <command> [options]

commands:
  run [PROGRAM.asm] [--driver D.asm]... [--syscall auto|sysenter|int2e] [--windows VERSION]
      [--trace none|syscalls|interrupts|instructions] [--json] [--max-instructions N] [--clock N]
                                            boot the NT model and run a program, printing the trace
  start                                     the default sample through int 2Eh and through sysenter
  dap [--server=PORT]                       serve the Debug Adapter Protocol on stdio (or 127.0.0.1:PORT)
  asm FILE.asm [-o OUT.bin] [--listing]     assemble one module (errors as file:line:col: message)
  exec FILE.asm [--set eax=1,...] [--json]  run code in a flat 32-bit ring-0 machine until hlt
  stubs [--windows VERSION|all] [--out DIR] [--check]
                                            regenerate the ntdll/Zw stubs and service tables
`;

/** Runs one command line; resolves to the process exit status. */
export async function main(args: readonly string[], output: CommandOutput = processOutput): Promise<number> {
  const [command, ...rest] = args;
  switch (command) {
    case 'run': return runRunCommand(rest, output);
    case 'start': return runStartCommand(rest, output);
    case 'dap': return runDapCommand(rest, output);
    case 'asm': return runAsmCommand(rest, output);
    case 'exec': return runExecCommand(rest, output);
    case 'stubs': return runStubsCommand(rest, output);
    case undefined: case '-h': case '--help': case 'help':
      output.stdout(USAGE);
      return command === undefined ? 2 : 0;
    default:
      output.stderr(`ntsyscall: unknown command '${command}'\n${USAGE}`);
      return 2;
  }
}
