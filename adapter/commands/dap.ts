// `ntsyscall dap [--server=PORT]`: the debug adapter on stdin/stdout, or listening on 127.0.0.1:PORT
// (loopback only: the adapter runs programs and reads files, so it must not face the network).
import * as net from 'net';
import type { CommandOutput } from '../cli';
import { NtSyscallDebugSession } from '../session';

const USAGE = 'usage: ntsyscall dap [--server=PORT]\n';
const LOOPBACK = '127.0.0.1';

/** Keeps the adapter alive whatever a guest or a client does: a stray error is logged, never fatal. */
function installLastResort(output: CommandOutput): void {
  process.on('uncaughtException', (error) => output.stderr(`ntsyscall dap: internal error: ${error instanceof Error ? error.stack ?? error.message : String(error)}\n`));
  process.on('unhandledRejection', (reason) => output.stderr(`ntsyscall dap: internal error: ${reason instanceof Error ? reason.stack ?? reason.message : String(reason)}\n`));
}

function parsePort(args: readonly string[]): number | undefined | string {
  let port: number | undefined;
  for (const argument of args) {
    const match = /^--server(?:=(.*))?$/.exec(argument);
    if (!match) return `unknown option '${argument}'`;
    const value = Number(match[1]);
    if (match[1] === undefined || !/^[0-9]+$/.test(match[1]) || value > 65535) return '--server needs a port number: --server=4711 (0 picks a free port)';
    port = value;
  }
  return port;
}

export function runDapCommand(args: readonly string[], output: CommandOutput): Promise<number> {
  const port = parsePort(args);
  if (typeof port === 'string') {
    output.stderr(`ntsyscall dap: ${port}\n${USAGE}`);
    return Promise.resolve(2);
  }
  installLastResort(output);
  if (port === undefined) {
    const session = new NtSyscallDebugSession();
    session.start(process.stdin, process.stdout);
    return new Promise((resolve) => process.stdin.on('end', () => resolve(0)));
  }
  return new Promise((resolve) => {
    const server = net.createServer((socket) => {
      const session = new NtSyscallDebugSession();
      session.setRunAsServer(true);
      socket.on('error', () => socket.destroy());
      session.start(socket, socket);
    });
    server.on('error', (error) => {
      output.stderr(`ntsyscall dap: cannot listen on ${LOOPBACK}:${port}: ${error.message}\n`);
      resolve(2);
    });
    server.listen(port, LOOPBACK, () => {
      const address = server.address();
      const actual = typeof address === 'object' && address !== null ? address.port : port;
      output.stderr(`ntsyscall dap: waiting for a debug client on ${LOOPBACK}:${actual}\n`);
    });
    server.on('close', () => resolve(0));
  });
}
