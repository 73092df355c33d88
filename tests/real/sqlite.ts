/**
 * The SQLite command-line shell, built from source as a WASI preview1
 * command: the amalgamation (sqlite3.c) and shell.c come from the
 * sqlite-autoconf tarball that the `sqlite3` npm package vendors, pinned by
 * version and SHA-256, and Debian's clang with wasi-libc compiles them into
 * .cache/real/sqlite/. A build is done once per recipe (sources, flags and
 * shim) and reused after that.
 *
 * @module
 */

import { CACHE } from "./_run.ts";

/** The pinned source: npm package, its tarball's hash, and the tarball inside it. */
export const SQLITE_SOURCE = {
  pkg: "sqlite3",
  version: "6.0.1",
  /** SHA-256 of sqlite3-6.0.1.tgz as `npm pack` writes it (the registry's tarball). */
  sha256: "ab8d044a93e05bd031d7ea75547c7fa60387cdc259d27f93c0e3e2832c4b1df9",
  /** SQLite 3.52.0, as the package vendors it in deps/. */
  autoconf: "sqlite-autoconf-3520000",
  autoconfSha256: "f6b50b0c103392af32a8be15b2b9d25959de9a00a70c3979128aafeaa5338b3f",
} as const;

const HERE = new URL("./", import.meta.url).pathname;
const DIR = `${CACHE}sqlite/`;

// sqlite3.c itself needs no flags: when __wasi__ is defined it sets
// SQLITE_THREADSAFE=0 and SQLITE_OMIT_LOAD_EXTENSION, leaves out WAL and
// mmap, and makes "unix-dotfile" (a lock directory beside the database) the
// default VFS. shell.c includes <signal.h> and <sys/resource.h> and calls
// getpid(), which wasi-libc offers only as opt-in emulations; without
// SQLITE_NOHAVE_SYSTEM it would call system() for .system, .shell and .edit.
// The name section stays (--strip-debug drops only DWARF), as in `make examples`.
const CFLAGS = ["--target=wasm32-wasi", "-O2"];
const SHELL_CFLAGS = [
  "-D_WASI_EMULATED_SIGNAL",
  "-D_WASI_EMULATED_PROCESS_CLOCKS",
  "-D_WASI_EMULATED_GETPID",
  "-DSQLITE_NOHAVE_SYSTEM",
  "-include",
  `${HERE}sqlite_wasi.h`,
];
const LDFLAGS = [
  "-Wl,--strip-debug",
  "-lwasi-emulated-signal",
  "-lwasi-emulated-process-clocks",
  "-lwasi-emulated-getpid",
];

function exists(path: string): boolean {
  try {
    Deno.statSync(path);
    return true;
  } catch {
    return false;
  }
}

async function sha256(bytes: Uint8Array<ArrayBuffer>): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", bytes));
  return Array.from(digest, (b) => b.toString(16).padStart(2, "0")).join("");
}

async function run(what: string, command: string, args: string[]): Promise<void> {
  const { code, stderr } = await new Deno.Command(command, {
    args,
    stdout: "null",
    stderr: "piped",
  }).output();
  if (code !== 0) {
    throw new Error(
      `Cannot build the SQLite shell: ${what} exited ${code}: ${new TextDecoder().decode(stderr)}`,
    );
  }
}

async function checkedFile(path: string, expected: string): Promise<void> {
  const actual = await sha256(await Deno.readFile(path));
  if (actual !== expected) {
    throw new Error(
      `Cannot build the SQLite shell: "${path}" has SHA-256 ${actual}, expected ${expected}`,
    );
  }
}

/** Fetches the pinned package with `npm pack`, checks both hashes, extracts the sources. */
async function sources(): Promise<string> {
  const { pkg, version, sha256: hash, autoconf, autoconfSha256 } = SQLITE_SOURCE;
  const src = `${DIR}${autoconf}/`;
  if (exists(`${src}shell.c`)) return src;
  await Deno.mkdir(DIR, { recursive: true });
  const tgz = `${DIR}${pkg}-${version}.tgz`;
  if (!exists(tgz)) {
    await run("npm pack", "npm", [
      "pack",
      "--silent",
      "--pack-destination",
      DIR,
      `${pkg}@${version}`,
    ]);
  }
  await checkedFile(tgz, hash);
  const tmp = await Deno.makeTempDir({ dir: DIR, prefix: "extract-" });
  try {
    const inner = `package/deps/${autoconf}.tar.gz`;
    await run("tar", "tar", ["--no-same-owner", "-xzf", tgz, "-C", tmp, inner]);
    await checkedFile(`${tmp}/${inner}`, autoconfSha256);
    const files = ["sqlite3.c", "sqlite3.h", "sqlite3ext.h", "shell.c"].map((f) =>
      `${autoconf}/${f}`
    );
    await run("tar", "tar", ["--no-same-owner", "-xzf", `${tmp}/${inner}`, "-C", tmp, ...files]);
    await Deno.rename(`${tmp}/${autoconf}`, src.slice(0, -1));
  } finally {
    await Deno.remove(tmp, { recursive: true });
  }
  return src;
}

/**
 * The path of sqlite3.wasm, the SQLite shell as a WASI command, built on
 * first use (about 30 s: clang on the 9 MB amalgamation) and cached after.
 */
export async function sqliteShell(): Promise<string> {
  const shim = await Deno.readFile(`${HERE}sqlite_wasi.c`);
  const header = await Deno.readFile(`${HERE}sqlite_wasi.h`);
  const recipe = new TextEncoder().encode(
    JSON.stringify([SQLITE_SOURCE, CFLAGS, SHELL_CFLAGS, LDFLAGS]) +
      new TextDecoder().decode(shim) + new TextDecoder().decode(header),
  );
  const out = `${DIR}build-${(await sha256(recipe)).slice(0, 16)}/`;
  const wasm = `${out}sqlite3.wasm`;
  if (exists(wasm)) return wasm;
  const src = await sources();
  await Deno.mkdir(out, { recursive: true });
  const tmp = await Deno.makeTempDir({ dir: out, prefix: "build-" });
  try {
    await Promise.all([
      run("clang (sqlite3.c)", "clang", [
        ...CFLAGS,
        "-c",
        `${src}sqlite3.c`,
        "-o",
        `${tmp}/sqlite3.o`,
      ]),
      run("clang (shell.c)", "clang", [
        ...CFLAGS,
        ...SHELL_CFLAGS,
        `-I${src}`,
        "-c",
        `${src}shell.c`,
        "-o",
        `${tmp}/shell.o`,
      ]),
      run("clang (sqlite_wasi.c)", "clang", [
        ...CFLAGS,
        "-c",
        `${HERE}sqlite_wasi.c`,
        "-o",
        `${tmp}/sqlite_wasi.o`,
      ]),
    ]);
    const objects = ["shell.o", "sqlite3.o", "sqlite_wasi.o"].map((o) => `${tmp}/${o}`);
    await run("clang (link)", "clang", [
      ...CFLAGS,
      ...objects,
      ...LDFLAGS,
      "-o",
      `${tmp}/sqlite3.wasm`,
    ]);
    // Renamed into place only when complete, so a failed build is never cached.
    await Deno.rename(`${tmp}/sqlite3.wasm`, wasm);
  } finally {
    await Deno.remove(tmp, { recursive: true });
  }
  return wasm;
}
