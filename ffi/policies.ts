// client.policies: policies in their JSON form (apps/policy/types.ts), encoded into the binary
// form of include/manifold_abi_policy.h and sent to the core, which validates them again and
// answers with the field that is wrong.
//
//   await mf.policies.add({ id: 'fanout', match: { protocol: 'udp', dst: '198.18.0.1',
//     dstPort: 5000 }, actions: [{ type: 'replicate', destinations: [...] }] });
//   await mf.policies.addDestinations('fanout', [{ port: 'p1', ip: '198.18.1.2', udpPort: 5000,
//     mac: '02:00:00:00:00:02', srcIp: '198.18.1.1' }]);
//   const s = await mf.policies.stats('fanout');   // s.destinations[i].packets
//
// A policy with more destinations than one arena slot holds (POLICY_SLOT_DESTS) is sent
// staged: the core holds it invisible until the last chunk commits it.
import koffi, { type TypeObject } from 'koffi';
import {
  ACTION_TYPES,
  DROP_REASONS,
  PROTOCOLS,
  formatIpv4,
  parseIpv4,
  parsePrefix,
  validatePolicy,
  type Action,
  type Destination,
  type Lifetime,
  type Policy,
  type PolicyMatch,
  type PolicyStats,
  type PolicySummary,
} from '../apps/policy/index.js';
import { splitFromWire, splitWire } from '../apps/policy/split.js';
import type { Manifold } from './client.js';
import { ManifoldError, errnoNumber } from './errors.js';
import { ARENA_SLOT_SIZE, formatMac, parseMac, type PortInfo } from './structs.js';

// ---- the ABI (checked against the C compiler by test/unit/abi-layout.test.ts) --------------

export const OP_POLICY_FIRST = 64;
/** enum mf_policy_op, without the MF_OP_ prefix. */
export const PolicyOp = {
  POLICY_ADD: 64,
  POLICY_UPDATE: 65,
  POLICY_REMOVE: 66,
  POLICY_LIST: 67,
  POLICY_GET: 68,
  POLICY_STATS: 69,
  POLICY_DEST_ADD: 70,
  POLICY_DEST_DEL: 71,
  POLICY_LIMITS: 72,
} as const;
export const OP_POLICY_END = 73;
export const POLICY_ID_LEN = 32;
export const POLICY_MAX_ACTIONS = 8;
export const POLICY_ANY_PORT = 0xffff;
export const POLICY_NO_OWNER = 0xffffffff;
export const POLICY_DEST_COMMIT = 1;
export const POLICY_DROP_CAPACITY = 16;

