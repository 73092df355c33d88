import { equal, match, notEqual, throws } from "node:assert/strict";
import { parseWast2jsonVersion, stampFor } from "./stamp.ts";

const WAST = new TextEncoder().encode("(module)\n");

Deno.test("stampFor() is the same for the same bytes and version", async () => {
  equal(await stampFor(WAST, "1.0.32"), await stampFor(WAST.slice(), "1.0.32"));
});

Deno.test("stampFor() changes when the .wast changes", async () => {
  const changed = new TextEncoder().encode("(module) \n");
  notEqual(await stampFor(WAST, "1.0.32"), await stampFor(changed, "1.0.32"));
});

Deno.test("stampFor() changes when the wast2json version changes", async () => {
  notEqual(await stampFor(WAST, "1.0.32"), await stampFor(WAST, "1.0.34"));
});

Deno.test("stampFor() names the version, the flags and the SHA-256 of the bytes", async () => {
  const stamp = await stampFor(new Uint8Array(), "1.0.32");
  equal(
    stamp,
    "wast2json 1.0.32 --enable-all\n" +
      "sha256 e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855\n",
  );
  match(await stampFor(WAST, "1.0.32"), /^wast2json 1\.0\.32 --enable-all\nsha256 [0-9a-f]{64}\n$/);
});

Deno.test("parseWast2jsonVersion() trims the version line", () => {
  equal(parseWast2jsonVersion("1.0.32\n"), "1.0.32");
  equal(parseWast2jsonVersion("1.0.34-rc1\n"), "1.0.34-rc1");
});

Deno.test("parseWast2jsonVersion() rejects output that is not a version", () => {
  throws(() => parseWast2jsonVersion(""), SyntaxError);
  throws(() => parseWast2jsonVersion("usage: wast2json [options] filename"), {
    name: "SyntaxError",
    message: 'Cannot parse wast2json version: "usage: wast2json [options] filename"',
  });
});
