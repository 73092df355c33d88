/**
 * Snapshots on the command line: the file name `gate call` and `gate
 * resume` write a snapshot to, and `gate snapshot --inspect`'s rendering of
 * a snapshot's description. Pure.
 *
 * @module
 */

import { basename } from "node:path";
import type { SnapshotDescription, SnapshotFrame } from "../ffi/snapshot.ts";
import { TRAP_INFO } from "../ffi/traps.gen.ts";

/** What a snapshot file name ends with, after NAME and the id's first 8 hex digits. */
const SNAPSHOT_SUFFIX = /\.[0-9a-f]{8}\.snapshot\.wasm$/;

/**
 * The program's name in a module or snapshot path: `dir/counter.wasm` and
 * `counter.1a2b3c4d.snapshot.wasm` are both "counter", so that snapshots of
 * snapshots keep the name.
 */
export function programName(path: string): string {
  const file = basename(path);
  const name = file.replace(SNAPSHOT_SUFFIX, "").replace(/\.wasm$/, "");
  return name === "" ? "program" : name;
}

/** `./NAME.SHA8.snapshot.wasm`: where a snapshot goes without `--snapshot PATH`. */
export function snapshotFileName(path: string, id: string): string {
  if (!/^[0-9a-f]{64}$/.test(id)) throw new RangeError(`Bad snapshot id "${id}"`);
  return `./${programName(path)}.${id.slice(0, 8)}.snapshot.wasm`;
}

/** Renders a snapshot description for people: a header, then one line per frame. */
export function formatSnapshot(path: string, id: string, info: SnapshotDescription): string {
  const lines = [
    `${path}: snapshot, ${outcome(info)}`,
    `  sha256 ${id}`,
    `  monotonic clock ${formatSeconds(info.monotonic)} s, memory ${info.memory} bytes, ` +
    `input ${info.input} bytes, output ${info.output} bytes`,
  ];
  if (info.services.length > 0) lines.push(`  services: ${info.services.join(", ")}`);
  if (info.frames.length === 0) lines.push("  no stack");
  else {
    lines.push(`  stack, innermost frame first:`);
    for (const frame of info.frames) lines.push(`    ${formatFrame(frame)}`);
  }
  return lines.join("\n");
}

/**
 * One frame in one line: `at loop (function 1, offset 0xc) locals [i32:3]
 * stack [i64:-1]`; a host frame names the import or instruction and its
 * arguments.
 */
export function formatFrame(frame: SnapshotFrame): string {
  const what = frame.instruction ?? frame.name ?? `function[${frame.function}]`;
  const where = frame.function === undefined
    ? ""
    : frame.offset === undefined
    ? ` (function ${frame.function})`
    : ` (function ${frame.function}, offset 0x${frame.offset.toString(16)})`;
  let line = `${frame.kind} ${what}${where}`;
  if (frame.locals !== undefined) line += ` locals [${frame.locals.join(", ")}]`;
  if (frame.stack !== undefined) line += ` stack [${frame.stack.join(", ")}]`;
  if (frame.args !== undefined) line += ` arguments [${frame.args.join(", ")}]`;
  return line;
}

function outcome(info: SnapshotDescription): string {
  if (!info.final) return "suspended (resumable)";
  const trap = TRAP_INFO[info.trap];
  if (trap?.name === "EXIT") return `final: the program exited with code ${info.result}`;
  if (trap === undefined || trap.name === "NONE") return "final: the program returned";
  return `final: the program trapped: ${trap.message}`;
}

function formatSeconds(ns: number): string {
  return (ns / 1e9).toFixed(9);
}
