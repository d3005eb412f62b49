// TypeScript mirror of include/manifold_abi.h: each koffi struct beside its TypeScript type,
// the enumerations, and the constants. test/unit/abi-layout.test.ts checks every size, offset
// and enum value here against what libmanifold_ctl reports from the C compiler. The port
// counter names are not retyped: counterNames() asks the library (the MF_PORT_COUNTERS X-macro).
import koffi, { type TypeObject } from 'koffi';
import { native } from './bindings.js';

// ---- constants (checked against the library's "const" group) --------------------------------

export const ABI_MAJOR = 2;
export const ABI_MINOR = 1;
export const CACHE_LINE = 64;
export const MAX_CLIENTS = 16;
export const MAX_PORTS = 16;
export const MAX_LCORES = 16;
export const RING_SIZE = 64;
export const ARENA_SLOT_SIZE = 16384;
/** Bulk slots per client: inputs past an arena slot (an aggregate send's chunks). */
export const BULK_SLOTS = 4;
export const BULK_SLOT_SIZE = 1 << 20;
/** mf_request.flags: the input is in bulk slot (flags >> 8). */
export const REQ_BULK = 0x1;
export const NAME_LEN = 32;
export const REASON_LEN = 104;
export const INSTANCE_NAME_MAX = 24;
export const PORT_ALL = 0xffff;
export const PORT_NONE = 0xffff;
/** FWD_SET: keep the port's current peer (PORT_NONE there means "no peer"). */
export const PORT_KEEP = 0xfffe;
export const CNT_CAPACITY = 64;
export const ARGS_LEN = 48;

// ---- enumerations ---------------------------------------------------------------------------

/** enum mf_op, without the MF_OP_ prefix. */
export const Op = {
  NOP: 0,
  VERSION: 1,
  PORT_LIST: 2,
  PORT_INFO: 3,
  STATS_SYNC: 4,
  STATS_CLEAR: 5,
  FWD_SET: 6,
  SHUTDOWN: 7,
} as const;
export type OpName = keyof typeof Op;
export type OpCode = (typeof Op)[OpName];

/** enum mf_fwd_mode, by the names the CLI uses (MF_FWD_IO -> 'io'). */
export const FwdMode = { io: 0, mac: 1, stack: 2, drop: 3 } as const;
export type FwdModeName = keyof typeof FwdMode;

/** enum mf_seg_state. */
export const SegState = { STARTING: 1, RUNNING: 2, STOPPING: 3 } as const;
/** enum mf_client_state. */
export const ClientState = { FREE: 0, ATTACHED: 1, DETACHING: 2 } as const;
/** enum mf_lcore_role, by lower-case name (MF_LCORE_WORKER -> 'worker'). */
export const LcoreRole = { unused: 0, control: 1, worker: 2, both: 3 } as const;
export type LcoreRoleName = keyof typeof LcoreRole;

// Built once: opName() runs for every request (hundreds per aggregate send).
let opNames: Map<number, string> | undefined;

export function opName(op: number): string {
  opNames ??= new Map(Object.entries(Op).map(([k, v]) => [v as number, k]));
  return opNames.get(op) ?? `op ${op}`;
}

export function fwdModeName(mode: number): FwdModeName | `mode ${number}` {
  const e = (Object.entries(FwdMode) as [FwdModeName, number][]).find(([, v]) => v === mode);
  return e ? e[0] : `mode ${mode}`;
}

export function lcoreRoleName(role: number): LcoreRoleName | `role ${number}` {
  const e = (Object.entries(LcoreRole) as [LcoreRoleName, number][]).find(([, v]) => v === role);
  return e ? e[0] : `role ${role}`;
}

// ---- structures -----------------------------------------------------------------------------
// Raw* types are what koffi.decode() yields for each struct (snake_case like the C fields;
// uint64_t decodes as number, or bigint above 2^53).

export type U64 = number | bigint;

export interface RawRequest {
  ctx: U64;
  op: number;
  flags: number;
  in_len: number;
  args: Uint8Array;
}
export const MfRequest = koffi.struct('mf_request', {
  ctx: 'uint64_t',
  op: 'uint16_t',
  flags: 'uint16_t',
  in_len: 'uint32_t',
  args: koffi.array('uint8_t', ARGS_LEN),
});

export interface RawCompletion {
  ctx: U64;
  status: number;
  out_len: number;
  slot: number;
  op: number;
  reserved: number;
  reason: string;
}
export const MfCompletion = koffi.struct('mf_completion', {
  ctx: 'uint64_t',
  status: 'int32_t',
  out_len: 'uint32_t',
  slot: 'uint32_t',
  op: 'uint16_t',
  reserved: 'uint16_t',
  reason: koffi.array('char', REASON_LEN),
});

