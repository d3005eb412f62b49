// Packet trace (include/manifold_abi_diag.h, TRACE_ARM / TRACE_FETCH; core/diag_trace.c): for
// the next n packets received (one port or any), which policy matched and what its actions did,
// or the forward mode that took the packet. The shell's `trace <n>` is built on traceRun().
import koffi, { type TypeObject } from 'koffi';
import type { Manifold } from './client.js';
import { DiagOp } from './diag.js';
import { ManifoldError, errnoNumber } from './errors.js';
import { ACTION_TYPES, DROP_REASONS } from '../apps/policy/types.js';
import { formatIpv4 } from './stack.js';

export const TRACE_COUNT_MAX = 1000;
export const TRACE_ANY_PORT = 0xffff;
const POLICY_ID_LEN = 32;
const MAX_ACTIONS = 8;

export const MfTraceArg = koffi.struct('mf_trace_arg', { port: 'uint16_t', reserved: 'uint16_t', count: 'uint32_t' });
export const MfTraceFetchArg = koffi.struct('mf_trace_fetch_arg', { first: 'uint32_t', reserved: 'uint32_t' });
export const MfTraceInfo = koffi.struct('mf_trace_info', {
  state: 'uint8_t', reserved: 'uint8_t', port: 'uint16_t', count: 'uint32_t', recorded: 'uint32_t',
  first: 'uint32_t', n_recs: 'uint32_t', reserved2: 'uint32_t', armed_ns: 'uint64_t',
});
export const MfTraceAction = koffi.struct('mf_trace_action', {
  type: 'uint8_t', reserved: 'uint8_t', port: 'uint16_t', n: 'uint32_t', ip: 'uint32_t',
  udp_port: 'uint16_t', reserved2: 'uint16_t',
});
export const MfTraceRec = koffi.struct('mf_trace_rec', {
  ts_ns: 'uint64_t', port: 'uint16_t', lcore: 'uint16_t', len: 'uint32_t', src: 'uint32_t', dst: 'uint32_t',
  sport: 'uint16_t', dport: 'uint16_t', proto: 'uint8_t', matched: 'uint8_t', fwd_mode: 'uint8_t',
  n_actions: 'uint8_t', policy: koffi.array('char', POLICY_ID_LEN, 'String'), drop_mask: 'uint32_t',
  drops: 'uint32_t', action: koffi.array(MfTraceAction, MAX_ACTIONS),
});
/** Checked against the C layout by test/unit/abi-layout.test.ts. */
export const TRACE_STRUCTS: Readonly<Record<string, TypeObject>> = {
  mf_trace_arg: MfTraceArg,
  mf_trace_fetch_arg: MfTraceFetchArg,
  mf_trace_info: MfTraceInfo,
  mf_trace_action: MfTraceAction,
  mf_trace_rec: MfTraceRec,
};

const FWD_MODES = ['io', 'mac', 'stack', 'drop'];
const STATES = ['idle', 'armed', 'done'] as const;

export interface TraceInfo { state: typeof STATES[number]; port: number | null; count: number; recorded: number }

export interface TraceAction {
  type: string;
  /** redirect: where to */
  to?: { port: number; ip: string; udpPort: number };
  /** replicate: copies (one per destination) */
  copies?: number;
  /** deliver: the socket, and whether the datagram was queued on it */
  socket?: { ip: string; port: number };
  delivered?: boolean;
}

export interface TraceRecord {
  tsNs: bigint;
  port: number;
  lcore: number;
  len: number;
  src: string; dst: string; sport: number; dport: number; proto: number;
  /** the policy that took the packet, or null: the forward mode did */
  policy: string | null;
  forward: string | null;
  actions: TraceAction[];
  /** drops the chain counted for this packet (or its copies), by reason */
  drops: Record<string, number>;
}

interface RawInfo { state: number; port: number; count: number; recorded: number; n_recs: number }
interface RawAction { type: number; port: number; n: number; ip: number; udp_port: number }
interface RawRec {
  ts_ns: bigint | number; port: number; lcore: number; len: number; src: number; dst: number; sport: number; dport: number;
  proto: number; matched: number; fwd_mode: number; n_actions: number; policy: string; drop_mask: number; drops: number;
  action: RawAction[];
}

function toInfo(r: RawInfo): TraceInfo {
  return { state: STATES[r.state] ?? 'idle', port: r.port === TRACE_ANY_PORT ? null : r.port, count: r.count, recorded: r.recorded };
}

function toRecord(r: RawRec): TraceRecord {
  const actions: TraceAction[] = [];
  for (let i = 0; i < r.n_actions; i++) {
    const a = r.action[i]!;
    const type = ACTION_TYPES[a.type - 1] ?? `action ${a.type}`;
    if (type === 'redirect') actions.push({ type, to: { port: a.port, ip: formatIpv4(a.ip), udpPort: a.udp_port } });
    else if (type === 'replicate') actions.push({ type, copies: a.n });
    else if (type === 'deliver') actions.push({ type, socket: { ip: formatIpv4(a.ip), port: a.udp_port }, delivered: a.n > 0 });
    else actions.push({ type });
  }
  const drops: Record<string, number> = {};
  DROP_REASONS.forEach((name, k) => { if (r.drop_mask & (1 << k)) drops[name] = 0; });
  // the core counts the total; with one reason (the usual case) it is that reason's count
  const reasons = Object.keys(drops);
  if (reasons.length === 1) drops[reasons[0]!] = r.drops;
  return {
    tsNs: BigInt(r.ts_ns), port: r.port, lcore: r.lcore, len: r.len,
    src: formatIpv4(r.src), dst: formatIpv4(r.dst), sport: r.sport, dport: r.dport, proto: r.proto,
    policy: r.matched ? r.policy : null,
    forward: r.matched ? null : FWD_MODES[r.fwd_mode] ?? String(r.fwd_mode),
    actions, drops,
  };
}