export const MfPolicyMatch = koffi.struct('mf_policy_match', {
  src_ip: 'uint32_t',
  dst_ip: 'uint32_t',
  src_port: 'uint16_t',
  dst_port: 'uint16_t',
  in_port: 'uint16_t',
  src_prefix: 'uint8_t',
  dst_prefix: 'uint8_t',
  proto: 'uint8_t',
  reserved: koffi.array('uint8_t', 3),
});
export const MfPolicyDest = koffi.struct('mf_policy_dest', {
  ip: 'uint32_t',
  src_ip: 'uint32_t',
  port: 'uint16_t',
  udp_port: 'uint16_t',
  src_udp_port: 'uint16_t',
  has_mac: 'uint8_t',
  reserved: 'uint8_t',
  mac: koffi.array('uint8_t', 6),
  reserved2: koffi.array('uint8_t', 2),
});
export const MfPolicyAction = koffi.struct('mf_policy_action', {
  type: 'uint8_t',
  flags: 'uint8_t',
  param: 'uint16_t',
  n_dests: 'uint32_t',
});
export const MfPolicyWire = koffi.struct('mf_policy_wire', {
  id: koffi.array('char', POLICY_ID_LEN),
  priority: 'int32_t',
  lifetime: 'uint8_t',
  n_actions: 'uint8_t',
  staged: 'uint8_t',
  reserved: 'uint8_t',
  match: MfPolicyMatch,
  n_dests: 'uint32_t',
  action: koffi.array(MfPolicyAction, POLICY_MAX_ACTIONS),
});
export const MfPolicyIdArg = koffi.struct('mf_policy_id_arg', {
  id: koffi.array('char', POLICY_ID_LEN),
  first: 'uint32_t',
  reserved: 'uint32_t',
});
export const MfPolicyDestArg = koffi.struct('mf_policy_dest_arg', {
  id: koffi.array('char', POLICY_ID_LEN),
  action: 'uint8_t',
  flags: 'uint8_t',
  reserved: 'uint16_t',
  count: 'uint32_t',
});
export const MfPolicyLimits = koffi.struct('mf_policy_limits', {
  max_policies: 'uint32_t',
  max_dests: 'uint32_t',
  n_policies: 'uint32_t',
  reserved: 'uint32_t',
});
export const MfPolicyListHdr = koffi.struct('mf_policy_list_hdr', {
  total: 'uint32_t',
  count: 'uint32_t',
});
export const MfPolicyInfo = koffi.struct('mf_policy_info', {
  id: koffi.array('char', POLICY_ID_LEN),
  priority: 'int32_t',
  lifetime: 'uint8_t',
  n_actions: 'uint8_t',
  staged: 'uint8_t',
  reserved: 'uint8_t',
  n_dests: 'uint32_t',
  owner: 'uint32_t',
  matched_packets: 'uint64_t',
  matched_bytes: 'uint64_t',
});
export const MfPolicyStats = koffi.struct('mf_policy_stats', {
  matched_packets: 'uint64_t',
  matched_bytes: 'uint64_t',
  sent_packets: 'uint64_t',
  sent_bytes: 'uint64_t',
  drop: koffi.array('uint64_t', POLICY_DROP_CAPACITY),
  n_dests: 'uint32_t',
  first: 'uint32_t',
  count: 'uint32_t',
  reserved: 'uint32_t',
});
export const MfPolicyDestStats = koffi.struct('mf_policy_dest_stats', {
  ip: 'uint32_t',
  port: 'uint16_t',
  udp_port: 'uint16_t',
  action: 'uint8_t',
  reserved: koffi.array('uint8_t', 7),
  packets: 'uint64_t',
  bytes: 'uint64_t',
  drop_nombuf: 'uint64_t',
  drop_tx_full: 'uint64_t',
});

/** Every policy struct by its C name (the layout test walks this). */
export const POLICY_STRUCTS = {
  mf_policy_match: MfPolicyMatch,
  mf_policy_dest: MfPolicyDest,
  mf_policy_action: MfPolicyAction,
  mf_policy_wire: MfPolicyWire,
  mf_policy_id_arg: MfPolicyIdArg,
  mf_policy_dest_arg: MfPolicyDestArg,
  mf_policy_limits: MfPolicyLimits,
  mf_policy_list_hdr: MfPolicyListHdr,
  mf_policy_info: MfPolicyInfo,
  mf_policy_stats: MfPolicyStats,
  mf_policy_dest_stats: MfPolicyDestStats,
} as const;

const off = (t: TypeObject, f: string): number => koffi.offsetof(t, f);
const W = {
  size: koffi.sizeof(MfPolicyWire),
  id: off(MfPolicyWire, 'id'),
  priority: off(MfPolicyWire, 'priority'),
  lifetime: off(MfPolicyWire, 'lifetime'),
  n_actions: off(MfPolicyWire, 'n_actions'),
  staged: off(MfPolicyWire, 'staged'),
  match: off(MfPolicyWire, 'match'),
  n_dests: off(MfPolicyWire, 'n_dests'),
  action: off(MfPolicyWire, 'action'),
  actionSize: koffi.sizeof(MfPolicyAction),
  actionType: off(MfPolicyAction, 'type'),
  actionDests: off(MfPolicyAction, 'n_dests'),
  actionFlags: off(MfPolicyAction, 'flags'),
  actionParam: off(MfPolicyAction, 'param'),
};
const M = {
  src_ip: off(MfPolicyMatch, 'src_ip'),
  dst_ip: off(MfPolicyMatch, 'dst_ip'),
  src_port: off(MfPolicyMatch, 'src_port'),
  dst_port: off(MfPolicyMatch, 'dst_port'),
  in_port: off(MfPolicyMatch, 'in_port'),
  src_prefix: off(MfPolicyMatch, 'src_prefix'),
  dst_prefix: off(MfPolicyMatch, 'dst_prefix'),
  proto: off(MfPolicyMatch, 'proto'),
};
const D = {
  size: koffi.sizeof(MfPolicyDest),
  ip: off(MfPolicyDest, 'ip'),
  src_ip: off(MfPolicyDest, 'src_ip'),
  port: off(MfPolicyDest, 'port'),
  udp_port: off(MfPolicyDest, 'udp_port'),
  src_udp_port: off(MfPolicyDest, 'src_udp_port'),
  has_mac: off(MfPolicyDest, 'has_mac'),
  mac: off(MfPolicyDest, 'mac'),
};
/** Destinations that fit one arena slot after the policy header. */
export const POLICY_SLOT_DESTS = Math.floor((ARENA_SLOT_SIZE - W.size) / D.size);
/** Destinations that fit one DEST_ADD/DEST_DEL request. */
export const DEST_SLOT_DESTS = Math.floor(ARENA_SLOT_SIZE / D.size);