export interface RawPortArg {
  port: number;
}
export const MfPortArg = koffi.struct('mf_port_arg', {
  port: 'uint16_t',
});

export interface RawFwdArg {
  port: number;
  peer: number;
  mode: number;
  has_mac: number;
  peer_mac: Uint8Array | number[];
}
export const MfFwdArg = koffi.struct('mf_fwd_arg', {
  port: 'uint16_t',
  peer: 'uint16_t',
  mode: 'uint8_t',
  has_mac: 'uint8_t',
  peer_mac: koffi.array('uint8_t', 6),
});

export interface RawVersionInfo {
  abi_major: number;
  abi_minor: number;
  core_pid: number;
  core_version: string;
  dpdk_version: string;
  name: string;
  start_ns: U64;
  n_ports: number;
  n_workers: number;
  hugepages: number;
  reserved: Uint8Array;
}
export const MfVersionInfo = koffi.struct('mf_version_info', {
  abi_major: 'uint16_t',
  abi_minor: 'uint16_t',
  core_pid: 'uint32_t',
  core_version: koffi.array('char', NAME_LEN),
  dpdk_version: koffi.array('char', NAME_LEN),
  name: koffi.array('char', NAME_LEN),
  start_ns: 'uint64_t',
  n_ports: 'uint16_t',
  n_workers: 'uint16_t',
  hugepages: 'uint8_t',
  reserved: koffi.array('uint8_t', 27),
});

/** What version() resolves to. */
export interface VersionInfo {
  abiMajor: number;
  abiMinor: number;
  corePid: number;
  coreVersion: string;
  dpdkVersion: string;
  name: string;
  /** CLOCK_MONOTONIC ns, the clock of process.hrtime.bigint(). */
  startNs: bigint;
  nPorts: number;
  nWorkers: number;
  hugepages: boolean;
}

export function toVersionInfo(r: RawVersionInfo): VersionInfo {
  return {
    abiMajor: r.abi_major,
    abiMinor: r.abi_minor,
    corePid: r.core_pid,
    coreVersion: r.core_version,
    dpdkVersion: r.dpdk_version,
    name: r.name,
    startNs: BigInt(r.start_ns),
    nPorts: r.n_ports,
    nWorkers: r.n_workers,
    hugepages: r.hugepages !== 0,
  };
}

export interface RawPortInfo {
  name: string;
  driver: string;
  dev: string;
  port_id: number;
  dpdk_port_id: number;
  peer: number;
  fwd_mode: number;
  link_up: number;
  link_speed_mbps: number;
  mtu: number;
  n_rxq: number;
  n_txq: number;
  mac: Uint8Array;
  peer_mac: Uint8Array;
  reserved: Uint8Array;
}
export const MfPortInfo = koffi.struct('mf_port_info', {
  name: koffi.array('char', NAME_LEN),
  driver: koffi.array('char', NAME_LEN),
  dev: koffi.array('char', NAME_LEN),
  port_id: 'uint16_t',
  dpdk_port_id: 'uint16_t',
  peer: 'uint16_t',
  fwd_mode: 'uint8_t',
  link_up: 'uint8_t',
  link_speed_mbps: 'uint32_t',
  mtu: 'uint16_t',
  n_rxq: 'uint16_t',
  n_txq: 'uint16_t',
  mac: koffi.array('uint8_t', 6),
  peer_mac: koffi.array('uint8_t', 6),
  reserved: koffi.array('uint8_t', 18),
});

/** What port()/ports() resolve to. */
export interface PortInfo {
  /** manifold port index */
  id: number;
  /** configured name, e.g. "p0" */
  name: string;
  /** e.g. "net_null" */
  driver: string;
  /** DPDK device name, e.g. "net_null0" */
  dev: string;
  dpdkPortId: number;
  /** egress port index, null when none */
  peer: number | null;
  fwdMode: FwdModeName | `mode ${number}`;
  linkUp: boolean;
  linkSpeedMbps: number;
  mtu: number;
  nRxq: number;
  nTxq: number;
  /** "aa:bb:cc:dd:ee:ff" */
  mac: string;
  /** next-hop MAC for the mac forward mode */
  peerMac: string;
}

export function formatMac(b: ArrayLike<number>): string {
  return Array.from({ length: 6 }, (_, i) => (b[i] ?? 0).toString(16).padStart(2, '0')).join(':');
}

