// The appliance configuration: its TypeScript type is the schema, and validateConfig() checks a
// parsed JSON value against it, collecting every problem with the path of the field, what is
// wrong and what would be right, so one run shows all mistakes at once.

import { clientLifetimeProblem, policyProblems } from '../policy/index.js';

export type ForwardMode = 'io' | 'mac' | 'stack' | 'drop';
export const FORWARD_MODES: readonly ForwardMode[] = ['io', 'mac', 'stack', 'drop'];
export type HugeMode = 'auto' | 'on' | 'off';

export interface PortConfig {
  /** Name used everywhere else (peer, policies, CLI), e.g. "p0". */
  name: string;
  /** DPDK device: a vdev string ("net_null0", "net_tap0,iface=mf0") or a PCI address. */
  dev: string;
  /** The core's own address(es) on this port, CIDR, e.g. "198.18.0.1/24" (used by the stack). */
  ip?: string | string[];
  /** Default gateway of the stack, reached through this port, e.g. "198.18.0.254". */
  gateway?: string;
  /** Put the kernel side of a net_tap port into this namespace (created, and removed on exit). */
  netns?: string;
  /** Address given to the kernel side of the tap inside `netns`, CIDR. */
  peerIp?: string;
  /** What this port does with what it receives; default: the top-level `forward`. */
  forward?: ForwardMode;
  /** Port the traffic goes out of for io/mac; default: testpmd pairing (0<->1, 2<->3);
   * null: none (io and mac then drop what the port receives, counted as drop_no_egress). */
  peer?: string | null;
  /** Next-hop destination MAC written by `mac` forwarding. */
  peerMac?: string;
}

export interface ApplianceConfig {
  /** Instance name: control segment and EAL file prefix. Default "default". */
  name?: string;
  /** EAL lcore list ("0-1", or lcores on CPUs: "0@1,1@1") or a count of lcores (1 = control
   * and worker share one). */
  lcores?: string | number;
  /** Hugepages: "auto" (use when reserved), "on" (require), "off" (--no-huge). */
  hugepages?: HugeMode;
  /** Memory for --no-huge, MB. */
  memoryMb?: number;
  /** mbufs in the port pool of each socket (--mbufs). Default 8191. */
  mbufs?: number;
  /** Bytes per port mbuf, the 128-byte headroom included (--mbuf-data-room). Default 2176;
   * 65535 takes a 64 KiB datagram in one mbuf. */
  mbufDataRoom?: number;
  /** mbufs in each of the policy engine's pools: copies' headers, payload clones, and (at
   * most 8191, 2 KiB each) small split pieces (--policy-mbufs). Default 16383; when they run
   * dry a copy is dropped as nombuf. */
  policyMbufs?: number;
  /** Default forward mode of every port. Default "io". */
  forward?: ForwardMode;
  /** Idle back-off of workers; false keeps them spinning (lowest latency, burns the cores). */
  backoff?: boolean;
  /** Packets per rx burst. */
  burst?: number;
  /** Scheduling of the worker threads: 'fifo' (real-time SCHED_FIFO, priority 1) keeps any
   * ordinary process from preempting them, for send timing on isolated CPUs; mind real-time
   * throttling (docs/configuration.md); default 'other'. */
  workerSched?: 'other' | 'fifo';
  ports: PortConfig[];
  /** Policies installed at start, as persistent policies (docs/policies.md); each one is
   * validated as a Policy (apps/policy/types.ts). Typed loosely so a reload diff can hold
   * what it compares. */
  policies?: unknown[];
}

export class ConfigError extends Error {
  constructor(readonly problems: string[], source = 'configuration') {
    super(`${source} is not valid:\n` + problems.map((p) => `  - ${p}`).join('\n'));
    this.name = 'ConfigError';
  }
}

const NAME_RE = /^[A-Za-z0-9_-]{1,24}$/;
const PORT_NAME_RE = /^[A-Za-z0-9_-]{1,31}$/;
const NETNS_RE = /^[A-Za-z0-9_.-]{1,64}$/;
const PCI_RE = /^([0-9a-fA-F]{4}:)?[0-9a-fA-F]{2}:[0-9a-fA-F]{2}\.[0-7]$/;
const VDEV_DRIVERS = ['net_null', 'net_ring', 'net_tap', 'net_virtio_user', 'net_af_packet',
  'net_af_xdp', 'net_pcap', 'net_memif', 'net_vhost'];