// ---- encoding -------------------------------------------------------------------------------

export interface PortRef {
  name: string;
  id: number;
}

function invalid(op: string, reason: string): ManifoldError {
  return new ManifoldError({ errno: errnoNumber('EINVAL'), reason, op });
}

/** A port name or index -> index; throws naming the field. */
export function resolvePort(ref: string | number, where: string, ports: readonly PortRef[]): number {
  if (typeof ref === 'number') {
    if (ports.length > 0 && !ports.some((p) => p.id === ref)) {
      throw invalid('POLICY', `${where}: port ${ref} does not exist; ports are ${ports.map((p) => `${p.id} (${p.name})`).join(', ')}`);
    }
    return ref;
  }
  const p = ports.find((x) => x.name === ref);
  if (!p) throw invalid('POLICY', `${where}: no port is named "${ref}"; ports are ${ports.map((x) => x.name).join(', ') || 'none'}`);
  return p.id;
}

function writeId(buf: Buffer, at: number, id: string): void {
  buf.fill(0, at, at + POLICY_ID_LEN);
  buf.write(id, at, POLICY_ID_LEN - 1, 'latin1');
}

/** One destination, 24 bytes. */
export function encodeDestination(d: Destination, where: string, ports: readonly PortRef[], buf: Buffer, at: number): void {
  buf.fill(0, at, at + D.size);
  buf.writeUInt32LE(parseIpv4(d.ip) ?? 0, at + D.ip);
  buf.writeUInt32LE(d.srcIp !== undefined ? parseIpv4(d.srcIp) ?? 0 : 0, at + D.src_ip);
  buf.writeUInt16LE(resolvePort(d.port, `${where}.port`, ports), at + D.port);
  buf.writeUInt16LE(d.udpPort, at + D.udp_port);
  buf.writeUInt16LE(d.srcPort ?? 0, at + D.src_udp_port);
  const mac = d.mac !== undefined ? parseMac(d.mac) : undefined;
  if (mac) {
    buf.writeUInt8(1, at + D.has_mac);
    for (let i = 0; i < 6; i++) buf.writeUInt8(mac[i]!, at + D.mac + i);
  }
}

function destinationsOf(a: Action): Destination[] {
  if (a.type === 'redirect') return [a.destination];
  // the socket travels as a destination: ip and udp_port, everything else 0
  if (a.type === 'deliver') return [{ port: 0, ip: a.socket.ip ?? '0.0.0.0', udpPort: a.socket.port }];
  if (a.type === 'replicate') return a.destinations;
  return [];
}

function destWhere(a: Action, i: number, j: number): string {
  if (a.type === 'deliver') return `actions[${i}].socket`;
  return a.type === 'redirect' ? `actions[${i}].destination` : `actions[${i}].destinations[${j}]`;
}

export interface EncodedPolicy {
  /** ADD/UPDATE input: the header and the destinations that fit */
  first: Buffer;
  /** the rest, per replicate action, each chunk one DEST_ADD; the last one commits */
  rest: { action: number; dests: Buffer; count: number }[];
}

