/**
 * Jest reporter that ends the run with one plain summary line, `Tests: N passed, N failed, N skipped`,
 * which CI systems that do not parse jest's own output can read.
 */
class SummaryReporter {
  onRunComplete(_contexts, results) {
    const line = `Tests: ${results.numPassedTests} passed, ${results.numFailedTests} failed, ${results.numPendingTests + results.numTodoTests} skipped`;
    // printed at exit, after jest's own summary, so it is the run's last line (stdout to a pipe is synchronous)
    process.once('exit', () => process.stdout.write(`\n${line}\n`));
  }
}
module.exports = SummaryReporter;