const MAC_RE = /^([0-9a-fA-F]{2}:){5}[0-9a-fA-F]{2}$/;
const LCORES_RE = /^\d+(-\d+|@\d+)?(,\d+(-\d+|@\d+)?)*$/;

const TOP_KEYS = ['name', 'lcores', 'hugepages', 'memoryMb', 'mbufs', 'mbufDataRoom', 'policyMbufs', 'forward',
  'backoff', 'burst', 'workerSched', 'ports', 'policies'];
/** Bounds of the core's --mbufs and --mbuf-data-room (core/args.h). */
export const MBUFS_MIN = 1023;
export const MBUFS_MAX = 16777215;
export const MBUF_HEADROOM = 128;
export const MBUF_DATA_ROOM_MIN = 256;
export const MBUF_DATA_ROOM_MAX = 65535;
export const POLICY_MBUFS_MIN = 63;
const PORT_KEYS = ['name', 'dev', 'ip', 'gateway', 'netns', 'peerIp', 'forward', 'peer', 'peerMac'];

/** "198.18.0.1/24" -> true; checks each octet and the prefix length. */
export function isIpv4Cidr(s: string): boolean {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\/(\d{1,2})$/.exec(s);
  if (!m) return false;
  const octets = m.slice(1, 5).map(Number);
  return octets.every((o) => o <= 255) && Number(m[5]) <= 32;
}

