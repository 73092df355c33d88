import { deepEqual, equal } from "node:assert/strict";
import {
  countOutcomes,
  formatCounts,
  formatFileLine,
  formatOutcome,
  formatSkipSummary,
  sumCounts,
  summarizeSkips,
} from "./report.ts";
import type { Outcome } from "./run_script.ts";

const PASSED: Outcome = {
  line: 3,
  command: "module",
  status: "passed",
  filename: "address.0.wasm",
  expected: "valid",
  actual: "valid",
};
const FAILED: Outcome = {
  line: 9,
  command: "assert_invalid",
  status: "failed",
  filename: "address.1.wasm",
  expected: 'CompileError ("type mismatch")',
  actual: "valid",
};
const SKIPPED: Outcome = {
  line: 104,
  command: "assert_return",
  status: "skipped",
  reason: "execution not implemented",
};

Deno.test("countOutcomes() counts each status", () => {
  deepEqual(countOutcomes([PASSED, SKIPPED, FAILED, SKIPPED]), {
    passed: 1,
    failed: 1,
    skipped: 2,
  });
});

Deno.test("sumCounts() adds up every field", () => {
  deepEqual(
    sumCounts([{ passed: 1, failed: 2, skipped: 3 }, { passed: 10, failed: 20, skipped: 30 }]),
    { passed: 11, failed: 22, skipped: 33 },
  );
});

Deno.test("formatCounts() writes the summary line", () => {
  equal(
    formatCounts({ passed: 4569, failed: 0, skipped: 49424 }),
    "4569 passed, 0 failed, 49424 skipped",
  );
});

Deno.test("formatFileLine() names the file and its counts", () => {
  equal(
    formatFileLine({ file: "address.wast", outcomes: [PASSED, SKIPPED, SKIPPED] }),
    "address.wast: 1 passed, 0 failed, 2 skipped",
  );
});

Deno.test("formatOutcome() shows where a check failed, what was expected and what happened", () => {
  equal(
    formatOutcome("address.wast", FAILED),
    'address.wast:9 assert_invalid address.1.wasm: failed: expected CompileError ("type mismatch"), got valid',
  );
});

Deno.test("formatOutcome() shows the reason of a skip and the verdict of a pass", () => {
  equal(
    formatOutcome("address.wast", SKIPPED),
    "address.wast:104 assert_return: skipped: execution not implemented",
  );
  equal(
    formatOutcome("address.wast", PASSED),
    "address.wast:3 module address.0.wasm: passed: valid",
  );
});

Deno.test("summarizeSkips() groups skips of all files by reason, largest first", () => {
  const text: Outcome = {
    line: 5,
    command: "assert_malformed",
    status: "skipped",
    reason: "text format is not a binary-engine concern",
  };
  const trap: Outcome = { ...SKIPPED, command: "assert_trap" };
  const groups = summarizeSkips([
    { file: "a.wast", outcomes: [text, SKIPPED, PASSED, trap] },
    { file: "b.wast", outcomes: [SKIPPED, FAILED] },
  ]);
  deepEqual(groups, [
    {
      reason: "execution not implemented",
      total: 3,
      byCommand: [["assert_return", 2], ["assert_trap", 1]],
    },
    {
      reason: "text format is not a binary-engine concern",
      total: 1,
      byCommand: [["assert_malformed", 1]],
    },
  ]);
});

Deno.test("formatSkipSummary() prints one line per reason with the commands behind it", () => {
  deepEqual(
    formatSkipSummary([
      {
        reason: "execution not implemented",
        total: 3,
        byCommand: [["assert_return", 2], ["register", 1]],
      },
    ]),
    ["Skipped by reason:", "  3 execution not implemented (assert_return 2, register 1)"],
  );
  deepEqual(formatSkipSummary([]), []);
});
