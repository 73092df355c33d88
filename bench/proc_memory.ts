/**
 * Reads memory figures from Linux's /proc text formats: /proc/meminfo
 * (system-wide, for the kernel's own memory) and /proc/PID/smaps_rollup or
 * /proc/PID/smaps (one process's resident and proportional set sizes).
 * Pure: the callers read the files.
 *
 * @module
 */

/** Parses "Name:   1234 kB" lines into KiB by name (lines without kB are skipped). */
export function parseKibFields(text: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const line of text.split("\n")) {
    const m = /^(\w+(?:\(\w+\))?):\s+(\d+) kB$/.exec(line.trim());
    if (m) out[m[1]!] = Number(m[2]);
  }
  return out;
}

/**
 * /proc/meminfo fields that are the kernel's own memory for processes:
 * slab caches (task structs, namespaces, sockets, files, ...), kernel
 * stacks, page tables and per-CPU allocations. Summed as "kernel" memory.
 */
export const KERNEL_FIELDS = [
  "SReclaimable",
  "SUnreclaim",
  "KernelStack",
  "PageTables",
  "SecPageTables",
  "Percpu",
] as const;

/** The kernel's memory of a /proc/meminfo text in KiB, by KERNEL_FIELDS and in total. */
export function kernelKib(meminfo: string): { total: number; fields: Record<string, number> } {
  const all = parseKibFields(meminfo);
  const fields: Record<string, number> = {};
  let total = 0;
  for (const f of KERNEL_FIELDS) {
    const v = all[f] ?? 0;
    fields[f] = v;
    total += v;
  }
  return { total, fields };
}

/** Field-by-field after - before (KiB), with the total. */
export function kernelDelta(
  before: { total: number; fields: Record<string, number> },
  after: { total: number; fields: Record<string, number> },
): { total: number; fields: Record<string, number> } {
  const fields: Record<string, number> = {};
  for (const f of Object.keys(after.fields)) fields[f] = after.fields[f]! - (before.fields[f] ?? 0);
  return { total: after.total - before.total, fields };
}

/** Resident and proportional set sizes of one process, in KiB. */
export interface ProcessMemory {
  rssKib: number;
  pssKib: number;
}

/** Rss and Pss of a /proc/PID/smaps_rollup text; throws if either is missing. */
export function parseRollup(text: string): ProcessMemory {
  const f = parseKibFields(text);
  if (f.Rss === undefined || f.Pss === undefined) {
    throw new SyntaxError("Cannot find Rss and Pss in smaps_rollup");
  }
  return { rssKib: f.Rss, pssKib: f.Pss };
}

/** One mapping of /proc/PID/smaps: its addresses, permissions, KiB and name. */
export interface Mapping {
  start: number;
  end: number;
  perms: string;
  name: string;
  sizeKib: number;
  rssKib: number;
  pssKib: number;
}

/** Splits a /proc/PID/smaps text into its mappings. */
export function parseSmaps(text: string): Mapping[] {
  const out: Mapping[] = [];
  let current: Mapping | undefined;
  for (const line of text.split("\n")) {
    const head = /^([0-9a-f]+)-([0-9a-f]+)\s+(\S+)\s+\S+\s+\S+\s+\d+\s*(.*)$/.exec(line);
    if (head) {
      current = {
        start: parseInt(head[1]!, 16), // user addresses are below 2^47: exact in a double
        end: parseInt(head[2]!, 16),
        perms: head[3]!,
        name: head[4]!.trim(),
        sizeKib: 0,
        rssKib: 0,
        pssKib: 0,
      };
      out.push(current);
      continue;
    }
    const m = /^(Size|Rss|Pss):\s+(\d+) kB$/.exec(line.trim());
    if (m && current) {
      const v = Number(m[2]);
      if (m[1] === "Size") current.sizeKib = v;
      else if (m[1] === "Rss") current.rssKib = v;
      else current.pssKib = v;
    }
  }
  return out;
}

/** Sums processes' memory. */
export function sumMemory(all: readonly ProcessMemory[]): ProcessMemory {
  return all.reduce((s, m) => ({ rssKib: s.rssKib + m.rssKib, pssKib: s.pssKib + m.pssKib }), {
    rssKib: 0,
    pssKib: 0,
  });
}

/**
 * An instance's linear memory among its mappings: the accessible (rw)
 * anonymous mapping directly below the largest mapping, which is the
 * inaccessible reservation that the memory grows into (and its guard).
 */
export function linearMemory(maps: readonly Mapping[]): Mapping | undefined {
  const reservation = maps.reduce<Mapping | undefined>(
    (big, m) => (big === undefined || m.sizeKib > big.sizeKib ? m : big),
    undefined,
  );
  if (reservation === undefined || reservation.perms.startsWith("rw")) return undefined;
  return maps.find((m) => m.end === reservation.start && m.perms.startsWith("rw") && !m.name);
}

/**
 * Splits the output of `head -v FILE...` ("==> FILE <==" before each file's
 * lines, a blank line between files) into the files' texts.
 */
export function splitHeadOutput(text: string): Map<string, string> {
  const out = new Map<string, string>();
  const parts = text.split(/^==> (.*) <==\n/m);
  for (let i = 1; i + 1 < parts.length; i += 2) {
    out.set(parts[i]!, parts[i + 1]!.replace(/\n\n$/, "\n"));
  }
  return out;
}
