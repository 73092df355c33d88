/**
 * The memory measurements that the density children share: snapshots of
 * the kernel's memory (/proc/meminfo) and of processes (smaps_rollup,
 * smaps). Deno refuses to read /proc/meminfo and other processes' /proc
 * files without --allow-all, so the files are read by `head` (which the
 * children may run); the parsing is in proc_memory.ts.
 *
 * @module
 */

import {
  kernelKib,
  linearMemory,
  type Mapping,
  parseRollup,
  parseSmaps,
  type ProcessMemory,
  splitHeadOutput,
} from "./proc_memory.ts";

/** Files per `head` run, far below the argument list limit. */
const BATCH = 500;

/** Reads files with `head -v`; a file it cannot read is missing from the map. */
export async function readFiles(paths: readonly string[]): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  for (let i = 0; i < paths.length; i += BATCH) {
    const args = ["-v", "-n", "1000000", ...paths.slice(i, i + BATCH)];
    const { stdout } = await new Deno.Command("head", { args, stdout: "piped", stderr: "null" })
      .output();
    for (const [k, v] of splitHeadOutput(new TextDecoder().decode(stdout))) out.set(k, v);
  }
  return out;
}

/** The kernel's memory now (KERNEL_FIELDS of /proc/meminfo). */
export async function kernelNow(): Promise<ReturnType<typeof kernelKib>> {
  const text = (await readFiles(["/proc/meminfo"])).get("/proc/meminfo");
  if (text === undefined) throw new Error("Cannot read /proc/meminfo");
  return kernelKib(text);
}

/** Rss and Pss of each process, by pid; null where it is gone or unreadable. */
export async function processMemory(
  pids: readonly number[],
): Promise<(ProcessMemory | null)[]> {
  const files = await readFiles(pids.map((p) => `/proc/${p}/smaps_rollup`));
  return pids.map((p) => {
    const text = files.get(`/proc/${p}/smaps_rollup`);
    try {
      return text === undefined ? null : parseRollup(text);
    } catch {
      return null;
    }
  });
}

/**
 * A process's mappings (/proc/PID/smaps): the `count` largest by resident
 * size, and an instance's linear memory (linearMemory()).
 */
export async function mappings(
  pid: number,
  count: number,
): Promise<{ top: Mapping[]; linear: Mapping | undefined }> {
  const text = (await readFiles([`/proc/${pid}/smaps`])).get(`/proc/${pid}/smaps`) ?? "";
  const all = parseSmaps(text);
  return {
    top: [...all].sort((a, b) => b.rssKib - a.rssKib).slice(0, count),
    linear: linearMemory(all),
  };
}

/** Resolves after ms milliseconds. */
export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/**
 * Waits until the kernel's memory stops moving (two readings 250 ms apart
 * within 2 MiB, at most 10 s): network namespaces of instances that ended
 * earlier are freed asynchronously, and would otherwise shrink the next
 * measurement's kernel figure.
 */
export async function settleKernel(): Promise<void> {
  let last = (await kernelNow()).total;
  for (let i = 0; i < 40; i++) {
    await sleep(250);
    const now = (await kernelNow()).total;
    if (Math.abs(now - last) < 2048) return;
    last = now;
  }
}
