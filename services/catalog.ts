/**
 * The `catalog` service (revision "0"): CALL content `"json"` is answered
 * with the services offered to the instance as JSON, in Go's
 * `json.Encoder` format with tab indentation (trailing newline included):
 * `{"services":[{"name":...,"revision":...}]}` sorted by name. Any other
 * content gets an empty reply.
 *
 * @module
 */

import type { Service, ServiceInfo } from "./service.ts";

const _JSON = new TextEncoder().encode("json");

function _compareBytes(a: string, b: string): number {
  // Go sorts strings by their UTF-8 bytes, which is code point order.
  const x = [...a].map((c) => c.codePointAt(0)!);
  const y = [...b].map((c) => c.codePointAt(0)!);
  for (let i = 0; i < Math.min(x.length, y.length); i++) {
    if (x[i] !== y[i]) return x[i]! - y[i]!;
  }
  return x.length - y.length;
}

/** The catalog document for `services`, byte-exact with Gate's. */
export function catalogJSON(services: readonly ServiceInfo[]): Uint8Array {
  const sorted = [...services]
    .sort((a, b) => _compareBytes(a.name, b.name))
    .map((s) => ({ name: s.name, revision: s.revision }));
  // Go's encoder escapes HTML characters and the JS line terminators.
  const text = JSON.stringify({ services: sorted }, null, "\t")
    .replace(/[<>&\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`);
  return new TextEncoder().encode(text + "\n");
}

function _equals(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

/** Creates the catalog service. */
export function catalogService(): Service {
  return {
    name: "catalog",
    revision: "0",
    createSession(context) {
      return {
        call(payload) {
          return _equals(payload, _JSON) ? catalogJSON(context.services) : new Uint8Array(0);
        },
      };
    },
  };
}
