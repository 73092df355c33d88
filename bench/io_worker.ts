/**
 * The Worker of the io anchor (v8_io_child.ts): posts every message back.
 *
 * @module
 */

self.onmessage = (e: MessageEvent) => self.postMessage(e.data);
