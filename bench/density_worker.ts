/**
 * An idle Worker for the density anchor (anchor_density_child.ts): says it
 * is up, then waits for messages that never come.
 *
 * @module
 */

self.postMessage("ready");
