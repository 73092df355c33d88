/**
 * The `scope` service (revision "0"): CALL `u8 0` (restrict) + `u8 count` +
 * count x (`u8 len` + UTF-8 scope) narrows the program's scope to the
 * intersection with the given list and is answered with a 2-byte `i16`
 * error (0). The scope only ever shrinks. A malformed restrict call is a
 * violation; any other content gets an empty reply. Saved on suspend as
 * `u8 count` + (`u8 len` + scope)* (nothing while unrestricted).
 *
 * @module
 */

import type { Service, ServiceSession } from "./service.ts";

/** Scope a program has unless restricted further (from Gate's `program:system`). */
export const SCOPE_SYSTEM = "program:system";

/** Parses `u8 count` + (`u8 len` + string)*. Throws a RangeError if truncated. */
export function decodeScope(bytes: Uint8Array): string[] {
  let at = 0;
  const count = bytes[at++];
  if (count === undefined) throw new RangeError("Scope encoding is too short");
  const out: string[] = [];
  for (let i = 0; i < count; i++) {
    const len = bytes[at++];
    if (len === undefined || at + len > bytes.length) {
      throw new RangeError("Scope encoding is too short");
    }
    out.push(new TextDecoder().decode(bytes.subarray(at, at + len)));
    at += len;
  }
  return out;
}

/** Encodes `u8 count` + (`u8 len` + string)*; RangeError beyond 255. */
export function encodeScope(scope: readonly string[]): Uint8Array {
  if (scope.length > 255) throw new RangeError(`Cannot encode ${scope.length} scopes`);
  const parts = scope.map((s) => new TextEncoder().encode(s));
  const out = new Uint8Array(1 + parts.reduce((n, p) => n + 1 + p.length, 0));
  out[0] = scope.length;
  let at = 1;
  for (const p of parts) {
    if (p.length > 255) throw new RangeError(`Cannot encode scope of ${p.length} bytes`);
    out[at++] = p.length;
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** A scope session: `scope` is `null` while unrestricted. */
export interface ScopeSession extends ServiceSession {
  readonly scope: readonly string[] | null;
}

/**
 * Creates the scope service. `onChange` sees each new restriction (for a
 * caller that enforces scopes elsewhere).
 */
export function scopeService(
  options: { onChange?: (scope: readonly string[]) => void } = {},
): Service {
  return {
    name: "scope",
    revision: "0",
    createSession(context, restored): ScopeSession {
      let scope: string[] | null = restored && restored.length > 0 ? decodeScope(restored) : null;
      if (scope !== null) options.onChange?.(scope);
      return {
        get scope() {
          return scope;
        },
        call(payload) {
          if (payload[0] !== 0) return new Uint8Array(0);
          let wanted: string[];
          try {
            wanted = decodeScope(payload.subarray(1));
          } catch (err) {
            context.violation((err as Error).message);
            return undefined;
          }
          const set = new Set(wanted);
          scope = scope === null ? [...set] : scope.filter((s) => set.has(s));
          options.onChange?.(scope);
          return new Uint8Array(2); // i16 error 0
        },
        state() {
          return scope === null ? new Uint8Array(0) : encodeScope(scope);
        },
      };
    },
  };
}
