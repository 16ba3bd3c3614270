// The debug adapter's process entry: `node dap-main.js [--server=PORT]` (what VS Code spawns).
import { runDapCommand } from './commands/dap';

void runDapCommand(process.argv.slice(2), {
  stdout: (text) => { process.stderr.write(text); },
  stderr: (text) => { process.stderr.write(text); },
}).then((status) => {
  if (status !== 0) process.exitCode = status;
});
