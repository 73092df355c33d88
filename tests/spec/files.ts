/**
 * Which `.wast` files a run covers, from the command line's FILE arguments.
 *
 * @module
 */

import { basename, join, resolve } from "node:path";

/**
 * Returns the path of a FILE argument: a name such as `br_table` or
 * `br_table.wast` is looked up in `specDir`; anything with a slash is a path
 * relative to `cwd`.
 */
export function resolveSpecArg(arg: string, specDir: string, cwd: string): string {
  if (arg.includes("/")) return resolve(cwd, arg);
  return join(specDir, arg.endsWith(".wast") ? arg : `${arg}.wast`);
}

/** Returns the cache folder name of a `.wast` path: its base name without `.wast`. */
export function cacheName(path: string): string {
  return basename(path, ".wast");
}

/**
 * Drops repeated paths, keeping the first, and throws `RangeError` when two
 * different paths would share a cache folder.
 */
export function uniqueSpecPaths(paths: readonly string[]): string[] {
  const byName = new Map<string, string>();
  for (const path of paths) {
    const name = cacheName(path);
    const seen = byName.get(name);
    if (seen === undefined) byName.set(name, path);
    else if (seen !== path) {
      throw new RangeError(
        `Cannot run "${seen}" and "${path}" together: both convert into cache folder "${name}"`,
      );
    }
  }
  return [...byName.values()];
}
