// Copies the bundled samples to a folder the user picks and adds it to the workspace.
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as vscode from 'vscode';

export const SAMPLES_FOLDER_NAME = 'nt-syscall-samples';
const FIRST_SAMPLE = path.join('programs', 'readfile.asm');

export async function openSamples(context: vscode.ExtensionContext): Promise<void> {
  const bundled = context.asAbsolutePath('samples');
  if (!fs.existsSync(bundled)) {
    void vscode.window.showErrorMessage(`The samples are missing from the extension (${bundled}); reinstall it.`);
    return;
  }
  const picked = await vscode.window.showOpenDialog({
    canSelectFiles: false, canSelectFolders: true, canSelectMany: false,
    defaultUri: vscode.Uri.file(os.homedir()),
    openLabel: `Copy the samples here (into ./${SAMPLES_FOLDER_NAME})`,
    title: 'Where should the NT System Call Debugger samples go?',
  });
  if (picked === undefined || picked.length === 0) return;
  const target = path.join(picked[0]!.fsPath, SAMPLES_FOLDER_NAME);
  if (fs.existsSync(target)) {
    // Never overwrite: the user may have edited the kernel (hooked an SSDT entry...).
    void vscode.window.showInformationMessage(`${target} already exists: opening it as it is.`);
  } else {
    fs.cpSync(bundled, target, { recursive: true });
  }
  const targetUri = vscode.Uri.file(target);
  const folders = vscode.workspace.workspaceFolders ?? [];
  if (folders.some((folder) => folder.uri.fsPath === target)) {
    await showFirstSample(target);
  } else if (folders.length === 0) {
    // Opening a folder in an empty window reloads it; the sample opens from the explorer afterwards.
    await vscode.commands.executeCommand('vscode.openFolder', targetUri, { forceNewWindow: false });
  } else {
    vscode.workspace.updateWorkspaceFolders(folders.length, 0, { uri: targetUri, name: 'NT syscall samples' });
    await showFirstSample(target);
  }
}

async function showFirstSample(samplesFolder: string): Promise<void> {
  const sample = path.join(samplesFolder, FIRST_SAMPLE);
  if (fs.existsSync(sample)) await vscode.window.showTextDocument(vscode.Uri.file(sample));
}