/** Encodes a validated policy; `ports` resolves port names. */
export function encodePolicy(p: Policy, ports: readonly PortRef[]): EncodedPolicy {
  const m: PolicyMatch = p.match ?? {};
  const all = p.actions.map((a) => destinationsOf(a));
  const total = all.reduce((s, d) => s + d.length, 0);
  const staged = total > POLICY_SLOT_DESTS;
  // What goes in the first request: every destination of non-replicate actions, then
  // replicate destinations in order while they fit.
  let budget = POLICY_SLOT_DESTS - p.actions.reduce((s, a, i) => s + (a.type === 'replicate' ? 0 : all[i]!.length), 0);
  const inFirst = p.actions.map((a, i) => {
    if (a.type !== 'replicate') return all[i]!.length;
    const n = Math.max(0, Math.min(budget, all[i]!.length));
    budget -= n;
    return n;
  });
  const nFirst = inFirst.reduce((s, n) => s + n, 0);
  const first = Buffer.alloc(W.size + nFirst * D.size);
  writeId(first, W.id, p.id);
  first.writeInt32LE(p.priority ?? 0, W.priority);
  first.writeUInt8(p.lifetime === 'client' ? 1 : 0, W.lifetime);
  first.writeUInt8(p.actions.length, W.n_actions);
  first.writeUInt8(staged ? 1 : 0, W.staged);
  const src = m.src !== undefined ? parsePrefix(m.src) : undefined;
  const dst = m.dst !== undefined ? parsePrefix(m.dst) : undefined;
  first.writeUInt32LE(src?.ip ?? 0, W.match + M.src_ip);
  first.writeUInt32LE(dst?.ip ?? 0, W.match + M.dst_ip);
  first.writeUInt16LE(m.srcPort ?? 0, W.match + M.src_port);
  first.writeUInt16LE(m.dstPort ?? 0, W.match + M.dst_port);
  first.writeUInt16LE(m.inPort === undefined ? POLICY_ANY_PORT : resolvePort(m.inPort, 'match.inPort', ports), W.match + M.in_port);
  first.writeUInt8(src?.prefix ?? 0, W.match + M.src_prefix);
  first.writeUInt8(dst?.prefix ?? 0, W.match + M.dst_prefix);
  const proto = m.protocol === undefined ? 0 : typeof m.protocol === 'number' ? m.protocol : PROTOCOLS[m.protocol] ?? 0;
  first.writeUInt8(proto, W.match + M.proto);
  first.writeUInt32LE(nFirst, W.n_dests);
  let at = W.size;
  const rest: EncodedPolicy['rest'] = [];
  p.actions.forEach((a, i) => {
    const base = W.action + i * W.actionSize;
    first.writeUInt8(ACTION_TYPES.indexOf(a.type) + 1, base + W.actionType);
    first.writeUInt32LE(inFirst[i]!, base + W.actionDests);
    if (a.type === 'split') {
      const sw = splitWire(a);
      first.writeUInt8(sw.flags, base + W.actionFlags);
      first.writeUInt16LE(sw.param, base + W.actionParam);
    }
    const ds = all[i]!;
    for (let j = 0; j < inFirst[i]!; j++, at += D.size) encodeDestination(ds[j]!, destWhere(a, i, j), ports, first, at);
    for (let j = inFirst[i]!; j < ds.length; j += DEST_SLOT_DESTS) {
      const count = Math.min(DEST_SLOT_DESTS, ds.length - j);
      const buf = Buffer.alloc(count * D.size);
      for (let k = 0; k < count; k++) encodeDestination(ds[j + k]!, destWhere(a, i, j + k), ports, buf, k * D.size);
      rest.push({ action: i, dests: buf, count });
    }
  });
  return { first, rest };
}

function idArg(id: string, first = 0): Buffer {
  const b = Buffer.alloc(koffi.sizeof(MfPolicyIdArg));
  writeId(b, 0, id);
  b.writeUInt32LE(first, off(MfPolicyIdArg, 'first'));
  return b;
}

function destArg(id: string, action: number, count: number, flags: number): Buffer {
  const b = Buffer.alloc(koffi.sizeof(MfPolicyDestArg));
  writeId(b, 0, id);
  b.writeUInt8(action, off(MfPolicyDestArg, 'action'));
  b.writeUInt8(flags, off(MfPolicyDestArg, 'flags'));
  b.writeUInt32LE(count, off(MfPolicyDestArg, 'count'));
  return b;
}

