// Prints vitest's totals as one plain "N passed, N failed" line (read by CI), from its JSON report.
import { readFileSync } from "node:fs";

const file = process.argv[2] ?? ".vitest-report.json";
const report = JSON.parse(readFileSync(file, "utf8"));
const skipped = (report.numPendingTests ?? 0) + (report.numTodoTests ?? 0);
console.log(`${report.numPassedTests} passed, ${report.numFailedTests} failed${skipped ? `, ${skipped} skipped` : ""}`);
process.exit(report.numFailedTests > 0 || report.numTotalTests === 0 ? 1 : 0);
