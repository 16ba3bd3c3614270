// Matches the function a stack frame is in against the symbols the views show (`nt!NtReadFile+0x1a`).

/** `nt!NtReadFile+0x1a (readfile.asm:12)` -> `NtReadFile`; the module is dropped because views may omit it. */
export function functionOfSymbol(name: string): string {
  const withoutSuffix = name.trim().split(/\s/)[0]!.replace(/\+0x[0-9a-f]+$/i, '');
  return withoutSuffix.includes('!') ? withoutSuffix.slice(withoutSuffix.indexOf('!') + 1) : withoutSuffix;
}

/** Whether a row's symbol names the start of the function the frame is in. */
export function isFrameFunction(frameName: string, symbol: string | null): boolean {
  if (symbol === null || /\+0x/i.test(symbol)) return false;
  const frameFunction = functionOfSymbol(frameName);
  return frameFunction !== '' && frameFunction === functionOfSymbol(symbol);
}
