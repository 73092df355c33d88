// Helpers for the services tests: a program's side of the packet stream.

import { PacketHost, type PacketHostOptions } from "./host.ts";
import {
  align,
  CODE_SERVICES,
  decodeDiscoveryReply,
  Domain,
  encodeDiscoveryRequest,
  encodePacket,
  type Packet,
  PacketReassembler,
} from "./packet.ts";

/** Pads a packet to 8 bytes, as a program writes it. */
export function wire(packet: Uint8Array): Uint8Array {
  const out = new Uint8Array(align(packet.length));
  out.set(packet);
  return out;
}

/** A PacketHost driven like a program drives it. */
export class Program {
  host: PacketHost;
  violations: string[] = [];
  #in = new PacketReassembler();
  #received: Packet[] = [];

  constructor(options: Omit<PacketHostOptions, "onViolation">) {
    this.host = new PacketHost({ ...options, onViolation: (m) => this.violations.push(m) });
  }

  send(code: number, domain: Domain, payload: Uint8Array = new Uint8Array(0)): Promise<void> {
    return this.host.write(wire(encodePacket(code, domain, payload)));
  }

  async discover(names: string[]): Promise<number[]> {
    await this.send(CODE_SERVICES, Domain.CALL, encodeDiscoveryRequest(names));
    const p = await this.next();
    if (p.code !== CODE_SERVICES || p.domain !== Domain.CALL) throw new Error("not a reply");
    return decodeDiscoveryReply(p.payload);
  }

  /** The next packet from the host. */
  async next(): Promise<Packet> {
    while (this.#received.length === 0) {
      const bytes = await this.host.read(65536);
      if (bytes.length === 0) throw new Error("host closed");
      this.#received.push(...this.#in.push(bytes));
    }
    return this.#received.shift()!;
  }

  /** Packets already available, without waiting. */
  async drain(): Promise<Packet[]> {
    await new Promise((r) => setTimeout(r, 0));
    while (this.host.buffered > 0) {
      this.#received.push(...this.#in.push(await this.host.read(65536)));
    }
    return this.#received.splice(0);
  }

  close(): Promise<void> {
    return this.host.close();
  }
}

export function bytes(...values: number[]): Uint8Array {
  return new Uint8Array(values);
}

export function text(s: string): Uint8Array {
  return new TextEncoder().encode(s);
}