function cString(buf: Buffer, at: number, max: number): string {
  const end = buf.indexOf(0, at);
  return buf.toString('latin1', at, end < 0 || end > at + max ? at + max : end);
}

function u64(buf: Buffer, at: number): number {
  return Number(buf.readBigUInt64LE(at));
}

// ---- decoding -------------------------------------------------------------------------------

function portName(id: number, ports: readonly PortRef[]): string | number {
  return ports.find((p) => p.id === id)?.name ?? id;
}

function decodeDestination(buf: Buffer, at: number, ports: readonly PortRef[]): Destination {
  const d: Destination = {
    port: portName(buf.readUInt16LE(at + D.port), ports),
    ip: formatIpv4(buf.readUInt32LE(at + D.ip)),
    udpPort: buf.readUInt16LE(at + D.udp_port),
  };
  if (buf.readUInt8(at + D.has_mac)) d.mac = formatMac(buf.subarray(at + D.mac, at + D.mac + 6));
  const srcIp = buf.readUInt32LE(at + D.src_ip);
  if (srcIp !== 0) d.srcIp = formatIpv4(srcIp);
  const sp = buf.readUInt16LE(at + D.src_udp_port);
  if (sp !== 0) d.srcPort = sp;
  return d;
}

function prefixString(ip: number, prefix: number): string {
  return prefix === 32 ? formatIpv4(ip) : `${formatIpv4(ip)}/${prefix}`;
}

/** The JSON form of a GET reply (header plus all destinations, gathered). */
export function decodePolicy(header: Buffer, dests: Buffer, ports: readonly PortRef[]): Policy {
  const mt = W.match;
  const match: PolicyMatch = {};
  const inPort = header.readUInt16LE(mt + M.in_port);
  if (inPort !== POLICY_ANY_PORT) match.inPort = portName(inPort, ports);
  const proto = header.readUInt8(mt + M.proto);
  if (proto !== 0) match.protocol = (Object.entries(PROTOCOLS).find(([, v]) => v === proto)?.[0] as PolicyMatch['protocol']) ?? proto;
  const sp = header.readUInt8(mt + M.src_prefix);
  if (sp !== 0) match.src = prefixString(header.readUInt32LE(mt + M.src_ip), sp);
  const srcPort = header.readUInt16LE(mt + M.src_port);
  if (srcPort !== 0) match.srcPort = srcPort;
  const dp = header.readUInt8(mt + M.dst_prefix);
  if (dp !== 0) match.dst = prefixString(header.readUInt32LE(mt + M.dst_ip), dp);
  const dstPort = header.readUInt16LE(mt + M.dst_port);
  if (dstPort !== 0) match.dstPort = dstPort;
  const actions: Action[] = [];
  let at = 0;
  const nActions = header.readUInt8(W.n_actions);
  for (let i = 0; i < nActions; i++) {
    const base = W.action + i * W.actionSize;
    const type = ACTION_TYPES[header.readUInt8(base + W.actionType) - 1] ?? 'drop';
    const n = header.readUInt32LE(base + W.actionDests);
    const ds: Destination[] = [];
    for (let j = 0; j < n; j++, at += D.size) ds.push(decodeDestination(dests, at, ports));
    if (type === 'redirect') actions.push({ type, destination: ds[0]! });
    else if (type === 'replicate') actions.push({ type, destinations: ds });
    else if (type === 'deliver') actions.push({ type, socket: { ip: ds[0]?.ip ?? '0.0.0.0', port: ds[0]?.udpPort ?? 0 } });
    else if (type === 'split') actions.push(splitFromWire(header.readUInt8(base + W.actionFlags), header.readUInt16LE(base + W.actionParam)));
    else actions.push({ type });
  }
  const p: Policy = {
    id: cString(header, W.id, POLICY_ID_LEN),
    priority: header.readInt32LE(W.priority),
    match,
    actions,
    lifetime: header.readUInt8(W.lifetime) === 1 ? 'client' : 'persistent',
  };
  return p;
}

