/**
 * Loads libgate once: the only `Deno.dlopen` in the tree.
 *
 * The path is `GATE_LIB` when set, else `native/build/libgate.so` next to this
 * package. The library's ABI version must equal {@linkcode ABI_VERSION}.
 *
 * @module
 */

import { ABI_VERSION, SYMBOLS } from "./_symbols.ts";

/** The loaded library's symbols. */
export type Symbols = Deno.DynamicLibrary<typeof SYMBOLS>["symbols"];

let library: Deno.DynamicLibrary<typeof SYMBOLS> | undefined;

const BUILD_HINT = "build it with `make` in the Gate source tree, or set GATE_LIB to its path";

/** Returns the path the library is loaded from. */
export function libraryPath(): string {
  const override = Deno.env.get("GATE_LIB");
  if (override) return override;
  const url = new URL("../native/build/libgate.so", import.meta.url);
  if (url.protocol !== "file:") {
    throw new Error(`Cannot locate libgate: package is not local (${url.href}): ${BUILD_HINT}`);
  }
  return decodeURIComponent(url.pathname);
}

/** Returns the library's symbols, loading and checking it on first use. */
export function lib(): Symbols {
  if (library) return library.symbols;
  const path = libraryPath();
  let loaded: Deno.DynamicLibrary<typeof SYMBOLS>;
  try {
    loaded = Deno.dlopen(path, SYMBOLS);
  } catch (cause) {
    throw new Error(`Cannot load libgate from "${path}": ${BUILD_HINT}`, { cause });
  }
  const version = loaded.symbols.gate_abi_version();
  if (version !== ABI_VERSION) {
    loaded.close();
    throw new Error(
      `Cannot use libgate from "${path}": ABI version ${version}, expected ${ABI_VERSION}: ` +
        BUILD_HINT,
    );
  }
  library = loaded;
  return loaded.symbols;
}
