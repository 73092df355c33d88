/**
 * V8 flag sets for the anchor engines, and reading V8's own compile trace to
 * prove the flags took effect. Pure.
 *
 * Verified on Deno 2.9.6 (V8 15.0): `--liftoff-only` keeps every function in
 * Liftoff even after hot loops (no "using TurboFan" line in the trace),
 * `--no-liftoff` compiles every function with TurboFan, and
 * `--no-wasm-lazy-compilation` compiles every function when the module is
 * created rather than on first call.
 *
 * @module
 */

/** A V8 WebAssembly compiler tier. */
export type V8Tier = "liftoff" | "turbofan";

/** Options for v8Flags(). */
export interface V8FlagOptions {
  /** Compile on the main thread only (for compile-throughput timing). */
  singleThreaded?: boolean;
  /** Print one line per compiled function naming its tier (--trace-wasm-compilation-times). */
  trace?: boolean;
  /** Expose gc() so a benchmark can collect between timed compiles. */
  exposeGc?: boolean;
}

const TIER_FLAGS: Record<V8Tier, readonly string[]> = {
  // --liftoff-only forbids TurboFan; --no-wasm-tier-up says the same to the tiering manager.
  liftoff: ["--liftoff-only", "--no-wasm-tier-up"],
  turbofan: ["--no-liftoff"],
};

/** The V8 flags that pin wasm compilation to one tier, compiled eagerly. */
export function v8Flags(tier: V8Tier, options: V8FlagOptions = {}): string[] {
  const flags = [...TIER_FLAGS[tier], "--no-wasm-lazy-compilation"];
  if (options.singleThreaded) flags.push("--single-threaded");
  if (options.trace) flags.push("--trace-wasm-compilation-times");
  if (options.exposeGc) flags.push("--expose-gc");
  return flags;
}

/** The one `deno run` argument that passes flags to V8. */
export function v8FlagArg(flags: readonly string[]): string {
  for (const f of flags) {
    if (!/^--[a-z0-9-]+(=[^,\s]+)?$/.test(f)) {
      throw new TypeError(`Cannot pass V8 flag "${f}": expected --name or --name=value`);
    }
  }
  return `--v8-flags=${flags.join(",")}`;
}

/** The tier name V8 prints in its compile trace ("Compiled function ... using Liftoff"). */
export const TRACE_TIER_NAME: Record<V8Tier, string> = {
  liftoff: "Liftoff",
  turbofan: "TurboFan",
};

/** Counts "Compiled function ... using <Tier>" lines per tier name. */
export function countTraceTiers(output: string): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const m of output.matchAll(/^Compiled function \S+ using (\w+)/gm)) {
    counts[m[1]!] = (counts[m[1]!] ?? 0) + 1;
  }
  return counts;
}

/**
 * Checks a compile trace against the expected tier: at least `functions`
 * compilations (each defined function compiled at least once) and none by
 * any other tier. Returns a message describing the failure, or undefined.
 */
export function checkTrace(
  counts: Record<string, number>,
  tier: V8Tier,
  functions: number,
): string | undefined {
  const want = TRACE_TIER_NAME[tier];
  const others = Object.entries(counts).filter(([name, n]) => name !== want && n > 0);
  if (others.length) {
    return `expected only ${want} compilations, got ${
      others.map(([name, n]) => `${n} by ${name}`).join(", ")
    }`;
  }
  const got = counts[want] ?? 0;
  if (got < functions) return `expected ${functions} ${want} compilations, got ${got}`;
  return undefined;
}