// ---- the client's accessor ------------------------------------------------------------------

export interface DestinationOptions {
  /** index of the replicate action in the chain (default: the first replicate) */
  action?: number;
}

export interface PolicyLimits {
  maxPolicies: number;
  maxDestinations: number;
  policies: number;
}

export class Policies {
  private ports: PortRef[] | null = null;

  constructor(private readonly mf: Manifold) {}

  private async portRefs(): Promise<PortRef[]> {
    if (!this.ports) this.ports = (await this.mf.ports()).map((p: PortInfo) => ({ name: p.name, id: p.id }));
    return this.ports;
  }

  /** Validates and installs a policy; rejects with PolicyError (schema) or the core's reason. */
  async add(policy: Policy): Promise<void> {
    await this.send(policy, PolicyOp.POLICY_ADD);
  }

  /** Replaces the policy of the same id at once (counters of kept destinations go on). */
  async update(policy: Policy): Promise<void> {
    await this.send(policy, PolicyOp.POLICY_UPDATE);
  }

  async remove(id: string): Promise<void> {
    await this.mf.request(PolicyOp.POLICY_REMOVE, idArg(id));
  }

  async list(): Promise<PolicySummary[]> {
    const out: PolicySummary[] = [];
    const size = koffi.sizeof(MfPolicyInfo);
    const o = (f: string): number => off(MfPolicyInfo, f);
    for (let guard = 0; guard < 1000; guard++) {
      const r = await this.mf.request(PolicyOp.POLICY_LIST, idArg('x', out.length));
      const total = r.data.readUInt32LE(0);
      const count = r.data.readUInt32LE(4);
      for (let i = 0; i < count; i++) {
        const at = 8 + i * size;
        const owner = r.data.readUInt32LE(at + o('owner'));
        out.push({
          id: cString(r.data, at + o('id'), POLICY_ID_LEN),
          priority: r.data.readInt32LE(at + o('priority')),
          lifetime: (r.data.readUInt8(at + o('lifetime')) === 1 ? 'client' : 'persistent') as Lifetime,
          actions: r.data.readUInt8(at + o('n_actions')),
          destinations: r.data.readUInt32LE(at + o('n_dests')),
          owner: owner === POLICY_NO_OWNER ? null : owner,
          matched: { packets: u64(r.data, at + o('matched_packets')), bytes: u64(r.data, at + o('matched_bytes')) },
        });
      }
      if (count === 0 || out.length >= total) break;
    }
    return out;
  }

  async get(id: string): Promise<Policy> {
    const ports = await this.portRefs();
    let header: Buffer | null = null;
    const chunks: Buffer[] = [];
    let got = 0;
    for (let guard = 0; guard < 1000; guard++) {
      const r = await this.mf.request(PolicyOp.POLICY_GET, idArg(id, got));
      header ??= Buffer.from(r.data.subarray(0, W.size));
      const chunk = r.data.subarray(W.size);
      chunks.push(Buffer.from(chunk));
      got += chunk.length / D.size;
      if (chunk.length === 0 || got >= header.readUInt32LE(W.n_dests)) break;
    }
    return decodePolicy(header!, Buffer.concat(chunks), ports);
  }

  async stats(id: string): Promise<PolicyStats> {
    const S = (f: string): number => off(MfPolicyStats, f);
    const DS = (f: string): number => off(MfPolicyDestStats, f);
    const dsSize = koffi.sizeof(MfPolicyDestStats);
    const sSize = koffi.sizeof(MfPolicyStats);
    let out: PolicyStats | null = null;
    for (let guard = 0; guard < 1000; guard++) {
      const have = out?.destinations.length ?? 0;
      const r = await this.mf.request(PolicyOp.POLICY_STATS, idArg(id, have));
      const b = r.data;
      if (!out) {
        const dropped: Record<string, number> = {};
        DROP_REASONS.forEach((name, k) => { dropped[name] = u64(b, S('drop') + 8 * k); });
        out = {
          id,
          matched: { packets: u64(b, S('matched_packets')), bytes: u64(b, S('matched_bytes')) },
          sent: { packets: u64(b, S('sent_packets')), bytes: u64(b, S('sent_bytes')) },
          dropped,
          destinations: [],
        };
      }
      const count = b.readUInt32LE(S('count'));
      for (let i = 0; i < count; i++) {
        const at = sSize + i * dsSize;
        out.destinations.push({
          action: b.readUInt8(at + DS('action')),
          port: b.readUInt16LE(at + DS('port')),
          ip: formatIpv4(b.readUInt32LE(at + DS('ip'))),
          udpPort: b.readUInt16LE(at + DS('udp_port')),
          packets: u64(b, at + DS('packets')),
          bytes: u64(b, at + DS('bytes')),
          dropped: { nombuf: u64(b, at + DS('drop_nombuf')), txFull: u64(b, at + DS('drop_tx_full')) },
        });
      }
      if (count === 0 || out.destinations.length >= b.readUInt32LE(S('n_dests'))) break;
    }
    return out!;
  }

