// Issue #8: every example and benchmark kernel, suspended at random points
// and each time continued in a new instance process, ends as it does
// uninterrupted: the same output, results or trap, and memory (hashed by V8
// from the final snapshot). tools/snapshot_campaign.ts runs the same jobs
// for longer; GATE_SNAPSHOT_SEED replays a run's delays.
import { assert, assertEquals } from "./_assert.ts";
import {
  type DeterminismJob,
  determinismJobs,
  type JobStats,
  type Reference,
  references,
  runCampaign,
} from "./_determinism_jobs.ts";
import { BASE_SEED, type Outcome } from "./_snapshot_run.ts";

/** Wall time of the random runs, ms: with the build and the references, under a minute. */
const BUDGET = 40_000;
/** Runs side by side (2 cores: the instance processes and Deno share them). */
const WORKERS = 3;
/** Suspensions each job must get, so that none passes without being tested. */
const MIN_POINTS = 5;
/** Suspensions in all (issue #8). */
const MIN_TOTAL = 1000;

const jobs = await determinismJobs();

/** What each uninterrupted run must do, so the comparisons are with a working run. */
function checkReference(job: DeterminismJob, outcome: Outcome): void {
  const context = `${job.name}: ${JSON.stringify(outcome, (_, v) => String(v))}`;
  switch (job.name) {
    case "hello":
      assertEquals(outcome.output, "hello, world\n", context);
      break;
    case "echo":
      assertEquals(outcome.output, new TextDecoder().decode(job.input), context);
      break;
    case "catalog":
      assert(outcome.output.endsWith(": unavailable\n"), context);
      break;
    case "trap":
      assert(outcome.trap?.startsWith("INTEGER_DIVIDE_BY_ZERO in ratio, average, report"), context);
      break;
    case "fib divide":
      assertEquals(outcome.trap, "INTEGER_DIVIDE_BY_ZERO in divide", context);
      break;
    case "counter":
      assertEquals(outcome.output, "tick 1\ntick 2\n", context);
      break;
    default: // fib and the kernels: a checksum
      assertEquals(outcome.results.length, 1, context);
  }
  assertEquals(outcome.exitCode, 0, context);
  assert(outcome.memoryHash !== "no memory" || job.name.startsWith("fib"), context);
}

/** Runs the jobs' references and a campaign; asserts no divergence and enough suspensions. */
async function campaign(selected: DeterminismJob[], budget: number): Promise<JobStats[]> {
  const refs: Reference[] = await references(selected, WORKERS);
  for (const [i, job] of selected.entries()) checkReference(job, refs[i]!.outcome);
  assertEquals(refs.flatMap((r) => r.unstable), [], "two uninterrupted runs differ");

  const started = performance.now();
  const stats = await runCampaign(selected, refs, { budget, workers: WORKERS, seed: BASE_SEED });
  const seconds = (performance.now() - started) / 1000;
  const points = stats.reduce((n, s) => n + s.points, 0);
  const runs = stats.reduce((n, s) => n + s.runs, 0);
  const notes = selected.flatMap((j, i) => [
    ...(j.clockInMemory === undefined
      ? []
      : [`${j.name}: memory not compared: ${j.clockInMemory}`]),
    ...(refs[i]!.outcome.memoryHash === "no memory"
      ? [`${j.name}: no memory, results compared`]
      : []),
  ]);
  console.log(
    `${points} suspend points in ${runs} runs, ${seconds.toFixed(1)} s ` +
      `(points/runs: ${stats.map((s) => `${s.name} ${s.points}/${s.runs}`).join(", ")}); ` +
      `${notes.join("; ")}; GATE_SNAPSHOT_SEED=${BASE_SEED}`,
  );
  const divergences = stats.flatMap((s) => s.divergences);
  assertEquals(divergences, [], `${divergences.length} runs diverged`);
  for (const s of stats) {
    assert(s.points >= MIN_POINTS, `${s.name}: only ${s.points} suspensions in ${s.runs} runs`);
  }
  return stats;
}

Deno.test("Program.restore() continues every example and kernel suspended at random points to the same output, results and memory", async () => {
  const stats = await campaign(jobs, BUDGET);
  const points = stats.reduce((n, s) => n + s.points, 0);
  assert(points >= MIN_TOTAL, `only ${points} suspend points`);
});
