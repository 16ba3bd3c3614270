// Human-readable output of an oracle run: the per-instruction summary the test prints, and the list of
// distinct discrepancies (markdown) that goes to the engineer who owns the emulator.
import type { AluOracleReport } from './alu-oracle';

export function summaryTable(report: AluOracleReport): string {
  const { tally, seconds } = report;
  const byName = new Map<string, string[]>();
  for (const [key, counts] of tally.perInstruction) {
    const [name, size] = key.split(' ');
    const cell = `${size.padStart(2)}: ${String(counts.cases).padStart(6)} cases ${String(counts.mismatches).padStart(5)} bad` +
      (counts.hostDivideErrors ? ` (${counts.hostDivideErrors} #DE)` : '');
    byName.set(name, [...(byName.get(name) ?? []), cell]);
  }
  const mips = seconds.emulator > 0 ? (report.emulatorInstructions / seconds.emulator / 1e6).toFixed(1) : '-';
  const lines = [
    `      host-CPU oracle: seed ${report.seed}, ${report.variants.length} forms, ${tally.cases} cases (${tally.cases - tally.enumeratedCases} random, ${tally.enumeratedCases} enumerated), ${tally.mismatches} mismatches, ` +
      `#DE host ${tally.hostDivideErrors} / emulator ${tally.emulatorDivideErrors}`,
    `      time: assemble ${seconds.assemble.toFixed(1)} s, generate ${seconds.generate.toFixed(1)} s, host ${seconds.host.toFixed(1)} s, ` +
      `emulator ${seconds.emulator.toFixed(1)} s (${report.emulatorInstructions} instructions, ${mips} MIPS), compare ${seconds.compare.toFixed(1)} s`,
  ];
  for (const [name, cells] of byName) lines.push(`      ${name.padEnd(8)} ${cells.join(' | ')}`);
  for (const problem of [...report.runProblems, ...report.tableProblems].slice(0, 30)) lines.push(`      ! ${problem}`);
  return lines.join('\n');
}

export function findingsMarkdown(report: AluOracleReport): string {
  const { tally } = report;
  const lines = [
    '# Host-CPU oracle findings (test/oracle/host-cpu.test.ts)',
    '',
    `Seed ${report.seed}: ${tally.cases} cases, ${tally.mismatches} mismatches in ${tally.distinctMismatches.size} distinct kinds ` +
      `(form and differing outputs). Reproduce: \`HOSTCPU_SEED=${report.seed} npx mocha out/test/oracle/host-cpu.test.js\`.`,
    'Each entry shows the first case of its kind: inputs, the host CPU, the emulator.',
    '',
  ];
  if (report.runProblems.length) lines.push('## Case loops that did not finish', '', ...report.runProblems.map((problem) => `- ${problem}`), '');
  if (report.tableProblems.length) lines.push('## Instruction table', '', ...report.tableProblems.map((problem) => `- ${problem}`), '');
  const byInstruction = new Map<string, string[]>();
  for (const mismatch of tally.distinctMismatches.values()) {
    const key = `${mismatch.variant.summaryName} (${mismatch.variant.size}-bit)`;
    byInstruction.set(key, [...(byInstruction.get(key) ?? []), '```', mismatch.description, '```']);
  }
  for (const [key, entries] of byInstruction) lines.push(`## ${key}`, '', ...entries, '');
  return lines.join('\n') + '\n';
}
