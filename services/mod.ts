/**
 * Services that programs discover at run time, and the interface for adding
 * your own (see {@linkcode Service}).
 *
 * @example Offer an extra service next to the built-ins
 * ```ts
 * import { defaultServices, PacketHost, type Service } from "./mod.ts";
 *
 * const hello: Service = {
 *   name: "example.org/hello",
 *   revision: "0",
 *   createSession: () => ({ call: () => new TextEncoder().encode("hello") }),
 * };
 * const host = new PacketHost({
 *   services: [...defaultServices(), hello],
 *   onViolation: (message) => console.error(message),
 * });
 * await host.close();
 * ```
 *
 * @module
 */

import { catalogService } from "./catalog.ts";
import { identityService } from "./identity.ts";
import { originService } from "./origin.ts";
import { randomService } from "./random.ts";
import { scopeService } from "./scope.ts";
import type { Service } from "./service.ts";
import type { RandomOptions } from "./random.ts";

export type {
  SendDomain,
  Service,
  ServiceContext,
  ServiceInfo,
  ServiceSession,
} from "./service.ts";
export { validateRevision, validateServiceName } from "./service.ts";
export { PacketHost, type PacketHostOptions } from "./host.ts";
export { type BufferOrigin, bufferOrigin, type Origin, originFromStreams } from "./stream.ts";
export * from "./packet.ts";
export { catalogJSON, catalogService } from "./catalog.ts";
export { IdentityCall, identityService } from "./identity.ts";
export { ORIGIN_WINDOW, originService } from "./origin.ts";
export {
  type Clock,
  DEFAULT_BITS_PER_MINUTE,
  type RandomOptions,
  randomService,
} from "./random.ts";
export {
  decodeScope,
  encodeScope,
  SCOPE_SYSTEM,
  scopeService,
  type ScopeSession,
} from "./scope.ts";

/**
 * The built-in services: origin, catalog, identity, random and scope, each
 * with revision "0".
 */
export function defaultServices(
  options: { random?: RandomOptions } = {},
): Service[] {
  return [
    originService(),
    catalogService(),
    identityService(),
    randomService(options.random),
    scopeService(),
  ];
}
