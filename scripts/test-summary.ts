/**
 * Prints the test run's closing line in the plain form CI reads —
 * `tests: N passed, N failed, N skipped` — from vitest's JSON report.
 */
import { existsSync, readFileSync } from "node:fs"

const file = ".vitest/results.json"
if (!existsSync(file)) {
  console.log("tests: 0 passed, 1 failed")
  console.error(`no ${file}: vitest did not finish`)
  process.exit(0)
}
const r = JSON.parse(readFileSync(file, "utf8")) as {
  numPassedTests: number
  numFailedTests: number
  numPendingTests: number
  numTodoTests: number
  numFailedTestSuites: number
}
// A file that fails to load has no tests to count but is a failure all the same.
const failed = r.numFailedTests + (r.numFailedTests === 0 ? r.numFailedTestSuites : 0)
console.log(
  `tests: ${r.numPassedTests} passed, ${failed} failed, ${r.numPendingTests + r.numTodoTests} skipped`,
)
