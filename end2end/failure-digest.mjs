// Prints each failed Playwright test with the start of its error, from the JSON reporter's file.
// `make test` prints this last, so a CI log that keeps only its tail still says what failed and why.
import { readFileSync } from "node:fs";

const file = process.argv[2];
let report;
try {
  report = JSON.parse(readFileSync(file, "utf8"));
} catch {
  process.exit(0);
}
// eslint-disable-next-line no-control-regex
const plain = (text) => String(text ?? "").replace(/\x1b\[[0-9;]*m/g, "");
const failed = [];
const walk = (suite, path) => {
  for (const spec of suite.specs ?? []) {
    for (const test of spec.tests ?? []) {
      const last = (test.results ?? []).at(-1);
      if (!last || last.status === "passed" || last.status === "skipped") continue;
      const error = plain(last.error?.message ?? last.errors?.[0]?.message ?? last.status);
      const where = last.error?.location ? `${last.error.location.file.split("/").pop()}:${last.error.location.line}` : "";
      failed.push({ title: `[${test.projectName}] ${[...path, spec.title].join(" › ")}`, where, error });
    }
  }
  for (const child of suite.suites ?? []) walk(child, [...path, child.title]);
};
for (const suite of report.suites ?? []) walk(suite, [suite.title]);
if (failed.length === 0) process.exit(0);
console.log(`\nPlaywright failures (${failed.length}):`);
for (const f of failed) {
  console.log(`- ${f.title}${f.where ? `  (${f.where})` : ""}`);
  for (const line of f.error.split("\n").slice(0, 14)) console.log(`    ${line}`);
}
