// Everything outside the browser page for the end-to-end suite: the packaged extension, a throwaway
// workspace copied from samples/, a code-server process on loopback, and Debian's chromium driven by
// playwright-core. Each piece is started with a bounded wait and torn down by `dispose`, even after a
// failure, so a broken run leaves no process behind. See test/e2e/README.md for running it by hand.
import { ChildProcess, spawn, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { Browser, Page, chromium } from 'playwright-core';

export const CODE_SERVER_DIR = process.env.NTSYSCALL_E2E_CODE_SERVER_DIR ?? '/var/cache/ntsyscall-e2e/code-server';
const CODE_SERVER_BIN = join(CODE_SERVER_DIR, 'node_modules', '.bin', 'code-server');
const CHROMIUM_PATH = process.env.NTSYSCALL_E2E_CHROMIUM ?? '/usr/bin/chromium';
/** Flags chromium needs as root in a container without a GPU (E2E-NOTES.md, step 5). */
const CHROMIUM_ARGS = [
  '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update',
  '--disable-sync', '--no-first-run', '--disable-dev-shm-usage',
];
/** The name of the launch configuration the walk-through starts (written into the workspace when missing). */
export const INT2E_LAUNCH_NAME = 'syscall: int2e';

/** The project root: the nearest folder above this file whose package.json is ours, else the cwd (an outDir outside the tree). */
export function projectRoot(): string {
  for (let folder = __dirname; dirname(folder) !== folder; folder = dirname(folder)) {
    const manifest = join(folder, 'package.json');
    if (existsSync(manifest) && (JSON.parse(readFileSync(manifest, 'utf8')) as { name?: string }).name === 'nt-syscall-debugger') return folder;
  }
  return process.cwd();
}

/** Where screenshots go: test-output/e2e/ in the project (git-ignored). */
export function screenshotDir(): string {
  const folder = join(projectRoot(), 'test-output', 'e2e');
  mkdirSync(folder, { recursive: true });
  return folder;
}

function log(message: string): void {
  process.stdout.write(`      [e2e ${new Date().toISOString().slice(11, 19)}] ${message}\n`);
}

/** A TCP port free on 127.0.0.1 right now (the kernel picks it; code-server binds it a moment later). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address !== null ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

/** Runs a command to completion with a time limit; throws with its output's tail when it fails. */
function runChecked(command: string, args: readonly string[], options: { cwd: string; timeoutMs: number; what: string }): string {
  const result = spawnSync(command, args, { cwd: options.cwd, encoding: 'utf8', timeout: options.timeoutMs, killSignal: 'SIGKILL', maxBuffer: 64 * 1024 * 1024 });
  const output = `${result.stdout ?? ''}${result.stderr ?? ''}`;
  if (result.error !== undefined || result.status !== 0) {
    const why = result.error !== undefined ? result.error.message : `exit code ${result.status}`;
    throw new Error(`${options.what} failed (${why}):\n${output.split('\n').slice(-40).join('\n')}`);
  }
  return output;
}

/**
 * The .vsix to install: $NTSYSCALL_E2E_VSIX when set (a package built earlier), else a fresh
 * `npm run package` whose output goes to the temp folder, not the work tree.
 */
export function provideVsix(tempRoot: string): string {
  const given = process.env.NTSYSCALL_E2E_VSIX;
  if (given !== undefined && given !== '') {
    if (!existsSync(given)) throw new Error(`NTSYSCALL_E2E_VSIX=${given} does not exist`);
    log(`using the packaged extension ${given}`);
    return given;
  }
  const vsix = join(tempRoot, 'nt-syscall-debugger.vsix');
  const started = Date.now();
  // Arguments after `--` reach the script's last command, vsce package.
  runChecked('npm', ['run', 'package', '--', '--out', vsix], { cwd: projectRoot(), timeoutMs: 10 * 60_000, what: 'npm run package' });
  log(`npm run package -> ${vsix} (${Math.round((Date.now() - started) / 1000)} s)`);
  return vsix;
}

/** A copy of samples/ with the launch configurations the walk-through selects by name. */
export function prepareWorkspace(tempRoot: string): string {
  const workspace = join(tempRoot, 'workspace');
  cpSync(join(projectRoot(), 'samples'), workspace, { recursive: true });
  const launchJson = join(workspace, '.vscode', 'launch.json');
  const configurations = existsSync(launchJson)
    ? (JSON.parse(readFileSync(launchJson, 'utf8')) as { configurations?: Array<{ name?: string }> }).configurations ?? []
    : [];
  if (!configurations.some((configuration) => configuration.name === INT2E_LAUNCH_NAME)) {
    // The kernel and ntdll come from the workspace copy, so a breakpoint set in its ntdll.asm is a
    // breakpoint in the code that runs (not in the copy bundled inside the extension).
    configurations.push({
      type: 'ntsyscall', request: 'launch', name: INT2E_LAUNCH_NAME,
      program: '${workspaceFolder}/programs/readfile.asm',
      kernel: '${workspaceFolder}/kernel', ntdll: '${workspaceFolder}/ntdll',
      syscall: 'int2e', windows: 'xp-sp3', stopOnEntry: false,
    } as { name: string });
    mkdirSync(dirname(launchJson), { recursive: true });
    writeFileSync(launchJson, `${JSON.stringify({ version: '0.2.0', configurations }, null, 2)}\n`);
  }
  return workspace;
}

/** User settings that keep first-run noise (welcome page, tips, trust prompt) off the screen. */
function writeUserSettings(userDataDir: string): void {
  const settings = {
    'workbench.startupEditor': 'none',
    'workbench.tips.enabled': false,
    'workbench.enableExperiments': false,
    'security.workspace.trust.enabled': false,
    'telemetry.telemetryLevel': 'off',
    'update.mode': 'none',
    'extensions.ignoreRecommendations': true,
    'extensions.autoUpdate': false,
    'editor.hover.delay': 300,
    'editor.minimap.enabled': false,
    'debug.inlineValues': 'on',
    'window.restoreWindows': 'none',
  };
  mkdirSync(join(userDataDir, 'User'), { recursive: true });
  writeFileSync(join(userDataDir, 'User', 'settings.json'), `${JSON.stringify(settings, null, 2)}\n`);
}

export class CodeServerHarness {
  readonly tempRoot = mkdtempSync(join(tmpdir(), 'ntsyscall-e2e-'));
  readonly userDataDir = join(this.tempRoot, 'user');
  readonly extensionsDir = join(this.tempRoot, 'extensions');
  readonly logFile = join(this.tempRoot, 'code-server.log');
  workspace = '';
  port = 0;
  private server: ChildProcess | undefined;
  private serverOutput = '';
  private browser: Browser | undefined;
  page: Page | undefined;

  /** Tail of code-server's own output, for failure messages. */
  serverLogTail(lines = 30): string {
    return this.serverOutput.split('\n').slice(-lines).join('\n');
  }

  installExtension(vsix: string): void {
    if (!existsSync(CODE_SERVER_BIN)) {
      throw new Error(`code-server is not installed at ${CODE_SERVER_DIR}: run \`bash scripts/e2e-setup.sh\` first`);
    }
    const output = runChecked(CODE_SERVER_BIN, [
      '--user-data-dir', this.userDataDir, '--extensions-dir', this.extensionsDir, '--install-extension', vsix,
    ], { cwd: this.tempRoot, timeoutMs: 120_000, what: 'code-server --install-extension' });
    if (!/successfully installed/i.test(output)) throw new Error(`code-server --install-extension did not confirm:\n${output}`);
    log(`installed ${vsix} into ${this.extensionsDir}`);
  }

  async startServer(workspace: string): Promise<void> {
    this.workspace = workspace;
    this.port = await freePort();
    writeUserSettings(this.userDataDir);
    // detached: its own process group, so teardown can end code-server and everything it started
    // (extension host, debug adapter) with one signal to the group.
    const server = spawn(CODE_SERVER_BIN, [
      '--auth', 'none', '--bind-addr', `127.0.0.1:${this.port}`,
      '--disable-telemetry', '--disable-update-check', '--disable-workspace-trust', '--disable-getting-started-override',
      '--user-data-dir', this.userDataDir, '--extensions-dir', this.extensionsDir, workspace,
    ], { cwd: this.tempRoot, detached: true, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, CODE_SERVER_CONFIG: join(this.tempRoot, 'config.yaml') } });
    this.server = server;
    const collect = (chunk: Buffer): void => { this.serverOutput += chunk.toString(); };
    server.stdout?.on('data', collect);
    server.stderr?.on('data', collect);
    const deadline = Date.now() + 60_000;
    while (!/HTTP server listening on/.test(this.serverOutput)) {
      if (server.exitCode !== null) throw new Error(`code-server exited with ${server.exitCode}:\n${this.serverLogTail()}`);
      if (Date.now() > deadline) throw new Error(`code-server did not listen within 60 s:\n${this.serverLogTail()}`);
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    log(`code-server listening on 127.0.0.1:${this.port} (pid ${server.pid})`);
  }

  async openWorkbench(): Promise<Page> {
    this.browser = await chromium.launch({ executablePath: CHROMIUM_PATH, headless: true, args: CHROMIUM_ARGS, timeout: 60_000 });
    const context = await this.browser.newContext({ viewport: { width: 1600, height: 1000 } });
    const page = await context.newPage();
    page.setDefaultTimeout(30_000);
    this.page = page;
    await page.goto(`http://127.0.0.1:${this.port}/?folder=${encodeURIComponent(this.workspace)}`, { timeout: 60_000 });
    await page.locator('.monaco-workbench').waitFor({ state: 'visible', timeout: 60_000 });
    log('workbench loaded');
    return page;
  }

  /** Ends the browser and code-server's process group, then deletes the temp folder (kept with NTSYSCALL_E2E_KEEP=1). */
  async dispose(): Promise<void> {
    if (this.browser !== undefined) {
      await Promise.race([this.browser.close().catch(() => undefined), new Promise((resolve) => setTimeout(resolve, 10_000))]);
      this.browser = undefined;
    }
    const server = this.server;
    if (server?.pid !== undefined && server.exitCode === null && server.signalCode === null) {
      const exited = new Promise((resolve) => server.once('exit', resolve));
      killGroup(server.pid, 'SIGTERM');
      const stopped = await Promise.race([exited.then(() => true), new Promise((resolve) => setTimeout(() => resolve(false), 5_000))]);
      // The extension host or adapter may outlive a SIGTERM to code-server; the group goes either way.
      killGroup(server.pid, 'SIGKILL');
      if (!stopped) await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 2_000))]);
    } else if (server?.pid !== undefined) {
      killGroup(server.pid, 'SIGKILL');
    }
    this.server = undefined;
    writeFileSync(this.logFile, this.serverOutput);
    if (process.env.NTSYSCALL_E2E_KEEP === '1') log(`kept ${this.tempRoot}`);
    else rmSync(this.tempRoot, { recursive: true, force: true });
  }
}

function killGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    // the group is already gone
  }
}