/** The interface name a net_tap devargs string gives its kernel side, e.g. "mf0". */
export function tapInterface(dev: string): string | undefined {
  if (!dev.startsWith('net_tap')) return undefined;
  const arg = dev.split(',').find((kv) => kv.startsWith('iface='));
  return arg?.slice('iface='.length);
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function unknownKeys(obj: Record<string, unknown>, known: string[], where: string,
  problems: string[]): void {
  for (const key of Object.keys(obj)) {
    if (!known.includes(key)) {
      problems.push(`${where}${key}: unknown field; known fields are ${known.join(', ')}`);
    }
  }
}

function checkDev(dev: unknown, where: string, problems: string[]): void {
  if (typeof dev !== 'string' || dev.length === 0) {
    problems.push(`${where}.dev: must be a non-empty string naming a DPDK device, ` +
      `e.g. "net_null0", "net_tap0,iface=mf0" or a PCI address "0000:00:04.0"`);
    return;
  }
  if (PCI_RE.test(dev)) return;
  const devName = dev.split(',')[0];
  if (!VDEV_DRIVERS.some((d) => new RegExp(`^${d}\\d+$`).test(devName))) {
    problems.push(`${where}.dev: "${dev}" is neither a PCI address (0000:00:04.0) nor a ` +
      `virtual device <driver><n>[,args] with driver one of ${VDEV_DRIVERS.join(', ')}`);
  }
}

function checkPort(p: unknown, i: number, problems: string[]): void {
  const where = `ports[${i}]`;
  if (!isObject(p)) {
    problems.push(`${where}: must be an object like {"name": "p0", "dev": "net_null0"}`);
    return;
  }
  unknownKeys(p, PORT_KEYS, `${where}.`, problems);
  if (typeof p.name !== 'string' || !PORT_NAME_RE.test(p.name)) {
    problems.push(`${where}.name: must be 1-31 characters of A-Z a-z 0-9 _ -, e.g. "p0"`);
  } else if (p.name === 'none') {
    problems.push(`${where}.name: "none" is reserved (a peer of none means no peer); choose another name, e.g. "p0"`);
  }
  checkDev(p.dev, where, problems);
  if (p.peerIp !== undefined && (typeof p.peerIp !== 'string' || !isIpv4Cidr(p.peerIp))) {
    problems.push(`${where}.peerIp: must be an IPv4 address with prefix, e.g. "198.18.0.2/24"`);
  }
  if (p.ip !== undefined) {
    const ips: unknown[] = Array.isArray(p.ip) ? p.ip : [p.ip];
    if (ips.length === 0 || ips.length > 8 || !ips.every((v) => typeof v === 'string' && isIpv4Cidr(v))) {
      problems.push(`${where}.ip: must be an IPv4 address with prefix, e.g. "198.18.0.1/24", or a list of 1 to 8 of them`);
    }
  }
  if (p.gateway !== undefined &&
      (typeof p.gateway !== 'string' || !isIpv4Cidr(`${p.gateway}/32`))) {
    problems.push(`${where}.gateway: must be an IPv4 address without prefix, e.g. "198.18.0.254"`);
  }
  if (p.netns !== undefined) {
    if (typeof p.netns !== 'string' || !NETNS_RE.test(p.netns)) {
      problems.push(`${where}.netns: must be a namespace name of 1-64 characters A-Z a-z 0-9 _ . -`);
    } else if (typeof p.dev === 'string' && tapInterface(p.dev) === undefined) {
      problems.push(`${where}.netns: only a net_tap port with iface=NAME has a kernel side to ` +
        `move; use "dev": "net_tapN,iface=NAME"`);
    }
  }
  if (p.peerIp !== undefined && p.netns === undefined) {
    problems.push(`${where}.peerIp: needs "netns", the namespace where the kernel side gets it`);
  }
  if (p.forward !== undefined && !FORWARD_MODES.includes(p.forward as ForwardMode)) {
    problems.push(`${where}.forward: "${String(p.forward)}" is not a forward mode; ` +
      `use one of ${FORWARD_MODES.join(', ')}`);
  }
  if (p.peer !== undefined && p.peer !== null && typeof p.peer !== 'string') {
    problems.push(`${where}.peer: must be the name of another port, e.g. "p1", or null for none`);
  }
  if (p.peerMac !== undefined && (typeof p.peerMac !== 'string' || !MAC_RE.test(p.peerMac))) {
    problems.push(`${where}.peerMac: must be a MAC address like "02:00:00:00:00:01"`);
  }
}

function checkCrossPort(ports: PortConfig[], problems: string[]): void {
  const names = ports.map((p) => p.name);
  names.forEach((n, i) => {
    if (names.indexOf(n) !== i) problems.push(`ports[${i}].name: "${n}" is used twice; names are unique`);
  });
  ports.forEach((p, i) => {
    if (typeof p.peer === 'string' && !names.includes(p.peer)) {
      problems.push(`ports[${i}].peer: no port is named "${p.peer}"; ports are ${names.join(', ')}`);
    }
  });
  const seen = new Map<string, number>();
  ports.forEach((p, i) => {
    const key = p.dev?.split(',')[0];
    if (typeof key !== 'string') return;
    if (seen.has(key)) {
      problems.push(`ports[${i}].dev: device "${key}" is already ports[${seen.get(key)}]; ` +
        `each port needs its own device (net_null0, net_null1, ...)`);
    }
    seen.set(key, i);
  });
  const netns = new Map<string, number>();
  ports.forEach((p, i) => {
    if (p.netns === undefined) return;
    if (netns.has(p.netns)) {
      problems.push(`ports[${i}].netns: "${p.netns}" is already used by ports[${netns.get(p.netns)}]; ` +
        `give each port its own namespace`);
    }
    netns.set(p.netns, i);
  });
}

/** Checks a parsed JSON value; returns it typed, or throws ConfigError listing every problem. */
export function validateConfig(value: unknown, source?: string): ApplianceConfig {
  const problems: string[] = [];
  if (!isObject(value)) {
    throw new ConfigError(['the top level must be a JSON object with at least "ports"'], source);
  }
  unknownKeys(value, TOP_KEYS, '', problems);
  if (value.name !== undefined && (typeof value.name !== 'string' || !NAME_RE.test(value.name))) {
    problems.push('name: must be 1-24 characters of A-Z a-z 0-9 _ -, e.g. "default"');
  }
  const lc = value.lcores;
  if (lc !== undefined && !(typeof lc === 'string' && LCORES_RE.test(lc)) &&
    !(typeof lc === 'number' && Number.isInteger(lc) && lc >= 1 && lc <= 16)) {
    problems.push('lcores: must be an EAL lcore list like "0-1", "0,2" or "0@1,1@1" (lcore@CPU), or a count 1-16');
  }
  if (value.hugepages !== undefined && !['auto', 'on', 'off'].includes(value.hugepages as string)) {
    problems.push('hugepages: must be "auto", "on" or "off"');
  }
  const mem = value.memoryMb;
  if (mem !== undefined && !(typeof mem === 'number' && Number.isInteger(mem) && mem >= 64 && mem <= 65536)) {
    problems.push('memoryMb: must be a whole number of megabytes from 64 to 65536');
  }
  const isInt = (v: unknown, lo: number, hi: number): boolean =>
    typeof v === 'number' && Number.isInteger(v) && v >= lo && v <= hi;
  if (value.mbufs !== undefined && !isInt(value.mbufs, MBUFS_MIN, MBUFS_MAX)) {
    problems.push(`mbufs: must be a whole number of mbufs from ${MBUFS_MIN} to ${MBUFS_MAX} (2^n - 1 suits the mempool best)`);
  }
  if (value.mbufDataRoom !== undefined && !isInt(value.mbufDataRoom, MBUF_DATA_ROOM_MIN, MBUF_DATA_ROOM_MAX)) {
    problems.push(`mbufDataRoom: must be bytes per mbuf from ${MBUF_DATA_ROOM_MIN} to ${MBUF_DATA_ROOM_MAX}, ` +
      `the ${MBUF_HEADROOM}-byte headroom included (DPDK keeps it in 16 bits); 65535 takes a 65000-byte datagram whole`);
  }
  if (value.policyMbufs !== undefined && !isInt(value.policyMbufs, POLICY_MBUFS_MIN, MBUFS_MAX)) {
    problems.push(`policyMbufs: must be a whole number of mbufs from ${POLICY_MBUFS_MIN} to ${MBUFS_MAX} (2^n - 1 suits the mempool best)`);
  }
  if (value.forward !== undefined && !FORWARD_MODES.includes(value.forward as ForwardMode)) {
    problems.push(`forward: "${String(value.forward)}" is not a forward mode; use one of ${FORWARD_MODES.join(', ')}`);
  }
  if (value.workerSched !== undefined && value.workerSched !== 'other' && value.workerSched !== 'fifo') {
    problems.push(`workerSched: must be "other" (the default scheduler) or "fifo" (real-time), not ${JSON.stringify(value.workerSched)}`);
  }
  if (value.backoff !== undefined && typeof value.backoff !== 'boolean') {
    problems.push('backoff: must be true or false');
  }
  const burst = value.burst;
  if (burst !== undefined && !(typeof burst === 'number' && Number.isInteger(burst) && burst >= 1 && burst <= 512)) {
    problems.push('burst: must be a whole number from 1 to 512');
  }
  if (!Array.isArray(value.ports) || value.ports.length === 0) {
    problems.push('ports: must be a non-empty array of ports, e.g. [{"name": "p0", "dev": "net_null0"}]');
  } else if (value.ports.length > 16) {
    problems.push(`ports: ${value.ports.length} ports given; the core takes at most 16`);
  } else {
    value.ports.forEach((p, i) => checkPort(p, i, problems));
    if (problems.length === 0) checkCrossPort(value.ports as PortConfig[], problems);
  }
  if (value.policies !== undefined) {
    if (!Array.isArray(value.policies)) {
      problems.push('policies: must be an array of policy objects');
    } else {
      // Same validator as `manifold policy add` (apps/policy), fields prefixed policies[i].
      value.policies.forEach((p, i) => {
        problems.push(...policyProblems(p, `policies[${i}].`));
        // The appliance installs them itself; no client of the user's owns them.
        if (isObject(p) && p.lifetime === 'client') {
          problems.push(clientLifetimeProblem(`policies[${i}].`,
            'a configured policy belongs to the appliance, not to a client'));
        }
      });
    }
  }
  if (problems.length > 0) throw new ConfigError(problems, source);
  return value as unknown as ApplianceConfig;
}

/** Parses JSON text and validates it; syntax errors name the source too. */
export function parseConfig(text: string, source = 'configuration'): ApplianceConfig {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new ConfigError([`not valid JSON: ${(err as Error).message}`], source);
  }
  return validateConfig(value, source);
}
