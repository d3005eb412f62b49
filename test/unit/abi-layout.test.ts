// The TypeScript mirror of include/manifold_abi.h (ffi/structs.ts) against what the C compiler
// made of it, as libmanifold_ctl reports (sizeof/offsetof tables, enum members, constants).
// Nothing here is typed twice: every expected value comes from the library.
import { expect } from 'chai';
import koffi, { type TypeObject } from 'koffi';
import { native } from '../../ffi/bindings.js';
import { cEnum } from '../support/c-enum.js';
import * as S from '../../ffi/structs.js';
import * as D from '../../ffi/diag.js';
import * as ST from '../../ffi/stack.js';
import * as P from '../../ffi/policies.js';
import * as TR from '../../ffi/trace.js';
import * as SA from '../../ffi/send-abi.js';

// Every mirrored struct: the base ABI's, then each op family's.
const ALL_STRUCTS: Record<string, TypeObject> = { ...S.STRUCTS, ...D.DIAG_STRUCTS, ...TR.TRACE_STRUCTS, ...ST.STACK_STRUCTS,
  ...P.POLICY_STRUCTS, ...SA.SEND_STRUCTS };

const n = native();

function cLayout(struct: string, field: string | null): { size: number; offset: number } | undefined {
  const size = new Uint32Array(1);
  const offset = new Uint32Array(1);
  const rc = n.layout(struct, field, size, offset);
  return rc === 0 ? { size: size[0]!, offset: offset[0]! } : undefined;
}

function cFields(struct: string): string[] {
  const out: string[] = [];
  for (let i = 0; ; i++) {
    const f = n.layoutField(struct, i);
    if (f === null) return out;
    out.push(f);
  }
}

/** Every way `type` differs from C's `struct name` (empty when they agree). */
function compareStruct(name: string, type: TypeObject): string[] {
  const diffs: string[] = [];
  const whole = cLayout(name, null);
  if (!whole) return [`struct ${name} is unknown to the library`];
  if (koffi.sizeof(type) !== whole.size) diffs.push(`sizeof(${name}): TS ${koffi.sizeof(type)}, C ${whole.size}`);
  const tsFields = Object.keys(type.members ?? {});
  const cf = cFields(name);
  if (tsFields.join(',') !== cf.join(',')) diffs.push(`${name} fields: TS [${tsFields.join(', ')}], C [${cf.join(', ')}]`);
  for (const f of tsFields) {
    const c = cLayout(name, f);
    if (!c) {
      diffs.push(`${name}.${f}: not in C`);
      continue;
    }
    const off = koffi.offsetof(type, f);
    const size = type.members![f]!.type.size;
    if (off !== c.offset) diffs.push(`offsetof(${name}, ${f}): TS ${off}, C ${c.offset}`);
    if (size !== c.size) diffs.push(`sizeof(${name}.${f}): TS ${size}, C ${c.size}`);
  }
  return diffs;
}

