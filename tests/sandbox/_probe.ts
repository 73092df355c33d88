// Helpers for the escape suite: the TEST-ONLY probe executor
// (native/build/gate-executor-probe, docs/sandbox.md) and its PROBE request.
import { dirname, join } from "node:path";
import { type Channel, Executor } from "../../ffi/_executor.ts";
import { libraryPath } from "../../ffi/_library.ts";
import { Msg } from "../../ffi/_protocol.ts";
import { ProcessError } from "../../ffi/errors.ts";

/** How a probe attempt ended. */
export type Outcome =
  | { kind: "returned"; value: bigint }
  | { kind: "signal"; signal: number }
  | { kind: "exit"; code: number };

export const SIGSYS = 31;
export const X32_SYSCALL_BIT = 0x40000000;

/** Syscall entry paths of the probe (probe.c). */
export const Mode = { FACTS: 0, SYSCALL: 1, INT80: 2 } as const;
/** What probe.c adds to args[0]. */
export const Base = { NONE: 0, CODE: 1, MEMORY: 2, STACK: 3 } as const;

/** Starts the probe executor, beside libgate. */
export function startProbe(): Promise<Executor> {
  return Executor.start(join(dirname(libraryPath()), "gate-executor-probe"));
}

function payload(mode: number, nr: number, base: number, args: bigint[]): Uint8Array {
  const out = new Uint8Array(64);
  const view = new DataView(out.buffer);
  view.setUint32(0, mode, true);
  view.setUint32(4, nr >>> 0, true);
  view.setUint32(8, base, true);
  args.forEach((a, i) => view.setBigUint64(16 + 8 * i, BigInt.asUintN(64, a), true));
  return out;
}

/** Sends one PROBE to a channel and reports how it ended. */
export async function probe(
  channel: Channel,
  mode: number,
  nr: number,
  base = 0,
  args: bigint[] = [],
): Promise<Outcome> {
  try {
    const reply = await channel.request(Msg.PROBE, payload(mode, nr, base, args));
    const view = new DataView(reply.payload.buffer, reply.payload.byteOffset);
    return { kind: "returned", value: view.getBigInt64(0, true) };
  } catch (error) {
    if (!(error instanceof ProcessError) || error.exit === undefined) throw error;
    return "signal" in error.exit
      ? { kind: "signal", signal: error.exit.signal }
      : { kind: "exit", code: error.exit.code };
  } finally {
    channel.close();
  }
}

/** Reads the facts the instance gathered just before its filter. */
export async function facts(executor: Executor): Promise<Map<string, string>> {
  const channel = await executor.spawn();
  try {
    const reply = await channel.request(Msg.PROBE, payload(Mode.FACTS, 0, 0, []));
    const text = new TextDecoder().decode(reply.payload);
    return new Map(
      text.trim().split("\n").map((line) => {
        const at = line.indexOf("=");
        return [line.slice(0, at), line.slice(at + 1)] as [string, string];
      }),
    );
  } finally {
    channel.close();
  }
}

/** One attempt per instance process, `width` at a time. */
export async function sweep(
  executor: Executor,
  attempts: { mode: number; nr: number; base?: number; args?: bigint[] }[],
  width = 32,
): Promise<Outcome[]> {
  const out: Outcome[] = new Array(attempts.length);
  let next = 0;
  async function worker() {
    while (next < attempts.length) {
      const i = next++;
      const a = attempts[i]!;
      out[i] = await probe(await executor.spawn(), a.mode, a.nr, a.base, a.args);
    }
  }
  await Promise.all(Array.from({ length: width }, worker));
  return out;
}
