/**
 * The Worker that v8_startup_child.ts launches: it receives a compiled
 * WebAssembly.Module, instantiates it, posts "instantiated", calls run() and
 * posts its result.
 *
 * @module
 */

/// <reference lib="deno.worker" />

self.onmessage = async (e: MessageEvent<WebAssembly.Module>) => {
  const instance = await WebAssembly.instantiate(e.data);
  self.postMessage("instantiated");
  const run = instance.exports.run as () => number;
  self.postMessage(run());
};
