// Mocha's spec reporter plus one closing line in the plain form CI reads: "N passed, N failed, N skipped".
import * as Mocha from 'mocha';

class SpecWithSummaryReporter extends Mocha.reporters.Spec {
  constructor(runner: Mocha.Runner, options?: Mocha.MochaOptions) {
    super(runner, options);
    runner.once(Mocha.Runner.constants.EVENT_RUN_END, () => {
      const stats = runner.stats;
      if (!stats) return;
      // printed after the spec reporter's epilogue, alone on its line
      process.stdout.write(`\nmocha: ${stats.passes} passed, ${stats.failures} failed, ${stats.pending} skipped\n`);
    });
  }
}

export = SpecWithSummaryReporter;