  /** Adds subscribers to a live replicate action: each request (up to DEST_SLOT_DESTS
   * destinations) is applied atomically between bursts; the other copies go on untouched. */
  async addDestinations(id: string, dests: Destination[], opts: DestinationOptions = {}): Promise<void> {
    await this.changeDestinations(PolicyOp.POLICY_DEST_ADD, id, dests, opts);
  }

  /** Removes subscribers (matched by port, ip and udpPort) from a live replicate action. */
  async removeDestinations(id: string, dests: Destination[], opts: DestinationOptions = {}): Promise<void> {
    await this.changeDestinations(PolicyOp.POLICY_DEST_DEL, id, dests, opts);
  }

  /** Reads, and with arguments sets, the core's limits (policies, destinations per policy). */
  async limits(set: { maxPolicies?: number; maxDestinations?: number } = {}): Promise<PolicyLimits> {
    const a = Buffer.alloc(koffi.sizeof(MfPolicyLimits));
    a.writeUInt32LE(set.maxPolicies ?? 0, off(MfPolicyLimits, 'max_policies'));
    a.writeUInt32LE(set.maxDestinations ?? 0, off(MfPolicyLimits, 'max_dests'));
    const r = await this.mf.request(PolicyOp.POLICY_LIMITS, a);
    return {
      maxPolicies: r.data.readUInt32LE(off(MfPolicyLimits, 'max_policies')),
      maxDestinations: r.data.readUInt32LE(off(MfPolicyLimits, 'max_dests')),
      policies: r.data.readUInt32LE(off(MfPolicyLimits, 'n_policies')),
    };
  }

  private async send(policy: Policy, op: number): Promise<void> {
    const p = validatePolicy(policy);
    const enc = encodePolicy(p, await this.portRefs());
    await this.mf.request(op, undefined, enc.first);
    for (let i = 0; i < enc.rest.length; i++) {
      const c = enc.rest[i]!;
      const commit = i === enc.rest.length - 1 ? POLICY_DEST_COMMIT : 0;
      await this.mf.request(PolicyOp.POLICY_DEST_ADD, destArg(p.id, c.action, c.count, commit), c.dests);
    }
  }

  private async changeDestinations(op: number, id: string, dests: Destination[], opts: DestinationOptions): Promise<void> {
    const ports = await this.portRefs();
    let action = opts.action;
    if (action === undefined) {
      const r = await this.mf.request(PolicyOp.POLICY_GET, idArg(id, 0xffffffff));
      const n = r.data.readUInt8(W.n_actions);
      for (let i = 0; i < n && action === undefined; i++) {
        if (r.data.readUInt8(W.action + i * W.actionSize + W.actionType) === ACTION_TYPES.indexOf('replicate') + 1) action = i;
      }
      if (action === undefined) throw invalid('POLICY_DEST', `policy '${id}' has no replicate action to take destinations`);
    }
    for (let j = 0; j < dests.length; j += DEST_SLOT_DESTS) {
      const count = Math.min(DEST_SLOT_DESTS, dests.length - j);
      const buf = Buffer.alloc(count * D.size);
      for (let k = 0; k < count; k++) encodeDestination(dests[j + k]!, `destinations[${j + k}]`, ports, buf, k * D.size);
      await this.mf.request(op, destArg(id, action, count, 0), buf);
    }
  }
}
