// The system-call path through the adapter, as a separate process: a breakpoint on ntdll's `int 2Eh`,
// stepping into nt!KiSystemService on the TSS stack, the trap-frame label frame, stepping back out to
// ring 3, and the values hover, watch and the REPL show there.
import * as assert from 'assert';
import type { DebugClient } from '@vscode/debugadapter-testsupport';
import { evaluate, evaluateNumber, launchAndStop, lineOf, samplePath, startClient, stepAndWait, topFrames } from './dap-fixture';

const NTDLL = samplePath('ntdll/ntdll.asm');
const READFILE = samplePath('programs/readfile.asm');

async function cpl(client: DebugClient, frameId: number): Promise<string> {
  const scopes = await client.scopesRequest({ frameId });
  const system = scopes.body.scopes.find((scope) => scope.name === 'System');
  assert.ok(system);
  const variables = await client.variablesRequest({ variablesReference: system.variablesReference });
  return variables.body.variables.find((variable) => variable.name === 'CPL')?.value ?? '?';
}

describe('DAP: int 2Eh from ntdll into nt!KiSystemService and back', function () {
  let client: DebugClient;
  beforeEach(async () => { client = await startClient(); });
  afterEach(async () => { await client.stop(); });

  it('hits the int 2Eh line, steps into KiSystemService on Esp0 - 0x14, shows the trap frame, steps out to ring 3', async () => {
    const intLine = lineOf(NTDLL, /^\s+int 0x2E/);
    const first = await launchAndStop(client, {
      launch: { program: READFILE, syscall: 'int2e' },
      configure: async (c) => {
        const set = await c.setBreakpointsRequest({ source: { path: NTDLL }, breakpoints: [{ line: intLine }] });
        assert.strictEqual(set.body.breakpoints[0].verified, true);
        assert.strictEqual(set.body.breakpoints[0].line, intLine);
      },
    });
    assert.strictEqual(first.body.reason, 'breakpoint');
    let frames = await topFrames(client);
    assert.match(frames[0].name, /^ntdll!KiIntSystemCall\+0x4$/);
    assert.strictEqual(frames[0].line, intLine);
    assert.ok(frames.every((frame) => typeof frame.instructionPointerReference === 'string'));
    const callers = frames.slice(1).map((frame) => frame.name.replace(/\+0x[0-9a-f]+$/, ''));
    assert.strictEqual(callers[0], 'ntdll!NtReadFile');
    assert.ok(callers.includes('readfile!start'), callers.join(', '));
    assert.strictEqual(await cpl(client, frames[0].id), '3');

    // hover and watch values at the int 2Eh line
    const eax = await evaluate(client, 'eax', 'hover');
    assert.match(eax, /^0x000000b7/);
    assert.match(await evaluate(client, '[esp+4]', 'hover'), /^0x[0-9a-f]{8} \((readfile!start|ntdll!ReadFile)\+0x[0-9a-f]+\)$/);
    const edx = await evaluateNumber(client, 'edx');
    const esp = await evaluateNumber(client, 'esp');
    assert.strictEqual(edx, esp + 8, 'lea edx, [esp+8]');
    assert.match(await evaluate(client, 'dword [edx+8]', 'hover'), /^0x00000000/);

    await stepAndWait(client, () => client.stepInRequest({ threadId: 1 }));
    frames = await topFrames(client);
    assert.strictEqual(frames[0].name, 'nt!KiSystemService');
    assert.strictEqual(await cpl(client, frames[0].id), '0');
    const tss = await client.customRequest('nt.tss');
    const esp0 = tss.body.fields.esp0 as number;
    assert.strictEqual(await evaluateNumber(client, 'esp'), esp0 - 0x14);
    const label = frames.find((frame) => frame.presentationHint === 'label');
    assert.ok(label, 'a trap-frame label frame');
    assert.strictEqual(label.name, `-- trap frame @ 0x${(esp0 - 0x7C).toString(16).toUpperCase().padStart(8, '0')}: int 0x2e from ring 3 --`);
    const below = frames.slice(frames.indexOf(label) + 1).map((frame) => frame.name.replace(/\+0x[0-9a-f]+$/, ''));
    assert.deepStrictEqual(below.slice(0, 2), ['ntdll!KiIntSystemCall', 'ntdll!NtReadFile']);
    assert.ok(below.includes('readfile!start'), below.join(', '));

    // the first user frame's registers come from the trap frame the CPU pushed
    const userFrame = frames[frames.indexOf(label) + 1];
    const userScopes = await client.scopesRequest({ frameId: userFrame.id });
    assert.match(userScopes.body.scopes[0].name, /^Registers \(frame \d+, from the stack\)$/);
    const saved = (await client.variablesRequest({ variablesReference: userScopes.body.scopes[0].variablesReference })).body.variables;
    assert.strictEqual(saved.find((variable) => variable.name === 'cs')?.value, '0x001b');
    assert.strictEqual(parseInt(saved.find((variable) => variable.name === 'esp')!.value, 16), esp);

    const idt = await evaluate(client, '!idt 2e', 'repl');
    assert.match(idt, /^2e:\t[0-9a-f]{8} nt!KiSystemService$/m);

    const out = await stepAndWait(client, () => client.stepOutRequest({ threadId: 1 }));
    assert.strictEqual(out.body.reason, 'step');
    frames = await topFrames(client);
    assert.strictEqual(frames[0].name, 'ntdll!KiIntSystemCall+0x6');
    assert.strictEqual(await cpl(client, frames[0].id), '3');
  });

  it('stepping into sysenter lands on nt!KiFastCallEntry; stepping out returns to ntdll!KiFastSystemCallRet in ring 3', async () => {
    const sysenterLine = lineOf(NTDLL, /^\s+sysenter/);
    await launchAndStop(client, {
      launch: { program: READFILE, syscall: 'sysenter' },
      configure: async (c) => { await c.setBreakpointsRequest({ source: { path: NTDLL }, breakpoints: [{ line: sysenterLine }] }); },
    });
    await stepAndWait(client, () => client.stepInRequest({ threadId: 1 }));
    let frames = await topFrames(client);
    assert.strictEqual(frames[0].name, 'nt!KiFastCallEntry');
    assert.strictEqual(await cpl(client, frames[0].id), '0');
    await stepAndWait(client, () => client.stepOutRequest({ threadId: 1 }));
    frames = await topFrames(client);
    assert.strictEqual(frames[0].name, 'ntdll!KiFastSystemCallRet');
    assert.strictEqual(await cpl(client, frames[0].id), '3');
    assert.strictEqual(await evaluateNumber(client, 'eax'), 0, 'NtReadFile returned STATUS_SUCCESS');
  });
});
