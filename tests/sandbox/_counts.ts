// Resource counts for the hostile-program and fault tests: descriptors of
// this (Deno) process and children of the executor. Deno's permissions keep
// /proc from the test itself (it wants --allow-all), so a shell reads it.

async function sh(script: string): Promise<string> {
  const { stdout } = await new Deno.Command("sh", {
    args: ["-c", script],
    stdin: "null",
    stdout: "piped",
    stderr: "null",
  }).output();
  return new TextDecoder().decode(stdout);
}

/**
 * Number of descriptors open in this process (while the reading shell runs,
 * so including its pipe: compare counts taken this way only). Deno may still
 * hold a descriptor or two of an earlier operation when a baseline is taken,
 * so tests check that a later count is at most the baseline.
 */
export async function openDescriptors(): Promise<number> {
  return Number((await sh(`ls /proc/${Deno.pid}/fd | wc -l`)).trim());
}

/** Pids of the children of a process (the children of all its threads). */
export async function childrenOf(pid: number): Promise<number[]> {
  const text = (await sh(`cat /proc/${pid}/task/*/children 2>/dev/null`)).trim();
  return text ? text.split(/\s+/).map(Number) : [];
}

/** Whether a process exists and is not a zombie. */
export async function running(pid: number): Promise<boolean> {
  const stat = await sh(`cat /proc/${pid}/stat 2>/dev/null`);
  return stat !== "" && stat.slice(stat.lastIndexOf(")") + 2)[0] !== "Z";
}

/** CPU time (utime + stime, in clock ticks) a process has used so far. */
export async function cpuTicks(pid: number): Promise<number> {
  const stat = await sh(`cat /proc/${pid}/stat 2>/dev/null`);
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return Number(fields[11]) + Number(fields[12]);
}

/**
 * Reads a value until ok() holds or a generous deadline passes (reaping is
 * asynchronous) and returns the last one: the caller asserts on it. The
 * deadline only bounds a failing test; nothing here measures time.
 */
export async function settle<T>(
  read: () => Promise<T>,
  ok: (value: T) => boolean,
): Promise<T> {
  let value = await read();
  for (let i = 0; i < 250 && !ok(value); i++) {
    await new Promise((resolve) => setTimeout(resolve, 20));
    value = await read();
  }
  return value;
}

/** Resident set size of a process in bytes (VmRSS), 0 if it is gone. */
export async function residentBytes(pid: number): Promise<number> {
  const line = await sh(`grep '^VmRSS:' /proc/${pid}/status 2>/dev/null`);
  const kib = /(\d+)\s*kB/.exec(line)?.[1];
  return kib === undefined ? 0 : Number(kib) * 1024;
}
