// `dap-main.js --server=PORT` listens on 127.0.0.1 only and serves a session per connection.
import * as assert from 'assert';
import * as cp from 'child_process';
import { DebugClient } from '@vscode/debugadapter-testsupport';
import { ADAPTER_MAIN } from './dap-fixture';

describe('DAP: --server mode', function () {
  let server: cp.ChildProcess | undefined;
  afterEach(() => { server?.kill(); server = undefined; });

  it('announces the loopback port and answers a client there', async () => {
    server = cp.spawn('node', [ADAPTER_MAIN, '--server=0'], { stdio: ['ignore', 'ignore', 'pipe'] });
    const port = await new Promise<number>((resolve, reject) => {
      let text = '';
      server!.stderr!.on('data', (chunk: Buffer) => {
        text += chunk.toString();
        const match = /waiting for a debug client on 127\.0\.0\.1:(\d+)/.exec(text);
        if (match) resolve(Number(match[1]));
      });
      server!.on('exit', () => reject(new Error(`the server exited: ${text}`)));
    });
    const client = new DebugClient('node', ADAPTER_MAIN, 'ntsyscall');
    await client.start(port);
    const initialized = await client.initializeRequest();
    assert.strictEqual(initialized.body?.supportsDataBreakpoints, true);
    await assert.rejects(client.threadsRequest(), /launch one first/);
    await client.stop();
  });

  it('refuses a bad port with a usage line', () => {
    const result = cp.spawnSync('node', [ADAPTER_MAIN, '--server=http'], { encoding: 'utf8' });
    assert.strictEqual(result.status, 2);
    assert.match(result.stderr, /--server needs a port number/);
  });
});
