// End-to-end in a real VS Code: code-server 4.100.3 in headless Debian chromium (playwright-core), our
// packaged .vsix installed into it, a copy of samples/ as the workspace. First the workbench with our
// six Run and Debug views (needs no adapter), then the walk a user makes: a breakpoint on ntdll's
// `int 0x2E`, F5 with the `syscall: int2e` configuration, F11 into nt!KiSystemService, and the views
// read from the page. Each state is saved as test-output/e2e/NN-*.png.
// Prerequisite: `bash scripts/e2e-setup.sh`. How to run it by hand: test/e2e/README.md.
import * as assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CodeServerHarness, INT2E_LAUNCH_NAME, prepareWorkspace, provideVsix, screenshotDir } from './code-server-harness';
import { RUN_AND_DEBUG_VIEWS, WorkbenchDriver } from './workbench-driver';

/** The line of samples/ntdll/ntdll.asm that enters the kernel the int 2Eh way (inside KiIntSystemCall). */
function int2eLineOfNtdll(workspace: string): number {
  const lines = readFileSync(join(workspace, 'ntdll', 'ntdll.asm'), 'utf8').split('\n');
  const entry = lines.findIndex((line) => /^KiIntSystemCall:/.test(line));
  assert.ok(entry >= 0, 'ntdll.asm has no KiIntSystemCall label');
  const offset = lines.slice(entry).findIndex((line) => /^\s*int\s+(0x2E|2Eh)\b/i.test(line));
  assert.ok(offset >= 0, 'KiIntSystemCall has no int 0x2E line');
  return entry + offset + 1;
}