function invalid(reason: string): ManifoldError {
  return new ManifoldError({ errno: errnoNumber('EINVAL'), reason, op: 'TRACE_ARM' });
}

const INFO_SIZE = koffi.sizeof(MfTraceInfo);
const REC_SIZE = koffi.sizeof(MfTraceRec);

/** Arms a trace of the next `count` packets (port null: any); count 0 stops it, keeping the records. */
export async function traceArm(m: Manifold, count: number, port: number | null = null): Promise<TraceInfo> {
  if (!Number.isInteger(count) || count < 0 || count > TRACE_COUNT_MAX) throw invalid(`count must be an integer 0..${TRACE_COUNT_MAX}, not ${String(count)}`);
  if (port !== null && (!Number.isInteger(port) || port < 0 || port >= TRACE_ANY_PORT)) throw invalid(`port must be a port index, not ${String(port)}`);
  const b = Buffer.alloc(koffi.sizeof(MfTraceArg));
  koffi.encode(b, 0, MfTraceArg, { port: port ?? TRACE_ANY_PORT, reserved: 0, count });
  const r = await m.request(DiagOp.TRACE_ARM, b);
  return toInfo(koffi.decode(r.data, 0, MfTraceInfo) as RawInfo);
}

/** The trace's state and every record (pages of TRACE_FETCH). */
export async function traceFetch(m: Manifold): Promise<{ info: TraceInfo; records: TraceRecord[] }> {
  const records: TraceRecord[] = [];
  let info: TraceInfo | undefined;
  for (let guard = 0; guard < 1000; guard++) {
    const b = Buffer.alloc(koffi.sizeof(MfTraceFetchArg));
    koffi.encode(b, 0, MfTraceFetchArg, { first: records.length, reserved: 0 });
    const r = await m.request(DiagOp.TRACE_FETCH, b);
    const raw = koffi.decode(r.data, 0, MfTraceInfo) as RawInfo;
    info = toInfo(raw);
    for (let i = 0; i < raw.n_recs; i++) records.push(toRecord(koffi.decode(r.data, INFO_SIZE + i * REC_SIZE, MfTraceRec) as RawRec));
    if (raw.n_recs === 0 || records.length >= raw.recorded) break;
  }
  records.sort((a, b) => (a.tsNs < b.tsNs ? -1 : a.tsNs > b.tsNs ? 1 : 0));
  return { info: info!, records };
}

/** Arms, waits (bounded) until `count` packets are recorded or `timeoutMs` passed, stops the
 * trace and reads the records, oldest first. */
export async function traceRun(m: Manifold, count: number, opts: { port?: number | null; timeoutMs?: number } = {}): Promise<{ info: TraceInfo; records: TraceRecord[]; complete: boolean }> {
  if (count < 1) throw invalid(`count must be at least 1, not ${String(count)}`);
  await traceArm(m, count, opts.port ?? null);
  const deadline = Date.now() + (opts.timeoutMs ?? 10_000);
  for (let i = 0; i < 100_000 && Date.now() < deadline; i++) {
    const r = await m.request(DiagOp.TRACE_FETCH, Buffer.alloc(koffi.sizeof(MfTraceFetchArg)));
    const raw = koffi.decode(r.data, 0, MfTraceInfo) as RawInfo;
    if (raw.recorded >= count) break;
    await new Promise((res) => setTimeout(res, 20));
  }
  await traceArm(m, 0); // stop: the records no longer move
  const out = await traceFetch(m);
  return { ...out, complete: out.records.length >= count };
}

/** One line per record, VPP-like. */
export function formatTrace(r: TraceRecord): string {
  const head = `port ${r.port} lcore ${r.lcore} len ${r.len} ` +
    (r.proto === 17 || r.proto === 6 ? `${r.proto === 17 ? 'udp' : 'tcp'} ${r.src}:${r.sport} -> ${r.dst}:${r.dport}`
      : r.proto !== 0 ? `proto ${r.proto} ${r.src} -> ${r.dst}` : 'not ipv4');
  if (r.policy === null) return `${head}: no policy; forward ${r.forward}`;
  const acts = r.actions.map((a) => {
    if (a.type === 'redirect') return `redirect to ${a.to!.port} ${a.to!.ip}:${a.to!.udpPort}`;
    if (a.type === 'replicate') return `replicate ${a.copies} copies`;
    if (a.type === 'deliver') return `deliver to ${a.socket!.ip}:${a.socket!.port}${a.delivered ? '' : ' (not delivered)'}`;
    return a.type;
  });
  const drops = Object.entries(r.drops).map(([k, v]) => `${k} ${v}`).join(', ');
  return `${head}: policy ${r.policy}: ${acts.join(' / ')}${drops ? `; dropped: ${drops}` : ''}`;
}
