// The TypeScript mirror of include/manifold_abi_send.h: the aggregate-send op family's structs,
// enumerations and limits. test/unit/abi-layout.test.ts checks every size, offset and value
// here against what libmanifold_ctl reports from the C compiler.
import koffi, { type TypeObject } from 'koffi';

// ---- ops and limits -------------------------------------------------------------------------

export const OP_SEND_FIRST = 128;
/** enum mf_send_op, without the MF_OP_ prefix. */
export const SendOp = {
  SEND_SUBMIT: 128,
  SEND_REAP: 129,
  SEND_ABORT: 130,
  SEND_LATENESS: 131,
} as const;
export const OP_SEND_END = 132;

export const SEND_MAX_DESTS = 4096;
export const SEND_MAX_MSGS = 1048576;
export const SEND_MAX_FRAMES = 1024;
export const SEND_MAX_PAYLOAD = 8192;
export const SEND_MAX_BATCHES = 64;
export const LAT_BUCKETS = 64;
export const SEND_DROP_CAPACITY = 12;

/** enum mf_send_timing, by the names the API uses (MF_SEND_ASAP -> 'asap'). */
export const SendTiming = { asap: 0, at: 1, delay: 2, seq: 3, window: 4 } as const;
export type SendTimingName = keyof typeof SendTiming;

/** mf_send_arg.flags */
export const SendFlag = { COMMIT: 0x1, BEST_EFFORT: 0x2, FRAMES: 0x4 } as const;
/** mf_send_msg.flags */
export const MSG_FRAME_END = 0x1;

/** enum mf_frame_type, by letter (MF_FRAME_I -> 'I'). */
export const FrameType = { I: 1, P: 2, B: 3 } as const;
export type FrameTypeName = keyof typeof FrameType;

/** enum mf_send_dest_kind. */
export const SendDestKind = { ADDR: 0, POLICY: 1 } as const;

/** enum mf_frame_outcome, by lower-case name. */
export const FrameOutcome = { sent: 1, dropped: 2 } as const;
export type FrameOutcomeName = keyof typeof FrameOutcome;

/** enum mf_send_drop, in order: the names of MF_SEND_DROPS (the layout test checks them). */
export const SEND_DROP_REASONS = [
  'deadline', 'frame', 'nombuf', 'no_route', 'no_next_hop', 'tx_full', 'no_policy', 'invalid',
  'aborted',
] as const;
export type SendDropReason = (typeof SEND_DROP_REASONS)[number];

// ---- structures -----------------------------------------------------------------------------

export const MfSendArg = koffi.struct('mf_send_arg', {
  batch: 'uint32_t',
  flags: 'uint16_t',
  timing: 'uint8_t',
  reserved: 'uint8_t',
  total: 'uint32_t',
  reserved2: 'uint32_t',
  start_ns: 'uint64_t',
  end_ns: 'uint64_t',
  interval_ns: 'uint64_t',
});
export const MfSendChunk = koffi.struct('mf_send_chunk', {
  n_msgs: 'uint32_t',
  n_dests: 'uint16_t',
  reserved: 'uint16_t',
});
export const MfSendDest = koffi.struct('mf_send_dest', {
  ip: 'uint32_t',
  src_ip: 'uint32_t',
  udp_port: 'uint16_t',
  src_udp_port: 'uint16_t',
  kind: 'uint8_t',
  has_mac: 'uint8_t',
  mac: koffi.array('uint8_t', 6),
  policy: koffi.array('char', 32),
  reserved: koffi.array('uint8_t', 4),
});
export const MfSendMsg = koffi.struct('mf_send_msg', {
  time: 'uint64_t',
  frame: 'uint32_t',
  dest: 'uint16_t',
  len: 'uint16_t',
  frame_type: 'uint8_t',
  flags: 'uint8_t',
  reserved: koffi.array('uint8_t', 6),
});
export const MfSendReply = koffi.struct('mf_send_reply', {
  batch: 'uint32_t',
  n_msgs: 'uint32_t',
  n_dests: 'uint32_t',
  skipped: 'uint32_t',
});
export const MfSendReapArg = koffi.struct('mf_send_reap_arg', {
  batch: 'uint32_t',
  max: 'uint32_t',
});
export const MfSendReapHdr = koffi.struct('mf_send_reap_hdr', {
  count: 'uint32_t',
  pending: 'uint32_t',
});
export const MfSendReport = koffi.struct('mf_send_report', {
  batch: 'uint32_t',
  n_msgs: 'uint32_t',
  sent: 'uint32_t',
  late: 'uint32_t',
  drop: koffi.array('uint32_t', SEND_DROP_CAPACITY),
  first_tx_ns: 'uint64_t',
  last_tx_ns: 'uint64_t',
  late_p50_ns: 'uint64_t',
  late_p99_ns: 'uint64_t',
  late_max_ns: 'uint64_t',
  n_frames: 'uint32_t',
  frames_dropped: 'uint32_t',
});
export const MfSendFrameOut = koffi.struct('mf_send_frame_out', {
  frame: 'uint32_t',
  type: 'uint8_t',
  outcome: 'uint8_t',
  n_msgs: 'uint16_t',
});
export const MfLateness = koffi.struct('mf_lateness', {
  lcore_id: 'uint32_t',
  reserved: 'uint32_t',
  count: 'uint64_t',
  sum_ns: 'uint64_t',
  max_ns: 'uint64_t',
  bucket: koffi.array('uint64_t', LAT_BUCKETS),
});
export const MfLatenessHdr = koffi.struct('mf_lateness_hdr', {
  count: 'uint32_t',
  reserved: 'uint32_t',
});

