/**
 * Builds each kernel twice with the same clang: to freestanding wasm32 and
 * to a native executable that times run(n) in-process (kernels/native_main.c).
 * Outputs go to .cache/bench/kernels/; a kernel is rebuilt only when its
 * sources, the flags or the compiler version change (a hash in <name>.stamp).
 *
 * @module
 */

import type { Kernel } from "./kernel_list.ts";

const SRC = new URL("./kernels/", import.meta.url);
const OUT = new URL("../.cache/bench/kernels/", import.meta.url);

/**
 * Flags for the kernel source in both builds. -ffreestanding: no libc and no
 * assumptions about it, so clang neither calls nor recognises library
 * functions the wasm build could not link. -fno-math-errno: sqrt is an
 * instruction on both sides.
 */
const KERNEL_FLAGS = [
  "-O2",
  "-std=c11",
  "-Wall",
  "-Wextra",
  "-Werror",
  "-ffreestanding",
  "-fno-math-errno",
];
const WASM_FLAGS = ["--target=wasm32", "-nostdlib", "-Wl,--no-entry", "-Wl,--export=run"];
const MAIN_FLAGS = ["-O2", "-std=c11", "-Wall", "-Wextra", "-Werror"];

/** A kernel with the paths of its two builds. */
export interface BuiltKernel extends Kernel {
  wasmPath: string;
  nativePath: string;
}

/** Builds the kernels that are out of date; returns all of them with their paths. */
export async function buildKernels(kernels: readonly Kernel[]): Promise<BuiltKernel[]> {
  const clang = Deno.env.get("CLANG") ?? "clang";
  const outDir = path(OUT);
  await Deno.mkdir(outDir, { recursive: true });
  const version = (await exec(clang, ["--version"])).split("\n")[0] ?? "";
  const shared = await Promise.all(["kernel.h", "native_main.c"].map((f) => read(f)));
  const out: BuiltKernel[] = [];
  let built = 0;
  for (const k of kernels) {
    const source = `${path(SRC)}${k.name}.c`;
    const wasmPath = `${outDir}${k.name}.wasm`;
    const nativePath = `${outDir}${k.name}.native`;
    const objPath = `${outDir}${k.name}.o`;
    const wasmArgs = [
      ...KERNEL_FLAGS,
      ...WASM_FLAGS,
      ...(k.wasmFlags ?? []),
      "-o",
      wasmPath,
      source,
    ];
    const objArgs = [...KERNEL_FLAGS, "-c", "-o", objPath, source];
    const mainArgs = [...MAIN_FLAGS, "-o", nativePath, `${path(SRC)}native_main.c`, objPath];
    const stamp = await hash([
      version,
      wasmArgs,
      objArgs,
      mainArgs,
      await read(`${k.name}.c`),
      ...shared,
    ]);
    const stampPath = `${outDir}${k.name}.stamp`;
    if (!(await upToDate(stampPath, stamp, [wasmPath, nativePath]))) {
      await exec(clang, wasmArgs);
      await exec(clang, objArgs);
      await exec(clang, mainArgs);
      await checkNoImports(k.name, wasmPath);
      await Deno.writeTextFile(stampPath, stamp);
      built++;
    }
    out.push({ ...k, wasmPath, nativePath });
  }
  if (built) console.error(`bench: built ${built} kernel(s) with ${version}`);
  return out;
}

/** A kernel must be self-contained: run(n) with no host functions to call. */
async function checkNoImports(name: string, wasmPath: string): Promise<void> {
  const mod = new WebAssembly.Module(await Deno.readFile(wasmPath));
  const imports = WebAssembly.Module.imports(mod);
  if (imports.length) {
    const list = imports.map((i) => `${i.module}.${i.name}`).join(", ");
    throw new Error(`Cannot use kernel "${name}": its wasm build imports ${list}`);
  }
  if (!WebAssembly.Module.exports(mod).some((e) => e.name === "run" && e.kind === "function")) {
    throw new Error(`Cannot use kernel "${name}": its wasm build does not export run()`);
  }
}

async function upToDate(stampPath: string, stamp: string, outputs: string[]): Promise<boolean> {
  try {
    if ((await Deno.readTextFile(stampPath)) !== stamp) return false;
    for (const o of outputs) await Deno.stat(o);
    return true;
  } catch {
    return false;
  }
}

async function exec(cmd: string, args: string[]): Promise<string> {
  let result: Deno.CommandOutput;
  try {
    result = await new Deno.Command(cmd, { args, stdout: "piped", stderr: "piped" }).output();
  } catch (cause) {
    throw new Error(`Cannot run "${cmd}": install clang and lld (apt-get install clang lld)`, {
      cause,
    });
  }
  const text = new TextDecoder();
  if (!result.success) {
    throw new Error(
      `Cannot build a kernel: "${cmd} ${args.join(" ")}" exited ${result.code}: ${
        text.decode(result.stderr)
      }`,
    );
  }
  return text.decode(result.stdout);
}

function read(file: string): Promise<string> {
  return Deno.readTextFile(new URL(file, SRC));
}

async function hash(parts: unknown[]): Promise<string> {
  const data = new TextEncoder().encode(JSON.stringify(parts));
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", data));
  return Array.from(digest, (b) => b.toString(16).padStart(2, "0")).join("");
}

function path(url: URL): string {
  return decodeURIComponent(url.pathname);
}
