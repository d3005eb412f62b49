// The kernel-facing policy tests' topology: the core with three tap ports, each in a network
// namespace of its own. Port `s` faces the kernel sender, ports `x` and `y` face kernel
// receivers; the three sit on 198.18.<net>.0/24, <net+1> and <net+2>, the core at .1 and the
// kernel at .2. The sender reaches the tests' service address without ARP: its neighbour entry
// is the core's MAC. Names carry the test's short tag and the pid, so parallel runs never meet.
//
//     ns s (sender)               manifold-core                ns x / ns y (receivers)
//     198.18.<net>.2  --tap s-->  [s]  policies  [x] --tap-->  198.18.<net+1>.2
//                                                [y] --tap-->  198.18.<net+2>.2
import { spawnSync } from 'node:child_process';
import type { Destination, Manifold } from '../../ffi/index.js';
import { kernelMac } from './netns-peer.js';

export type Side = 's' | 'x' | 'y';
const SIDES: readonly Side[] = ['s', 'x', 'y'];

/** Namespaces that exist now. */
export function namespaces(): string[] {
  return spawnSync('ip', ['netns', 'list'], { encoding: 'utf8' }).stdout.split('\n').map((l) => l.split(' ')[0]!);
}

/** Deterministic bytes (xorshift), so a wrong byte anywhere shows. */
export function bytes(n: number, seed: number): Buffer {
  const b = Buffer.alloc(n);
  let x = (seed * 2654435761) >>> 0 || 1;
  for (let i = 0; i < n; i++) {
    x ^= x << 13; x >>>= 0; x ^= x >>> 17; x ^= x << 5; x >>>= 0;
    b[i] = x & 255;
  }
  return b;
}

export class TapTrio {
  readonly ns: Record<Side, string>;
  readonly iface: Record<Side, string>;
  private mac: Partial<Record<'x' | 'y', string>> = {};

  /** short: two letters naming the test (namespaces mf<short>-<side>-<pid>); net: the third
   * octet of port s's subnet (x and y take the next two). */
  constructor(short: string, readonly net: number) {
    const tag = process.pid % 100000;
    this.ns = { s: `mf${short}-s-${tag}`, x: `mf${short}-x-${tag}`, y: `mf${short}-y-${tag}` };
    this.iface = { s: `mf${short}s${tag}`, x: `mf${short}x${tag}`, y: `mf${short}y${tag}` };
  }

  /** The kernel's address on a side's subnet. */
  peerIp(side: Side): string {
    return `198.18.${this.net + SIDES.indexOf(side)}.2`;
  }

  /** The core's address on a side's subnet. */
  coreIp(side: Side): string {
    return `198.18.${this.net + SIDES.indexOf(side)}.1`;
  }

  /** The appliance's ports, taps 0..2 in the namespaces; `extra` adds fields per side. */
  ports(extra: Partial<Record<Side, object>> = {}): object[] {
    return SIDES.map((side, i) => ({
      name: side, dev: `net_tap${i},iface=${this.iface[side]}`, netns: this.ns[side],
      peerIp: `${this.peerIp(side)}/24`, ...extra[side],
    }));
  }

  /** After the core is up: the sender's permanent neighbour entry for `service` (and a route
   * to it when it is not on port s's subnet), and the receivers' MACs for destinations. */
  async connect(mf: Manifold, service: string, route = false): Promise<void> {
    const ports = await mf.ports();
    spawnSync('ip', ['-n', this.ns.s, 'neigh', 'replace', service, 'lladdr', ports[0]!.mac, 'dev', this.iface.s, 'nud', 'permanent']);
    if (route) spawnSync('ip', ['-n', this.ns.s, 'route', 'add', `${service}/32`, 'dev', this.iface.s]);
    this.mac = { x: kernelMac(this.ns.x, this.iface.x), y: kernelMac(this.ns.y, this.iface.y) };
  }

  /** A policy destination: the kernel receiver on side x or y, by its MAC (no ARP). */
  dest(side: 'x' | 'y', udpPort: number): Destination {
    const mac = this.mac[side];
    if (mac === undefined) throw new Error('TapTrio.dest before connect()');
    return { port: side, ip: this.peerIp(side), udpPort, mac, srcIp: this.coreIp(side) };
  }

  /** Removes the namespaces this trio made (the taps go with the core). */
  cleanup(): void {
    const live = namespaces();
    for (const ns of Object.values(this.ns)) if (live.includes(ns)) spawnSync('ip', ['netns', 'del', ns]);
  }
}
