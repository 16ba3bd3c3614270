// A module: one entry .asm file assembled on its own and loaded at its base, exporting its `global`
// names and importing its `extern` names from other modules of the same mode.

export type ModuleMode = 'user' | 'kernel';

export interface ModuleSpec {
  /** Short name used in WinDbg-style symbols: 'nt', 'ntdll', 'readfile'. */
  name: string;
  entryFile: string;
  mode: ModuleMode;
  /** Load address; the module's `org` must say the same. */
  base: number;
  /** The entry file's text (read from disk when absent). */
  source?: string;
}

/** `module!Name` as WinDbg prints it. */
export function qualifiedSymbolName(moduleName: string, symbolName: string): string {
  return `${moduleName}!${symbolName}`;
}

/** `module!Name+0x1a` (no offset when zero), WinDbg's lower-case hex. */
export function formatSymbolOffset(moduleName: string, symbolName: string | undefined, offset: number): string {
  const base = symbolName === undefined ? moduleName : qualifiedSymbolName(moduleName, symbolName);
  return offset === 0 ? base : `${base}+0x${offset.toString(16)}`;
}