/** Every send struct by its C name (the layout test walks this). */
export const SEND_STRUCTS = {
  mf_send_arg: MfSendArg,
  mf_send_chunk: MfSendChunk,
  mf_send_dest: MfSendDest,
  mf_send_msg: MfSendMsg,
  mf_send_reply: MfSendReply,
  mf_send_reap_arg: MfSendReapArg,
  mf_send_reap_hdr: MfSendReapHdr,
  mf_send_report: MfSendReport,
  mf_send_frame_out: MfSendFrameOut,
  mf_lateness: MfLateness,
  mf_lateness_hdr: MfLatenessHdr,
} as const;

function offsets<K extends string>(t: TypeObject, fields: readonly K[]): Record<K, number> & { size: number } {
  const o = { size: koffi.sizeof(t) } as Record<K, number> & { size: number };
  for (const f of fields) (o as Record<string, number>)[f] = koffi.offsetof(t, f);
  return o;
}

/** Offsets for the hand-written encoders and decoders, all taken from the koffi structs. */
export const SO = {
  arg: offsets(MfSendArg, ['batch', 'flags', 'timing', 'total', 'start_ns', 'end_ns', 'interval_ns'] as const),
  chunk: offsets(MfSendChunk, ['n_msgs', 'n_dests'] as const),
  dest: offsets(MfSendDest, ['ip', 'src_ip', 'udp_port', 'src_udp_port', 'kind', 'has_mac', 'mac', 'policy'] as const),
  msg: offsets(MfSendMsg, ['time', 'frame', 'dest', 'len', 'frame_type', 'flags'] as const),
  reply: offsets(MfSendReply, ['batch', 'n_msgs', 'n_dests', 'skipped'] as const),
  reapArg: offsets(MfSendReapArg, ['batch', 'max'] as const),
  reapHdr: offsets(MfSendReapHdr, ['count', 'pending'] as const),
  report: offsets(MfSendReport, ['batch', 'n_msgs', 'sent', 'late', 'drop', 'first_tx_ns', 'last_tx_ns',
    'late_p50_ns', 'late_p99_ns', 'late_max_ns', 'n_frames', 'frames_dropped'] as const),
  frame: offsets(MfSendFrameOut, ['frame', 'type', 'outcome', 'n_msgs'] as const),
  lat: offsets(MfLateness, ['lcore_id', 'count', 'sum_ns', 'max_ns', 'bucket'] as const),
  latHdr: offsets(MfLatenessHdr, ['count'] as const),
} as const;

/** Bytes one message takes in a chunk: its header, its payload, padding to 8. */
export function msgRecordSize(len: number): number {
  return SO.msg.size + ((len + 7) & ~7);
}
