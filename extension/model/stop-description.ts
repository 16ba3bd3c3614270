// Reads the adapter's stopped-event text for the IDT vector it names, so the IDT view can show that gate.

/** `int 0x2e from ring 3: IDT[0x2E] -> nt!KiSystemService (...)` -> 0x2E; undefined when no gate is named. */
export function idtVectorOfStop(description: string | undefined): number | undefined {
  if (description === undefined) return undefined;
  const match = /IDT\[(?:0x([0-9a-f]{1,2})|([0-9a-f]{1,2})h?)\]/i.exec(description);
  if (match === null) return undefined;
  return parseInt(match[1] ?? match[2]!, 16);
}
