import { deepEqual, equal, throws } from "node:assert/strict";
import { cacheName, resolveSpecArg, uniqueSpecPaths } from "./files.ts";

Deno.test("resolveSpecArg() looks a name up in the spec folder", () => {
  equal(resolveSpecArg("br_table", "/suite", "/repo"), "/suite/br_table.wast");
  equal(resolveSpecArg("br_table.wast", "/suite", "/repo"), "/suite/br_table.wast");
});

Deno.test("resolveSpecArg() takes an argument with a slash as a path from cwd", () => {
  equal(resolveSpecArg("./mine/x.wast", "/suite", "/repo"), "/repo/mine/x.wast");
  equal(resolveSpecArg("/abs/y.wast", "/suite", "/repo"), "/abs/y.wast");
});

Deno.test("cacheName() is the base name without .wast", () => {
  equal(cacheName("/suite/simd_lane.wast"), "simd_lane");
});

Deno.test("uniqueSpecPaths() drops repeated paths and keeps the order", () => {
  deepEqual(uniqueSpecPaths(["/s/b.wast", "/s/a.wast", "/s/b.wast"]), ["/s/b.wast", "/s/a.wast"]);
});

Deno.test("uniqueSpecPaths() rejects two paths that share a cache folder", () => {
  throws(() => uniqueSpecPaths(["/s/a.wast", "/t/a.wast"]), {
    name: "RangeError",
    message: 'Cannot run "/s/a.wast" and "/t/a.wast" together: both convert into cache folder "a"',
  });
});
