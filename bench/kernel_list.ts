/**
 * The kernels in bench/kernels/: one C file each, exporting run(n). n is
 * chosen so one native run takes about 0.3 s on the reference 2-core machine.
 *
 * @module
 */

/** A kernel: its source file stem, its default work size, and what it stresses. */
export interface Kernel {
  name: string;
  n: number;
  stresses: string;
  /** Extra clang flags for the wasm build (wasm target features). */
  wasmFlags?: readonly string[];
}

/** Every kernel, in report order. */
export const KERNELS: readonly Kernel[] = [
  { name: "calls", n: 9_000, stresses: "direct calls and returns" },
  { name: "tak", n: 1_800, stresses: "deep non-tail recursion" },
  { name: "crc32", n: 700, stresses: "integer ALU: shifts, xor, 64-bit multiply" },
  { name: "nbody", n: 5_000_000, stresses: "f64 arithmetic and sqrt" },
  { name: "matmul", n: 270, stresses: "memory-bound f64 loops" },
  { name: "sieve", n: 16, stresses: "strided byte stores over 8 MiB" },
  { name: "sort", n: 16, stresses: "data-dependent branches (quicksort, heapsort)" },
  { name: "vm", n: 13_000_000, stresses: "interpreter loop: switch dispatch" },
  { name: "dispatch", n: 48_000_000, stresses: "indirect calls through a table" },
  {
    name: "bulk",
    n: 1_400_000,
    stresses: "memory.copy and memory.fill",
    wasmFlags: ["-mbulk-memory"],
  },
  { name: "search", n: 190, stresses: "byte loads and skip-table search" },
  { name: "base64", n: 1_800, stresses: "table lookups and byte stores" },
];
