// Jest reporter for .ci/run: writes the run's counts, failing files and each file's seconds to the
// JSON file named by CI_JEST_SUMMARY. (`jest --json` is not used: it crashes with "Converting
// circular structure to JSON" when a failed assertion carries an HTTP response, losing the counts.)
const fs = require('node:fs');
const path = require('node:path');

class SummaryReporter {
  onRunComplete(_contexts, results) {
    const file = process.env.CI_JEST_SUMMARY;
    if (!file) return;
    const name = (r) => path.relative(process.cwd(), r.testFilePath);
    const summary = {
      passed: results.numPassedTests,
      failed: results.numFailedTests + results.numRuntimeErrorTestSuites,
      skipped: results.numPendingTests + results.numTodoTests,
      failedFiles: results.testResults.filter((r) => r.numFailingTests > 0 || r.testExecError).map(name),
      seconds: Object.fromEntries(
        results.testResults.map((r) => [name(r), Math.round((r.perfStats.end - r.perfStats.start) / 100) / 10]),
      ),
    };
    fs.writeFileSync(file, `${JSON.stringify(summary, null, 2)}\n`);
  }
}

module.exports = SummaryReporter;
