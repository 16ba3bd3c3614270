// Commands on the rows of the NT views (and from the palette, asking for an address).
import * as vscode from 'vscode';
import { hex0x } from '../model/hex-format';
import { parseAddress, translationText } from '../model/translation-text';
import type { TranslationView } from '../model/request-shapes';
import type { ViewNode } from '../model/view-node';
import { activeNtSession } from '../views/nt-views';
import { openMemory } from './open-memory';
import { labelOfSymbol, revealSource } from './reveal-source';

function isViewNode(value: unknown): value is ViewNode {
  return typeof value === 'object' && value !== null && typeof (value as Record<string, unknown>)['id'] === 'string'
    && Array.isArray((value as Record<string, unknown>)['children']);
}

async function askAddress(prompt: string): Promise<number | undefined> {
  const text = await vscode.window.showInputBox({
    prompt, placeHolder: '0x804DE2E0',
    validateInput: (value) => (parseAddress(value) === undefined ? 'a hex address: 0x804DE2E0, 804DE2E0h or 804de2e0' : undefined),
  });
  return text === undefined ? undefined : parseAddress(text);
}

function requireSession(): vscode.DebugSession | undefined {
  const session = activeNtSession();
  if (session === undefined) void vscode.window.showWarningMessage('Start an NT System Call Debugger session first (F5 on an .asm file).');
  return session;
}

export async function revealHandlerSourceCommand(argument: unknown): Promise<void> {
  if (!isViewNode(argument) || argument.target === undefined) return;
  const { address, symbol } = argument.action?.kind === 'revealSource' ? argument.action : argument.target;
  const shown = await revealSource(activeNtSession(), address, symbol);
  if (!shown) void vscode.window.showInformationMessage(`No source line found for ${symbol ?? hex0x(address)}.`);
}

/** A function breakpoint on the gate's handler: the stop lands on its first instruction. */
export function breakOnVectorCommand(argument: unknown): void {
  if (!isViewNode(argument) || argument.target === undefined) return;
  const { address, symbol } = argument.target;
  const name = symbol !== null && !/\+0x/i.test(symbol) ? symbol : hex0x(address);
  vscode.debug.addBreakpoints([new vscode.FunctionBreakpoint(name)]);
  const vector = argument.vector !== undefined ? ` (vector ${hex0x(argument.vector, 2)})` : '';
  void vscode.window.showInformationMessage(`Breakpoint on ${labelOfSymbol(name)}${vector}.`);
}

/** From a row: its address; clicked: where the row points (the `openMemory` action). */
export async function openMemoryCommand(output: vscode.OutputChannel, argument: unknown, how?: unknown): Promise<void> {
  const session = requireSession();
  if (session === undefined) return;
  let address: number | undefined;
  if (isViewNode(argument)) address = how === 'action' && argument.action?.kind === 'openMemory' ? argument.action.address : argument.address;
  address ??= await askAddress('Open guest memory at (linear address)');
  if (address === undefined) return;
  try {
    await openMemory(session, address, output);
  } catch (error) {
    void vscode.window.showErrorMessage(`Cannot read memory at ${hex0x(address)}: ${error instanceof Error ? error.message : String(error)}`);
  }
}

export async function copyValueCommand(argument: unknown): Promise<void> {
  if (!isViewNode(argument)) return;
  await vscode.env.clipboard.writeText(argument.copyText ?? `${argument.label} ${argument.description}`.trim());
}

/** `nt.translate`: the page walk for an address, as words. */
export async function translateAddressCommand(argument: unknown): Promise<void> {
  const session = requireSession();
  if (session === undefined) return;
  const address = isViewNode(argument) && argument.address !== undefined ? argument.address : await askAddress('Translate a linear address through the page tables');
  if (address === undefined) return;
  try {
    const body = await session.customRequest('nt.translate', { address }) as TranslationView;
    void vscode.window.showInformationMessage(translationText(body));
  } catch (error) {
    void vscode.window.showErrorMessage(`nt.translate ${hex0x(address)} failed: ${error instanceof Error ? error.message : String(error)}`);
  }
}

/** Debugs the given (or open) .asm file with the defaults, no launch.json needed. */
export async function debugFileCommand(argument: unknown): Promise<void> {
  const uri = argument instanceof vscode.Uri ? argument : vscode.window.activeTextEditor?.document.uri;
  if (uri === undefined) return;
  await vscode.debug.startDebugging(vscode.workspace.getWorkspaceFolder(uri), {
    type: 'ntsyscall', request: 'launch', name: `Debug ${uri.path.split('/').pop() ?? 'program'}`, program: uri.fsPath, stopOnEntry: true,
  });
}
