/**
 * Builds the benchmark's WASI programs (programs/*.c, against
 * include/gate.h) with Debian's clang and wasi-libc, with the flags of
 * `make examples`, into .cache/bench/programs/. Set CLANG to use another
 * clang.
 *
 * @module
 */

const CACHE = new URL("../.cache/bench/programs/", import.meta.url);
const path = (url: URL) => decodeURIComponent(url.pathname);

/** The clang arguments for programs/NAME.c -> out (the Makefile's WASI_CFLAGS and WASI_LDFLAGS). */
export function programArgs(src: string, include: string, out: string): string[] {
  return [
    "--target=wasm32-wasi",
    "-std=c11",
    "-O2",
    "-Wall",
    "-Wextra",
    "-Werror",
    "-Wimplicit-fallthrough",
    `-I${include}`,
    "-Wl,--strip-debug",
    src,
    "-o",
    out,
  ];
}

/** Builds programs/NAME.c into .cache/bench/programs/NAME.wasm; returns its path. */
export async function buildProgram(name: string): Promise<string> {
  await Deno.mkdir(CACHE, { recursive: true });
  const out = path(new URL(`${name}.wasm`, CACHE));
  const src = path(new URL(`./programs/${name}.c`, import.meta.url));
  const include = path(new URL("../include/", import.meta.url));
  const clang = Deno.env.get("CLANG") ?? "clang";
  const args = programArgs(src, include, out);
  let result: Deno.CommandOutput;
  try {
    result = await new Deno.Command(clang, { args, stdout: "piped", stderr: "piped" }).output();
  } catch (cause) {
    throw new Error(`Cannot run "${clang}": install clang, lld and wasi-libc, or set CLANG`, {
      cause,
    });
  }
  if (!result.success) {
    throw new Error(
      `Cannot build program "${name}": "${clang} ${args.join(" ")}" exited ${result.code}: ${
        new TextDecoder().decode(result.stderr)
      }`,
    );
  }
  return out;
}