describe('ABI layout: ffi/structs.ts against libmanifold_ctl', () => {
  it('mirrors exactly the structs the library describes', () => {
    const c: string[] = [];
    for (let i = 0; ; i++) {
      const s = n.layoutStruct(i);
      if (s === null) break;
      c.push(s);
    }
    expect(c.length).to.be.greaterThan(0);
    expect(Object.keys(ALL_STRUCTS).sort()).to.deep.equal(c.sort());
  });

  for (const [name, type] of Object.entries(ALL_STRUCTS)) {
    it(`struct ${name}: size, and every field's offset and size`, () => {
      expect(compareStruct(name, type)).to.deep.equal([]);
    });
  }

  it('the comparison fails on a struct that drifted', () => {
    // mf_fwd_arg with `mode` widened to 16 bits: everything after it moves.
    const drifted = koffi.struct({
      port: 'uint16_t',
      peer: 'uint16_t',
      mode: 'uint16_t',
      has_mac: 'uint8_t',
      peer_mac: koffi.array('uint8_t', 6),
    });
    const diffs = compareStruct('mf_fwd_arg', drifted);
    expect(diffs.join('\n')).to.match(/offsetof\(mf_fwd_arg, has_mac\): TS 6, C 5/);
    expect(diffs.join('\n')).to.match(/sizeof\(mf_fwd_arg.mode\): TS 2, C 1/);
    // a field missing on the TypeScript side
    const missing = koffi.struct({ port: 'uint16_t' });
    expect(compareStruct('mf_fwd_arg', missing)).to.not.deep.equal([]);
    expect(compareStruct('mf_nothing', missing)).to.deep.equal(['struct mf_nothing is unknown to the library']);
  });

  it('the offsets used by hand-written encoders come from the koffi structs', () => {
    expect(S.O.requestSize).to.equal(cLayout('mf_request', null)!.size);
    expect(S.O.completionSize).to.equal(cLayout('mf_completion', null)!.size);
    expect(S.O.statsSize).to.equal(cLayout('mf_stats', null)!.size);
    expect(S.O.completion.reason).to.equal(cLayout('mf_completion', 'reason')!.offset);
    expect(S.O.stats.lcore).to.equal(cLayout('mf_stats', 'lcore')!.offset);
  });

  it('enum mf_op', () => {
    const c = cEnum('mf_op');
    expect(c.get('MF_OP_MAX')).to.equal(Object.keys(S.Op).length);
    c.delete('MF_OP_MAX');
    expect(new Map(Object.entries(S.Op).map(([k, v]) => [`MF_OP_${k}`, v]))).to.deep.equal(c);
  });

  it('enum mf_op_diag and the diagnostics constants', () => {
    const c = cEnum('mf_op_diag');
    const ts: Record<string, number> = {
      MF_OP_DIAG_MAX: D.OP_DIAG_MAX,
      MF_XSTAT_NAME_LEN: D.XSTAT_NAME_LEN,
      MF_CAPTURE_BUF_SIZE: D.CAPTURE_BUF_SIZE,
      MF_CAPTURE_SNAPLEN_MAX: D.CAPTURE_SNAPLEN_MAX,
      MF_CAPTURE_COUNT_MAX: D.CAPTURE_COUNT_MAX,
    };
    for (const [k, v] of Object.entries(D.DiagOp)) ts[`MF_OP_${k}`] = v;
    for (const [k, v] of Object.entries(D.FwdRun)) ts[`MF_FWD_RUN_${k}`] = v;
    for (const [k, v] of Object.entries(D.CaptureState)) ts[`MF_CAPTURE_${k}`] = v;
    expect(new Map(Object.entries(ts))).to.deep.equal(c);
    expect(D.DiagOp.XSTATS).to.equal(D.OP_DIAG_FIRST);
  });

  it('enum mf_op_stack and the stack constants', () => {
    const ts: Record<string, number> = {
      MF_OP_STACK_LAST: ST.OP_STACK_LAST,
      MF_STACK_MAX_ADDRS: ST.STACK_MAX_ADDRS,
      MF_UDP_MAX_SOCKETS: ST.UDP_MAX_SOCKETS,
      MF_UDP_MAX_PAYLOAD: ST.UDP_MAX_PAYLOAD,
    };
    for (const [k, v] of Object.entries(ST.StackOp)) ts[`MF_OP_${k}`] = v;
    for (const [k, v] of Object.entries(ST.NeighState)) ts[`MF_NEIGH_${k.toUpperCase()}`] = v;
    expect(new Map(Object.entries(ts))).to.deep.equal(cEnum('mf_op_stack'));
    expect(ST.StackOp.ADDR_ADD).to.equal(ST.OP_STACK_FIRST);
  });

  it('enum mf_send_op: the send ops, timings, flags, frame types, limits', () => {
    const ts: Record<string, number> = {
      MF_OP_SEND_END: SA.OP_SEND_END,
      MF_SEND_TIMING_MAX: Object.keys(SA.SendTiming).length,
      MF_SEND_COMMIT: SA.SendFlag.COMMIT,
      MF_SEND_BEST_EFFORT: SA.SendFlag.BEST_EFFORT,
      MF_SEND_FRAMES: SA.SendFlag.FRAMES,
      MF_FRAME_NONE: 0,
      MF_MSG_FRAME_END: SA.MSG_FRAME_END,
      MF_SEND_DROP_MAX: SA.SEND_DROP_REASONS.length,
      MF_SEND_DROP_CAPACITY: SA.SEND_DROP_CAPACITY,
      MF_SEND_MAX_DESTS: SA.SEND_MAX_DESTS,
      MF_SEND_MAX_MSGS: SA.SEND_MAX_MSGS,
      MF_SEND_MAX_FRAMES: SA.SEND_MAX_FRAMES,
      MF_SEND_MAX_PAYLOAD: SA.SEND_MAX_PAYLOAD,
      MF_SEND_MAX_BATCHES: SA.SEND_MAX_BATCHES,
      MF_LAT_BUCKETS: SA.LAT_BUCKETS,
    };
    for (const [k, v] of Object.entries(SA.SendOp)) ts[`MF_OP_${k}`] = v;
    for (const [k, v] of Object.entries(SA.SendTiming)) ts[`MF_SEND_${k.toUpperCase()}`] = v;
    for (const [k, v] of Object.entries(SA.FrameType)) ts[`MF_FRAME_${k}`] = v;
    for (const [k, v] of Object.entries(SA.SendDestKind)) ts[`MF_SEND_DEST_${k}`] = v;
    for (const [k, v] of Object.entries(SA.FrameOutcome)) ts[`MF_FRAME_${k.toUpperCase()}`] = v;
    SA.SEND_DROP_REASONS.forEach((r, i) => { ts[`MF_SEND_DROP_${r.toUpperCase()}`] = i; });
    expect(new Map(Object.entries(ts))).to.deep.equal(cEnum('mf_send_op'));
    expect(SA.SendOp.SEND_SUBMIT).to.equal(SA.OP_SEND_FIRST);
  });

  it('send drop reasons: names and order of MF_SEND_DROPS', () => {
    expect([...cEnum('mf_send_drop').entries()]).to.deep.equal(SA.SEND_DROP_REASONS.map((r, i) => [r, i]));
  });

  it('enum mf_fwd_mode', () => {
    const c = cEnum('mf_fwd_mode');
    expect(c.get('MF_FWD_MAX')).to.equal(Object.keys(S.FwdMode).length);
    c.delete('MF_FWD_MAX');
    expect(new Map(Object.entries(S.FwdMode).map(([k, v]) => [`MF_FWD_${k.toUpperCase()}`, v]))).to.deep.equal(c);
  });

  it('enum mf_seg_state, mf_client_state, mf_lcore_role', () => {
    expect(new Map(Object.entries(S.SegState).map(([k, v]) => [`MF_SEG_${k}`, v]))).to.deep.equal(cEnum('mf_seg_state'));
    expect(new Map(Object.entries(S.ClientState).map(([k, v]) => [`MF_CLIENT_${k}`, v]))).to.deep.equal(cEnum('mf_client_state'));
    expect(new Map(Object.entries(S.LcoreRole).map(([k, v]) => [`MF_LCORE_${k.toUpperCase()}`, v]))).to.deep.equal(cEnum('mf_lcore_role'));
  });

  it('constants', () => {
    const c = cEnum('const');
    const ts: Record<string, number> = {
      MF_ABI_MAJOR: S.ABI_MAJOR,
      MF_ABI_MINOR: S.ABI_MINOR,
      MF_CACHE_LINE: S.CACHE_LINE,
      MF_MAX_CLIENTS: S.MAX_CLIENTS,
      MF_MAX_PORTS: S.MAX_PORTS,
      MF_MAX_LCORES: S.MAX_LCORES,
      MF_RING_SIZE: S.RING_SIZE,
      MF_ARENA_SLOT_SIZE: S.ARENA_SLOT_SIZE,
      MF_NAME_LEN: S.NAME_LEN,
      MF_REASON_LEN: S.REASON_LEN,
      MF_INSTANCE_NAME_MAX: S.INSTANCE_NAME_MAX,
      MF_PORT_ALL: S.PORT_ALL,
      MF_PORT_NONE: S.PORT_NONE,
      MF_PORT_KEEP: S.PORT_KEEP,
      MF_CNT_CAPACITY: S.CNT_CAPACITY,
      MF_BULK_SLOTS: S.BULK_SLOTS,
      MF_BULK_SLOT_SIZE: S.BULK_SLOT_SIZE,
      MF_REQ_BULK: S.REQ_BULK,
    };
    for (const [k, v] of Object.entries(ts)) expect(c.get(k), k).to.equal(v);
    expect(n.abiVersion()).to.equal(S.ABI_MAJOR * 65536 + S.ABI_MINOR);
    expect(S.ARGS_LEN).to.equal(cLayout('mf_request', 'args')!.size);
  });

  it('port counter names come from the library, in enum order', () => {
    const c = cEnum('mf_port_counter');
    const max = c.get('MF_CNT_MAX');
    expect(max).to.equal(n.counterCount());
    const names = S.counterNames();
    expect(names.length).to.equal(max);
    expect(names).to.include.members(['rx_packets', 'tx_packets', 'fwd_in', 'fwd_out', 'drop_by_mode']);
    for (let i = 0; i < names.length; i++) {
      expect(c.get(`MF_CNT_${names[i]!.toUpperCase()}`), names[i]).to.equal(i);
      expect(S.counterInfo()[i]!.help).to.be.a('string').and.not.empty;
    }
  });

  it('decodeStats reads what the offsets say', () => {
    const buf = Buffer.alloc(S.O.statsSize);
    const names = S.counterNames();
    buf.writeUInt32LE(2, S.O.stats.n_ports);
    buf.writeUInt32LE(1, S.O.stats.n_lcores);
    buf.writeUInt32LE(names.length, S.O.stats.n_counters);
    buf.writeBigUInt64LE(123n, S.O.stats.updated_ns);
    const p1 = S.O.stats.port + S.O.portStatsSize;
    buf.writeBigUInt64LE(42n, p1 + 8 * names.indexOf('tx_packets'));
    const l0 = S.O.stats.lcore;
    buf.writeUInt32LE(S.LcoreRole.worker, l0 + S.O.lcore.role);
    buf.writeBigUInt64LE(25n, l0 + S.O.lcore.busy_cycles);
    buf.writeBigUInt64LE(100n, l0 + S.O.lcore.total_cycles);
    const s = S.decodeStats(buf, ['p0', 'p1']);
    expect(s.updatedNs).to.equal(123n);
    expect(s.ports.map((p) => p.name)).to.deep.equal(['p0', 'p1']);
    expect(s.ports[1]!.counters.tx_packets).to.equal(42);
    expect(s.ports[0]!.counters.tx_packets).to.equal(0);
    expect(s.lcores[0]!.role).to.equal('worker');
    expect(s.lcores[0]!.busyShare).to.equal(0.25);
  });
});
