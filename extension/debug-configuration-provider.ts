// launch.json's initial configurations, and F5 without a launch.json debugging the open .asm file.
import * as vscode from 'vscode';
import { completeLaunchConfiguration, dynamicConfigurations, initialConfigurations } from './model/launch-configuration';

/** Programs offered in the drop-down: the samples' layout puts them under programs/. */
const PROGRAM_GLOB = '**/programs/*.asm';
const MAX_DYNAMIC_PROGRAMS = 20;

/** Fills Run and Debug's drop-down with every program in the workspace, by int 2Eh and by sysenter. */
export class NtSyscallDynamicConfigurationProvider implements vscode.DebugConfigurationProvider {
  async provideDebugConfigurations(): Promise<vscode.DebugConfiguration[]> {
    const programs = await vscode.workspace.findFiles(PROGRAM_GLOB, '**/node_modules/**', MAX_DYNAMIC_PROGRAMS);
    return dynamicConfigurations(programs.map((uri) => uri.fsPath));
  }
}

export class NtSyscallConfigurationProvider implements vscode.DebugConfigurationProvider {
  provideDebugConfigurations(): vscode.ProviderResult<vscode.DebugConfiguration[]> {
    return initialConfigurations();
  }

  resolveDebugConfiguration(_folder: vscode.WorkspaceFolder | undefined, given: vscode.DebugConfiguration): vscode.ProviderResult<vscode.DebugConfiguration> {
    const editor = vscode.window.activeTextEditor;
    const activeFile = editor && editor.document.uri.scheme === 'file'
      ? { path: editor.document.uri.fsPath, languageId: editor.document.languageId }
      : undefined;
    const completed = completeLaunchConfiguration(given, activeFile);
    if (!completed.ok) {
      void vscode.window.showErrorMessage(completed.message);
      return undefined; // cancels the launch; VS Code opens launch.json when asked to
    }
    return completed.configuration;
  }
}
