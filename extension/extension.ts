// Activation: wires the debugger, the NT views, hover and inline values, and the commands.
import * as vscode from 'vscode';
import { NtSyscallAdapterDescriptorFactory } from './adapter-descriptor-factory';
import {
  breakOnVectorCommand, copyValueCommand, debugFileCommand, openMemoryCommand, revealHandlerSourceCommand, translateAddressCommand,
} from './commands/node-commands';
import { openSamples } from './commands/open-samples';
import { NtSyscallConfigurationProvider, NtSyscallDynamicConfigurationProvider } from './debug-configuration-provider';
import { NtasmEvaluatableExpressionProvider } from './hover/ntasm-evaluatable-expression-provider';
import { NtasmInlineValuesProvider } from './hover/ntasm-inline-values-provider';
import { NtasmSessionHoverProvider } from './hover/ntasm-session-hover-provider';
import { ASM_LANGUAGE_IDS, DEBUG_TYPE } from './model/launch-configuration';
import { StopTrackerFactory } from './stop-tracker';
import { NtViews } from './views/nt-views';

export function activate(context: vscode.ExtensionContext): void {
  const views = new NtViews();
  const output = vscode.window.createOutputChannel('NT System Call Debugger');
  const asmDocuments: vscode.DocumentSelector = ASM_LANGUAGE_IDS.map((language) => ({ language }));

  context.subscriptions.push(
    views,
    output,
    vscode.debug.registerDebugAdapterDescriptorFactory(DEBUG_TYPE, new NtSyscallAdapterDescriptorFactory(context)),
    vscode.debug.registerDebugConfigurationProvider(DEBUG_TYPE, new NtSyscallConfigurationProvider()),
    vscode.debug.registerDebugConfigurationProvider(DEBUG_TYPE, new NtSyscallDynamicConfigurationProvider(),
      vscode.DebugConfigurationProviderTriggerKind.Dynamic),
    vscode.debug.registerDebugAdapterTrackerFactory(DEBUG_TYPE, new StopTrackerFactory(views)),
    vscode.debug.onDidTerminateDebugSession((session) => views.onSessionEnded(session)),
    vscode.languages.registerEvaluatableExpressionProvider(asmDocuments, new NtasmEvaluatableExpressionProvider()),
    vscode.languages.registerInlineValuesProvider(asmDocuments, new NtasmInlineValuesProvider()),
    vscode.languages.registerHoverProvider(asmDocuments, new NtasmSessionHoverProvider()),
    vscode.commands.registerCommand('ntsyscall.openSamples', () => openSamples(context)),
    vscode.commands.registerCommand('ntsyscall.refreshViews', () => views.refreshAll()),
    vscode.commands.registerCommand('ntsyscall.revealHandlerSource', (node: unknown) => revealHandlerSourceCommand(node)),
    vscode.commands.registerCommand('ntsyscall.breakOnVector', (node: unknown) => breakOnVectorCommand(node)),
    vscode.commands.registerCommand('ntsyscall.openMemory', (node: unknown, how: unknown) => openMemoryCommand(output, node, how)),
    vscode.commands.registerCommand('ntsyscall.copyValue', (node: unknown) => copyValueCommand(node)),
    vscode.commands.registerCommand('ntsyscall.translateAddress', (node: unknown) => translateAddressCommand(node)),
    vscode.commands.registerCommand('ntsyscall.debugFile', (uri: unknown) => debugFileCommand(uri)),
  );
}

export function deactivate(): void {
  // Everything is in context.subscriptions; VS Code disposes it.
}
