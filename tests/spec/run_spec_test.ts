// Integration tests: these run wast2json and write under .cache/spec_test/.
import { deepEqual, equal, match, rejects } from "node:assert/strict";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import type { Engine } from "./engine.ts";
import { countOutcomes } from "./report.ts";
import { runSpec, type SpecFileResult } from "./run_spec.ts";
import { createV8Engine } from "./v8_engine.ts";

const SAMPLE = fileURLToPath(new URL("./testdata/sample.wast", import.meta.url));
const ROOT = fileURLToPath(new URL("../../.cache/spec_test/", import.meta.url));

async function collect(
  paths: string[],
  engine: Engine,
  cacheRoot: string,
): Promise<SpecFileResult[]> {
  const results: SpecFileResult[] = [];
  for await (const result of runSpec(paths, { engine, cacheRoot, jobs: 2 })) results.push(result);
  return results;
}

async function freshDir(name: string): Promise<string> {
  const dir = join(ROOT, name);
  await Deno.remove(dir, { recursive: true }).catch(() => {});
  await Deno.mkdir(dir, { recursive: true });
  return dir;
}

Deno.test("runSpec() validates, skips and counts each command of a script", async () => {
  const dir = await freshDir("counts");
  const [result] = await collect([SAMPLE], createV8Engine(), dir);
  deepEqual(result?.outcomes.map((o) => [o.line, o.command, o.status, o.reason]), [
    [3, "module", "passed", undefined],
    [4, "assert_return", "skipped", "execution not implemented"],
    [5, "assert_invalid", "passed", undefined],
    [6, "assert_malformed", "skipped", "text format is not a binary-engine concern"],
    [7, "assert_malformed", "passed", undefined],
    [8, "assert_unlinkable", "passed", undefined],
    [9, "register", "skipped", "execution not implemented"],
  ]);
  equal(result?.file, "sample.wast");
});

Deno.test("runSpec() fails the checks an engine gets wrong", async () => {
  const dir = await freshDir("wrong");
  const acceptsAll: Engine = { name: "accepts-all", validate: () => ({ valid: true }) };
  const [result] = await collect([SAMPLE], acceptsAll, dir);
  deepEqual(countOutcomes(result?.outcomes ?? []), { passed: 2, failed: 2, skipped: 3 });
  deepEqual(result?.outcomes.filter((o) => o.status === "failed").map((o) => o.line), [5, 7]);
});

Deno.test("runSpec() reuses a conversion until the .wast changes", async () => {
  const dir = await freshDir("cache");
  const wast = join(dir, "sample.wast");
  await Deno.copyFile(SAMPLE, wast);
  const cacheRoot = join(dir, "cache");
  const engine = createV8Engine();

  const [cold] = await collect([wast], engine, cacheRoot);
  const [warm] = await collect([wast], engine, cacheRoot);
  equal(cold?.cached, false);
  equal(warm?.cached, true);
  deepEqual(warm?.outcomes, cold?.outcomes);

  // A stale module must not survive reconversion.
  await Deno.writeFile(join(cacheRoot, "sample", "stale.wasm"), new Uint8Array());
  await Deno.writeTextFile(wast, "(module)\n", { append: true });
  const [changed] = await collect([wast], engine, cacheRoot);
  equal(changed?.cached, false);
  deepEqual(countOutcomes(changed?.outcomes ?? []), { passed: 5, failed: 0, skipped: 3 });
  await rejects(Deno.stat(join(cacheRoot, "sample", "stale.wasm")), Deno.errors.NotFound);
});

Deno.test("runSpec() reports a file wast2json rejects as one failure and goes on", async () => {
  const dir = await freshDir("broken");
  const broken = join(dir, "broken.wast");
  await Deno.writeTextFile(broken, "(module\n");
  const results = await collect([broken, SAMPLE], createV8Engine(), join(dir, "cache"));
  deepEqual(results.map((r) => r.file), ["broken.wast", "sample.wast"]);
  const [failure] = results[0]?.outcomes ?? [];
  equal(failure?.status, "failed");
  equal(failure?.command, "wast2json");
  match(failure?.actual ?? "", /^Cannot convert ".*broken\.wast": wast2json exited with code 1: /);
  equal(countOutcomes(results[1]?.outcomes ?? []).passed, 4);
});
