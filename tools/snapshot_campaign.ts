/**
 * The long determinism campaign of issue #8: the jobs of
 * tests/determinism_test.ts (every example and benchmark kernel), suspended
 * at random points and continued in new instance processes, for as long as
 * asked. Divergences are printed as they happen and the campaign goes on;
 * the last line is "N suspend points in M runs, D divergences", and the exit
 * status is 1 when D > 0.
 *
 *   deno run -A tools/snapshot_campaign.ts --minutes 10 [--workers 3] [--seed N]
 *     [--job NAME]... [--skip NAME]...
 *
 * --seed (default GATE_SNAPSHOT_SEED, else the clock) gives the runs the
 * same delays again; --job runs only the jobs named, --skip all but those.
 *
 * @module
 */

import { parseArgs } from "node:util";
import {
  determinismJobs,
  type JobStats,
  references,
  runCampaign,
} from "../tests/_determinism_jobs.ts";
import { BASE_SEED } from "../tests/_snapshot_run.ts";

async function main(): Promise<number> {
  const { values } = parseArgs({
    args: Deno.args,
    options: {
      minutes: { type: "string", default: "10" },
      workers: { type: "string", default: "3" },
      seed: { type: "string", default: String(BASE_SEED) },
      job: { type: "string", multiple: true },
      skip: { type: "string", multiple: true },
    },
    strict: true,
  });
  const minutes = Number(values.minutes);
  const workers = Number(values.workers);
  const seed = Number(values.seed);
  if (!(minutes > 0) || !(workers >= 1) || !Number.isInteger(seed)) {
    throw new RangeError(
      `Cannot run the campaign: need --minutes > 0, --workers >= 1 and an integer --seed`,
    );
  }
  let jobs = await determinismJobs();
  const named = [...(values.job ?? []), ...(values.skip ?? [])];
  const unknown = named.filter((name) => !jobs.some((j) => j.name === name));
  if (unknown.length) throw new RangeError(`Cannot run the campaign: no job "${unknown[0]}"`);
  jobs = jobs.filter((j) =>
    (values.job === undefined || values.job.includes(j.name)) && !values.skip?.includes(j.name)
  );

  const refs = await references(jobs, workers);
  const unstable = refs.flatMap((r) => r.unstable);
  for (const d of unstable) console.log(`DIVERGENCE ${d}`);
  console.log(
    `${jobs.length} jobs, ${minutes} min, ${workers} workers, GATE_SNAPSHOT_SEED=${seed}`,
  );

  const started = performance.now();
  let lastReport = started;
  const seen = new Set<JobStats>();
  const stats = await runCampaign(jobs, refs, {
    budget: minutes * 60_000,
    workers,
    seed,
    onRun: (stat, divergence) => {
      if (divergence !== undefined) console.log(`DIVERGENCE ${divergence}`);
      seen.add(stat);
      if (performance.now() - lastReport > 60_000) {
        lastReport = performance.now();
        const points = [...seen].reduce((n, s) => n + s.points, 0);
        console.log(`... ${((lastReport - started) / 60_000).toFixed(0)} min, ${points} points`);
      }
    },
  });

  for (const [i, s] of stats.entries()) {
    const { clockInMemory } = jobs[i]!;
    console.log(
      `${s.name.padEnd(12)} ${String(s.points).padStart(6)} points ${
        String(s.runs).padStart(5)
      } runs ${(s.ms / 1000).toFixed(1).padStart(6)} s ${s.divergences.length} divergences` +
        (clockInMemory === undefined ? "" : `; memory not compared: ${clockInMemory}`),
    );
  }
  const points = stats.reduce((n, s) => n + s.points, 0);
  const runs = stats.reduce((n, s) => n + s.runs, 0);
  const divergences = unstable.length + stats.reduce((n, s) => n + s.divergences.length, 0);
  console.log(`${points} suspend points in ${runs} runs, ${divergences} divergences`);
  return divergences > 0 ? 1 : 0;
}

if (import.meta.main) Deno.exit(await main());