/** "aa:bb:cc:dd:ee:ff" (or with '-') to 6 bytes; undefined if malformed. */
export function parseMac(s: string): number[] | undefined {
  const m = /^([0-9a-f]{2})[:-]([0-9a-f]{2})[:-]([0-9a-f]{2})[:-]([0-9a-f]{2})[:-]([0-9a-f]{2})[:-]([0-9a-f]{2})$/i.exec(s.trim());
  return m ? m.slice(1, 7).map((h) => parseInt(h, 16)) : undefined;
}

export function toPortInfo(r: RawPortInfo): PortInfo {
  return {
    id: r.port_id,
    name: r.name,
    driver: r.driver,
    dev: r.dev,
    dpdkPortId: r.dpdk_port_id,
    peer: r.peer === PORT_NONE ? null : r.peer,
    fwdMode: fwdModeName(r.fwd_mode),
    linkUp: r.link_up !== 0,
    linkSpeedMbps: r.link_speed_mbps,
    mtu: r.mtu,
    nRxq: r.n_rxq,
    nTxq: r.n_txq,
    mac: formatMac(r.mac),
    peerMac: formatMac(r.peer_mac),
  };
}

export interface RawPortStats {
  c: (number | bigint)[] | BigUint64Array;
}
export const MfPortStats = koffi.struct('mf_port_stats', {
  c: koffi.array('uint64_t', CNT_CAPACITY),
});

export interface RawLcoreStats {
  lcore_id: number;
  role: number;
  busy_cycles: U64;
  total_cycles: U64;
  packets: U64;
  polls: U64;
  idle_sleeps: U64;
  reserved: (number | bigint)[] | BigUint64Array;
}
export const MfLcoreStats = koffi.struct('mf_lcore_stats', {
  lcore_id: 'uint32_t',
  role: 'uint32_t',
  busy_cycles: 'uint64_t',
  total_cycles: 'uint64_t',
  packets: 'uint64_t',
  polls: 'uint64_t',
  idle_sleeps: 'uint64_t',
  reserved: koffi.array('uint64_t', 2),
});

export interface RawStats {
  seq: number;
  n_ports: number;
  n_lcores: number;
  n_counters: number;
  updated_ns: U64;
  tsc_hz: U64;
  reserved: Uint8Array;
  port: RawPortStats[];
  lcore: RawLcoreStats[];
}
export const MfStats = koffi.struct('mf_stats', {
  // C aligns struct mf_stats to a cache line (koffi alignments stop at 8): its size is a whole
  // number of lines anyway, so sizes and offsets agree; the layout test checks that they do.
  seq: 'uint32_t',
  n_ports: 'uint32_t',
  n_lcores: 'uint32_t',
  n_counters: 'uint32_t',
  updated_ns: 'uint64_t',
  tsc_hz: 'uint64_t',
  reserved: koffi.array('uint8_t', CACHE_LINE - 32),
  port: koffi.array(MfPortStats, MAX_PORTS),
  lcore: koffi.array(MfLcoreStats, MAX_LCORES),
});

/** Counter values are numbers: exact up to 2^53 (at 100 Gb/s a byte counter gets there after
 * about 8 days; packet counters after years), beyond that they lose the lowest bits. */
export interface PortCounters {
  /** manifold port index */
  id: number;
  /** configured name ("p0"), or "port<i>" if unknown */
  name: string;
  /** keyed by counter name (counterNames()), e.g. counters.rx_packets */
  counters: Record<string, number>;
}

export interface LcoreStats {
  lcoreId: number;
  role: LcoreRoleName | `role ${number}`;
  busyCycles: number;
  totalCycles: number;
  /** busyCycles / totalCycles, 0..1 (0 before the first fold) */
  busyShare: number;
  packets: number;
  polls: number;
  idleSleeps: number;
}

export interface Stats {
  /** seqlock sequence of the snapshot (even) */
  seq: number;
  /** CLOCK_MONOTONIC ns of the core's last fold; compare with process.hrtime.bigint() */
  updatedNs: bigint;
  tscHz: number;
  /** names of the counters, in the order of the C enum */
  counterNames: readonly string[];
  ports: PortCounters[];
  lcores: LcoreStats[];
}

/** Decodes a struct mf_stats image (as filled by mf_ctl_stats_read) without koffi.decode:
 * one DataView pass, offsets from the koffi struct above. */
