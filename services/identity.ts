/**
 * The `identity` service (revision "0"): CALL byte 0 is answered with the
 * principal ID, byte 1 with the instance ID (UTF-8; empty if unknown); any
 * other content gets an empty reply.
 *
 * @module
 */

import type { Service } from "./service.ts";

/** Call numbers of the identity service. */
export const IdentityCall = { PRINCIPAL_ID: 0, INSTANCE_ID: 1 } as const;

/** Creates the identity service. */
export function identityService(): Service {
  return {
    name: "identity",
    revision: "0",
    createSession(context) {
      return {
        call(payload) {
          let id: string | undefined;
          if (payload.length === 1 && payload[0] === IdentityCall.PRINCIPAL_ID) {
            id = context.principal;
          } else if (payload.length === 1 && payload[0] === IdentityCall.INSTANCE_ID) {
            id = context.instance;
          }
          return new TextEncoder().encode(id ?? "");
        },
      };
    },
  };
}