describe('end-to-end: the extension in a real VS Code (code-server + chromium)', function () {
  // Every wait inside has its own, shorter limit; this one only catches a hang between them.
  this.timeout(5 * 60_000);

  const harness = new CodeServerHarness();
  let driver: WorkbenchDriver;
  /** Set once the machine stopped at the breakpoint; the later steps need a live, stopped session. */
  let stoppedAtInt2e = false;
  let steppedIntoKernel = false;
  /** TSS.Esp0 as the TSS view showed it: ESP at KiSystemService's first instruction is 0x14 below. */
  let esp0: number | undefined;

  before(async function () {
    this.timeout(15 * 60_000); // `npm run package` builds the whole project first
    const vsix = provideVsix(harness.tempRoot);
    harness.installExtension(vsix);
    await harness.startServer(prepareWorkspace(harness.tempRoot));
    driver = new WorkbenchDriver(await harness.openWorkbench(), screenshotDir());
  });

  after(async function () {
    this.timeout(60_000);
    if (driver !== undefined) {
      await driver.page.keyboard.press('Shift+F5').catch(() => undefined); // stop the session before code-server goes
      await driver.screenshot('99-last-state').catch(() => undefined);
    }
    await harness.dispose();
  });

  afterEach(async function () {
    if (this.currentTest?.state === 'failed' && driver !== undefined) {
      const file = await driver.screenshot(`failed-${(this.currentTest.title).replace(/[^a-z0-9]+/gi, '-').slice(0, 60)}`).catch(() => '(no screenshot)');
      process.stdout.write(`      screenshot of the failure: ${file}\ncode-server's last lines:\n${harness.serverLogTail(15)}\n`);
    }
  });

  it('shows the IDT, SSDT, TSS, Kernel Stack, GDT and MSRs views in Run and Debug', async function () {
    await driver.showRunAndDebug();
    // The extension activates on debug resolve / the ntasm language; the views are declared statically,
    // so their headers are there at once. Wait for the last one to be sure the side bar has settled.
    await driver.paneHeader('MSRs').waitFor({ state: 'visible', timeout: 30_000 });
    const titles = await driver.sideBarViewTitles();
    for (const view of RUN_AND_DEBUG_VIEWS) {
      assert.ok(titles.some((title) => title.toLowerCase() === view.toLowerCase()), `no ${view} view in Run and Debug; the side bar has: ${titles.join(', ')}`);
    }
    // With no session the IDT view shows its welcome text (from the manifest's viewsWelcome).
    const idt = await driver.expandView('IDT');
    await driver.waitForText(/Interrupt Descriptor Table/, 10_000, idt);
    await driver.screenshot('01-views-in-run-and-debug');
    await driver.collapseView('IDT');
  });

  it('stops at a breakpoint on the int 0x2E line of ntdll!KiIntSystemCall', async function () {
    this.timeout(4 * 60_000);
    const int2eLine = int2eLineOfNtdll(harness.workspace);
    // The program the session runs, as the user opens it first.
    await driver.openFile('programs/readfile.asm');
    await driver.openFile('ntdll/ntdll.asm');
    await driver.goToLine(int2eLine);
    assert.equal(await driver.cursorLine(), int2eLine, 'Ctrl+G did not move the cursor to the int 0x2E line');
    await driver.page.keyboard.press('F9');
    // The breakpoint's glyph in the gutter, and its row in the Breakpoints view.
    await driver.page.locator('.editor-group-container.active .monaco-editor .codicon-debug-breakpoint, .editor-group-container.active .monaco-editor .codicon-debug-breakpoint-unverified')
      .first().waitFor({ state: 'visible', timeout: 10_000 });
    await driver.waitForText(new RegExp(`ntdll\\.asm[\\s\\S]*\\b${int2eLine}\\b`), 10_000, driver.pane('Breakpoints'));
    await driver.screenshot('02-breakpoint-on-int-2e');

    await driver.runCommand('Debug: Select and Start Debugging');
    // The picker lists launch.json's configurations (its input keeps a `debug ` prefix: click, don't type).
    const configuration = driver.page.locator('.quick-input-list .monaco-list-row', { hasText: INT2E_LAUNCH_NAME }).first();
    await configuration.waitFor({ state: 'visible', timeout: 15_000 });
    await configuration.click();

    // Assembling the kernel and booting it take a few seconds; the Call Stack header then shows the stopped
    // event's description (VS Code prints its generic "Paused on breakpoint" only when there is none).
    await driver.waitForText(/breakpoint at ntdll!KiIntSystemCall\+0x4|paused on breakpoint/i, 120_000);
    const callStack = await driver.expandView('Call Stack');
    const frames = await driver.waitForText(/KiIntSystemCall/, 20_000, callStack);
    assert.match(frames, /KiIntSystemCall/, 'the top frame is not ntdll!KiIntSystemCall');
    // The editor shows ntdll.asm with the current-line marker on the int line.
    await driver.page.locator('.editor-group-container.active .monaco-editor .codicon-debug-breakpoint-stackframe, .editor-group-container.active .monaco-editor .codicon-debug-stackframe').first().waitFor({ state: 'visible', timeout: 10_000 });
    assert.equal(await driver.cursorLine(), int2eLine, 'the stop is not on the int 0x2E line');
    stoppedAtInt2e = true;
    await driver.screenshot('03-stopped-at-int-2e');
  });

  it('steps in (F11) through IDT[0x2E] into nt!KiSystemService, as the Call Stack shows', async function () {
    if (!stoppedAtInt2e) this.skip();
    await driver.page.locator('.monaco-editor').first().click({ position: { x: 400, y: 10 } }).catch(() => undefined); // focus the editor, not a view
    await driver.page.keyboard.press('F11');
    await driver.waitForText(/stepped to nt!KiSystemService|paused on step/i, 30_000);
    const callStack = driver.pane('Call Stack');
    const frames = await driver.waitForText(/KiSystemService/, 20_000, callStack);
    const firstFrame = frames.split('\n').find((line) => /!|\w+\.(asm|inc)/.test(line) && !/paused/i.test(line)) ?? '';
    assert.match(frames, /KiSystemService/);
    await driver.activeTab('systemcall.inc').waitFor({ state: 'visible', timeout: 15_000 });
    steppedIntoKernel = true;
    await driver.screenshot('04-stepped-into-KiSystemService');
    process.stdout.write(`      top frame: ${firstFrame.trim()}\n`);
  });

  it('IDT view: vector 2E is the gate to KiSystemService', async function () {
    if (!steppedIntoKernel) this.skip();
    await driver.collapseView('Call Stack');
    await driver.collapseView('Breakpoints');
    await driver.collapseView('Watch');
    await driver.collapseView('Variables');
    await driver.expandView('IDT');
    const text = await driver.findInView('IDT', /\b2E\b[^\n]*KiSystemService|KiSystemService[^\n]*\b2E\b/i, 30_000);
    assert.match(text, /KiSystemService/);
    await driver.revealRow('IDT', /KiSystemService/);
    await driver.settleView('IDT');
    await driver.screenshot('05-idt-view-2e-KiSystemService');
    await driver.collapseView('IDT');
  });

  it('SSDT view: lists NtReadFile', async function () {
    if (!steppedIntoKernel) this.skip();
    await driver.expandView('SSDT');
    // Row 0B7 is nt!NtReadFile (XP SP3's number), not its neighbour 0B8 nt!NtReadFileScatter. The row's
    // text runs on into its description ("nt!NtReadFile9 args"), so the name ends at the first non-letter.
    const row = /\b0B7\s+nt!NtReadFile(?![A-Za-z])/;
    const text = await driver.findInView('SSDT', row, 30_000);
    assert.match(text, row);
    await driver.revealRow('SSDT', row);
    await driver.settleView('SSDT');
    await driver.screenshot('06-ssdt-view-NtReadFile');
    await driver.collapseView('SSDT');
  });

  it('TSS view: shows Esp0', async function () {
    if (!steppedIntoKernel) this.skip();
    const pane = await driver.expandView('TSS');
    const text = await driver.waitForText(/Esp0[\s\S]*0x[0-9A-Fa-f]{8}/, 30_000, pane);
    const esp0Text = /Esp0\W*(?:0x)?([0-9A-Fa-f]{8})/.exec(text);
    assert.ok(esp0Text !== null, `the TSS view shows no Esp0 value: ${text.slice(0, 400)}`);
    esp0 = Number.parseInt(esp0Text[1]!, 16);
    await driver.screenshot('07-tss-view-Esp0');
    await driver.collapseView('TSS');
  });

  it('Kernel Stack view: shows the trap frame int 2Eh pushed', async function () {
    if (!steppedIntoKernel) this.skip();
    await driver.expandView('Kernel Stack');
    // Right after the int, ESP points at the frame the CPU pushed: EIP, CS, EFLAGS, ESP, SS of ring 3,
    // which are the top fields of the _KTRAP_FRAME KiSystemService builds.
    const text = await driver.findInView('Kernel Stack', /_KTRAP_FRAME\.SegCs/, 30_000);
    // The CS that int 2Eh pushed is ring 3's KGDT_R3_CODE | 3, in the frame's SegCs slot.
    assert.match(text, /0000001B\s*_KTRAP_FRAME\.SegCs/);
    await driver.scrollViewToTop('Kernel Stack');
    await driver.settleView('Kernel Stack');
    await driver.screenshot('08-kernel-stack-trap-frame');
    process.stdout.write(`      kernel stack: ${text.split('\n').slice(0, 8).join(' | ')}\n`);
  });

  it('hovering esp in systemcall.inc (the focused frame) shows the debug hover: TSS.Esp0 - 0x14', async function () {
    if (!steppedIntoKernel || esp0 === undefined) this.skip();
    await driver.openFile('kernel/systemcall.inc');
    const line = driver.editorLine(/sub\s+esp,\s*TsPreviousPreviousMode/);
    await line.waitFor({ state: 'visible', timeout: 10_000 });
    const expected = (esp0! - 0x14).toString(16).toUpperCase().padStart(8, '0');
    const hoverText = await driver.hoverToken(line, 'esp', '.debug-hover-widget', new RegExp(`0x${expected}\\b`, 'i'));
    await driver.screenshot('09-debug-hover-esp-in-KiSystemService');
    assert.match(hoverText, new RegExp(`0x${expected}\\b`, 'i'), `the debug hover over esp showed: ${JSON.stringify(hoverText)}`);
  });

  it('hovering eax in readfile.asm (not the focused frame\'s file) shows its value: 0xB7, NtReadFile\'s service number', async function () {
    if (!steppedIntoKernel) this.skip();
    await driver.openFile('programs/readfile.asm');
    const line = driver.editorLine(/push\s+eax\b/);
    await line.waitFor({ state: 'visible', timeout: 10_000 }).catch(async () => {
      // Not in sight: move to it (the file is short, but the editor may have kept a scroll position).
      const lines = readFileSync(join(harness.workspace, 'programs', 'readfile.asm'), 'utf8').split('\n');
      await driver.goToLine(lines.findIndex((text) => /^\s*push\s+eax\b/.test(text)) + 1);
      await line.waitFor({ state: 'visible', timeout: 10_000 });
    });
    const hoverText = await driver.hoverToken(line, 'eax', '.monaco-hover', /0x0*B7\b/i);
    await driver.screenshot('10-hover-eax-in-readfile');
    assert.match(hoverText, /eax = 0x0*B7\b/i, `the hover over eax showed: ${JSON.stringify(hoverText)}`);
  });
});