export function decodeStats(buf: Buffer, portNames: readonly string[] = []): Stats {
  const dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const u64 = (off: number): number => Number(dv.getBigUint64(off, true));
  const names = counterNames();
  const nPorts = Math.min(dv.getUint32(O.stats.n_ports, true), MAX_PORTS);
  const nLcores = Math.min(dv.getUint32(O.stats.n_lcores, true), MAX_LCORES);
  const nCounters = Math.min(dv.getUint32(O.stats.n_counters, true) || names.length, CNT_CAPACITY);
  const ports: PortCounters[] = [];
  for (let p = 0; p < nPorts; p++) {
    const base = O.stats.port + p * O.portStatsSize + O.portStats.c;
    const counters: Record<string, number> = {};
    for (let k = 0; k < nCounters; k++) counters[names[k] ?? `counter_${k}`] = u64(base + 8 * k);
    ports.push({ id: p, name: portNames[p] ?? `port${p}`, counters });
  }
  const lcores: LcoreStats[] = [];
  for (let l = 0; l < nLcores; l++) {
    const base = O.stats.lcore + l * O.lcoreStatsSize;
    const busy = u64(base + O.lcore.busy_cycles);
    const total = u64(base + O.lcore.total_cycles);
    lcores.push({
      lcoreId: dv.getUint32(base + O.lcore.lcore_id, true),
      role: lcoreRoleName(dv.getUint32(base + O.lcore.role, true)),
      busyCycles: busy,
      totalCycles: total,
      busyShare: total > 0 ? Math.min(busy / total, 1) : 0,
      packets: u64(base + O.lcore.packets),
      polls: u64(base + O.lcore.polls),
      idleSleeps: u64(base + O.lcore.idle_sleeps),
    });
  }
  return {
    seq: dv.getUint32(O.stats.seq, true),
    updatedNs: dv.getBigUint64(O.stats.updated_ns, true),
    tscHz: u64(O.stats.tsc_hz),
    counterNames: names,
    ports,
    lcores,
  };
}

function offsets<K extends string>(t: TypeObject, fields: readonly K[]): Record<K, number> {
  const o = {} as Record<K, number>;
  for (const f of fields) o[f] = koffi.offsetof(t, f);
  return o;
}

/** Offsets used by hand-written encoders/decoders, all taken from the koffi structs. */
export const O = {
  request: offsets(MfRequest, ['ctx', 'op', 'flags', 'in_len', 'args'] as const),
  requestSize: koffi.sizeof(MfRequest),
  completion: offsets(MfCompletion, ['ctx', 'status', 'out_len', 'slot', 'op', 'reason'] as const),
  completionSize: koffi.sizeof(MfCompletion),
  stats: offsets(MfStats, ['seq', 'n_ports', 'n_lcores', 'n_counters', 'updated_ns', 'tsc_hz',
    'port', 'lcore'] as const),
  statsSize: koffi.sizeof(MfStats),
  portStats: offsets(MfPortStats, ['c'] as const),
  portStatsSize: koffi.sizeof(MfPortStats),
  lcore: offsets(MfLcoreStats, ['lcore_id', 'role', 'busy_cycles', 'total_cycles', 'packets',
    'polls', 'idle_sleeps'] as const),
  lcoreStatsSize: koffi.sizeof(MfLcoreStats),
} as const;

/** Every mirrored struct by its C name (the layout test walks this). */
export const STRUCTS: Readonly<Record<string, TypeObject>> = {
  mf_request: MfRequest,
  mf_completion: MfCompletion,
  mf_port_arg: MfPortArg,
  mf_fwd_arg: MfFwdArg,
  mf_version_info: MfVersionInfo,
  mf_port_info: MfPortInfo,
  mf_port_stats: MfPortStats,
  mf_lcore_stats: MfLcoreStats,
  mf_stats: MfStats,
};

// ---- port counters, from the library --------------------------------------------------------

export interface CounterInfo {
  name: string;
  help: string;
}

let counters: readonly CounterInfo[] | undefined;

/** Names and help of the port counters, as the library was built (MF_PORT_COUNTERS). */
export function counterInfo(): readonly CounterInfo[] {
  if (!counters) {
    const n = native();
    const list: CounterInfo[] = [];
    const count = n.counterCount();
    for (let i = 0; i < count; i++) list.push({ name: n.counterName(i) ?? `counter_${i}`, help: n.counterHelp(i) ?? '' });
    counters = Object.freeze(list);
  }
  return counters;
}

let names: readonly string[] | undefined;

export function counterNames(): readonly string[] {
  if (!names) names = Object.freeze(counterInfo().map((c) => c.name));
  return names;
}
