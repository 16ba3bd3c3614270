// Compares two builds of the emulator on system calls per second, interleaved so that both see the same
// machine: each round runs build A and build B in fresh processes (order alternating), each process boots
// the NT model once, warms up with 500,000 NtClose round trips and measures five windows of 200,000 by CPU
// time. Prints each build's median and the per-round ratio B/A, the figure to trust on a noisy machine.
// Usage: node scripts/bench-ab.mjs OUT_DIR_A OUT_DIR_B [ROUNDS]   (OUT_DIR: a tsc outDir, e.g. out/ of a worktree)
import { spawnSync } from 'node:child_process';
import { resolve } from 'node:path';

const PROBE = `
const { launchSyscallSystem } = require(process.argv[1] + '/bench/syscall-system');
function measure(mechanism) {
  const { machine } = launchSyscallSystem(mechanism, { systemCalls: 50_000_000, snapshot: false });
  const perCall = mechanism === 'sysenter' ? 124 : 103;
  const window = (calls) => {
    const cpu = process.cpuUsage(); const first = machine.instructionCount;
    let left = calls * perCall;
    while (left > 0) { const before = machine.instructionCount; machine.runSlice(Math.min(left, 5_000_000)); left -= machine.instructionCount - before; }
    const used = process.cpuUsage(cpu);
    return (machine.instructionCount - first) / perCall / ((used.user + used.system) / 1e6);
  };
  window(500_000);
  const rates = []; for (let i = 0; i < 5; i++) rates.push(window(200_000));
  rates.sort((a, b) => a - b); return Math.round(rates[2]);
}
console.log(JSON.stringify({ sysenter: measure('sysenter'), int2e: measure('int2e') }));
`;

const [first, second, roundsText] = process.argv.slice(2);
if (!first || !second) {
  console.error('usage: node scripts/bench-ab.mjs OUT_DIR_A OUT_DIR_B [ROUNDS]');
  process.exit(2);
}
const builds = [resolve(first), resolve(second)];
const rounds = Number(roundsText ?? 5);
const probe = (outDir) => {
  const child = spawnSync(process.execPath, ['-e', PROBE, outDir], { encoding: 'utf8' });
  if (child.status !== 0) throw new Error(`${outDir}: ${child.stderr}`);
  return JSON.parse(child.stdout);
};
const results = [[], []];
for (let round = 0; round < rounds; round++) {
  const order = round % 2 === 0 ? [0, 1] : [1, 0];
  for (const index of order) results[index].push(probe(builds[index]));
  console.log(`round ${round + 1}: A ${JSON.stringify(results[0][round])}  B ${JSON.stringify(results[1][round])}`);
}
const median = (values) => [...values].sort((a, b) => a - b)[values.length >> 1];
for (const mechanism of ['sysenter', 'int2e']) {
  const a = results[0].map((result) => result[mechanism]);
  const b = results[1].map((result) => result[mechanism]);
  const ratios = a.map((value, round) => b[round] / value);
  console.log(`${mechanism.padEnd(9)} A ${median(a)}/s  B ${median(b)}/s  B/A per round: median ${median(ratios).toFixed(3)} (${ratios.map((ratio) => ratio.toFixed(2)).join(' ')})`);
}
