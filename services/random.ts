/**
 * The `random` service (revision "0"): CALL byte N (1..255) is answered with
 * N bytes from `crypto.getRandomValues`. Replies are rate limited to
 * `bitsPerMinute` (default 7680, 16 bytes per second): a call that comes too
 * early is answered late. A call while one is waiting, or with other content,
 * gets an empty reply (after the waiting one: replies keep call order).
 * Saved on suspend as `[1, N]` while a call is waiting (nothing otherwise);
 * the resumed session answers it at once.
 *
 * @module
 */

import type { Service } from "./service.ts";

/** Gate's default: 16 bytes per second. */
export const DEFAULT_BITS_PER_MINUTE = 16 * 8 * 60;

/** A clock, replaceable in tests. */
export interface Clock {
  /** Milliseconds, monotonic. */
  now(): number;
  /** Runs `fn` after `ms`; returns a function that cancels it. */
  setTimer(fn: () => void, ms: number): () => void;
}

const _realClock: Clock = {
  now: () => performance.now(),
  setTimer(fn, ms) {
    const id = setTimeout(fn, ms);
    return () => clearTimeout(id);
  },
};

/** Options of {@linkcode randomService}. */
export interface RandomOptions {
  /** Rate limit; must be positive. Default {@linkcode DEFAULT_BITS_PER_MINUTE}. */
  bitsPerMinute?: number;
  /** Clock for the rate limit. */
  clock?: Clock;
}

function _random(n: number): Uint8Array {
  return crypto.getRandomValues(new Uint8Array(n));
}

/** Creates the random service. */
export function randomService(options: RandomOptions = {}): Service {
  const bpm = options.bitsPerMinute ?? DEFAULT_BITS_PER_MINUTE;
  if (!(bpm > 0)) throw new RangeError(`Random service bitsPerMinute must be positive: ${bpm}`);
  const clock = options.clock ?? _realClock;
  // Time that n bytes cost at the configured rate.
  const interval = (n: number) => Math.ceil((n * 8 * 60_000) / bpm);

  return {
    name: "random",
    revision: "0",
    createSession(context, restored) {
      let sendAfter = clock.now();
      let waiting = 0; // size of the waiting call, 0 if none
      let cancel: (() => void) | null = null;

      if (restored !== undefined && restored[0] === 1) {
        const n = restored[1] ?? 8;
        sendAfter = clock.now() + interval(n);
        context.send("call", _random(n)); // the call that was waiting
      }

      return {
        call(payload) {
          const n = payload.length === 1 ? payload[0]! : 0;
          if (n === 0 || waiting !== 0) return new Uint8Array(0);
          const now = clock.now();
          const delay = sendAfter - now;
          if (delay <= 0) {
            sendAfter = now + interval(n);
            return _random(n);
          }
          waiting = n;
          return new Promise<Uint8Array>((resolve) => {
            cancel = clock.setTimer(() => {
              cancel = null;
              waiting = 0;
              sendAfter = clock.now() + interval(n);
              resolve(_random(n));
            }, delay);
          });
        },
        state() {
          return waiting === 0 ? new Uint8Array(0) : new Uint8Array([1, waiting]);
        },
        close() {
          (cancel as (() => void) | null)?.();
          cancel = null;
        },
      };
    },
  };
}
