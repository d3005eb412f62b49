// The one table of native functions of libmanifold_ctl (see ffi/ctl/mf_ctl.h), declared for
// koffi once per process. Every int-returning function returns 0 (or a count) or -errno, with
// the reason in lastError(). Handles are opaque pointers: BigInt in koffi 3.
import koffi, { type LibraryHandle } from 'koffi';
import { loadLibrary } from './load.js';

/** A `struct mf_ctl *`. */
export type CtlHandle = bigint;

/** Something koffi passes to C as a pointer to its bytes. */
export type Bytes = Buffer | Uint8Array;

export interface NativeTable {
  readonly path: string;
  lastError(): string;
  abiVersion(): number;
  /** out[0] receives the handle. */
  attach(name: string, timeoutMs: number, out: [CtlHandle | null]): number;
  detach(ctl: CtlHandle): void;
  submit(ctl: CtlHandle, ctx: number | bigint, op: number, args: Bytes | null, argsLen: number,
    input: Bytes | null, inLen: number): number;
  /** reqs: n packed struct mf_request; input: their inputs back to back. */
  submitBatch(ctl: CtlHandle, reqs: Bytes, n: number, input: Bytes | null, inTotal: number): number;
  /** out: max struct mf_completion; replies back to back in replyBuf; lens[i] each length. */
  poll(ctl: CtlHandle, out: Bytes, max: number, replyBuf: Bytes, replyCap: number,
    lens: Uint32Array): number;
  inFlight(ctl: CtlHandle): number;
  /** A free bulk slot's index, held until the request carrying it completes; -EAGAIN if none. */
  bulkAcquire(ctl: CtlHandle): number;
  bulkWrite(ctl: CtlHandle, slot: number, offset: number, src: Bytes, len: number): number;
  bulkRelease(ctl: CtlHandle, slot: number): number;
  call(ctl: CtlHandle, op: number, args: Bytes | null, argsLen: number, input: Bytes | null,
    inLen: number, reply: Bytes | null, replyCap: number, replyLen: Uint32Array,
    status: Int32Array, reason: Bytes | null, timeoutMs: number): number;
  /** out: sizeof(struct mf_stats) bytes. */
  statsRead(ctl: CtlHandle, out: Bytes): number;
  corePid(ctl: CtlHandle): number;
  coreAlive(ctl: CtlHandle): number;
  heartbeatAgeNs(ctl: CtlHandle): number | bigint;
  clientIndex(ctl: CtlHandle): number;
  counterCount(): number;
  counterName(i: number): string | null;
  counterHelp(i: number): string | null;
  layout(structName: string, field: string | null, size: Uint32Array, offset: Uint32Array): number;
  layoutField(structName: string, i: number): string | null;
  layoutStruct(i: number): string | null;
  enumMember(group: string, i: number, value: BigInt64Array): string | null;
  enumValue(group: string, member: string, value: BigInt64Array): number;
}

let table: NativeTable | undefined;

// koffi functions are untyped; each is given its TypeScript signature here, in one place.
function fn<T>(lib: LibraryHandle, proto: string): T {
  return lib.func(proto) as unknown as T;
}

/** The native functions (loads the library on first use). */
export function native(): NativeTable {
  if (table) return table;
  const { path, lib } = loadLibrary();
  koffi.opaque('mf_ctl');
  type N = NativeTable;
  table = {
    path,
    lastError: fn<N['lastError']>(lib, 'const char *mf_ctl_last_error(void)'),
    abiVersion: fn<N['abiVersion']>(lib, 'uint32_t mf_ctl_abi_version(void)'),
    attach: fn<N['attach']>(lib,
      'int mf_ctl_attach_ex(const char *name, uint32_t timeout_ms, _Out_ mf_ctl **out)'),
    detach: fn<N['detach']>(lib, 'void mf_ctl_detach(mf_ctl *ctl)'),
    submit: fn<N['submit']>(lib,
      'int mf_ctl_submit(mf_ctl *ctl, uint64_t ctx, uint16_t op, const void *args, ' +
      'uint32_t args_len, const void *in, uint32_t in_len)'),
    submitBatch: fn<N['submitBatch']>(lib,
      'int mf_ctl_submit_batch(mf_ctl *ctl, const void *reqs, uint32_t n, const void *in, ' +
      'uint32_t in_total)'),
    poll: fn<N['poll']>(lib,
      'int mf_ctl_poll(mf_ctl *ctl, void *out, uint32_t max, void *reply_buf, ' +
      'uint32_t reply_cap, uint32_t *reply_lens)'),
    inFlight: fn<N['inFlight']>(lib, 'uint32_t mf_ctl_in_flight(mf_ctl *ctl)'),
    bulkAcquire: fn<N['bulkAcquire']>(lib, 'int mf_ctl_bulk_acquire(mf_ctl *ctl)'),
    bulkWrite: fn<N['bulkWrite']>(lib,
      'int mf_ctl_bulk_write(mf_ctl *ctl, uint32_t slot, uint32_t offset, const void *src, uint32_t len)'),
    bulkRelease: fn<N['bulkRelease']>(lib, 'int mf_ctl_bulk_release(mf_ctl *ctl, uint32_t slot)'),
    call: fn<N['call']>(lib,
      'int mf_ctl_call(mf_ctl *ctl, uint16_t op, const void *args, uint32_t args_len, ' +
      'const void *in, uint32_t in_len, void *reply, uint32_t reply_cap, uint32_t *reply_len, ' +
      'int32_t *status, void *reason, uint32_t timeout_ms)'),
    statsRead: fn<N['statsRead']>(lib, 'int mf_ctl_stats_read(mf_ctl *ctl, void *out)'),
    corePid: fn<N['corePid']>(lib, 'uint32_t mf_ctl_core_pid(mf_ctl *ctl)'),
    coreAlive: fn<N['coreAlive']>(lib, 'int mf_ctl_core_alive(mf_ctl *ctl)'),
    heartbeatAgeNs: fn<N['heartbeatAgeNs']>(lib, 'uint64_t mf_ctl_heartbeat_age_ns(mf_ctl *ctl)'),
    clientIndex: fn<N['clientIndex']>(lib, 'int mf_ctl_client_index(mf_ctl *ctl)'),
    counterCount: fn<N['counterCount']>(lib, 'int mf_ctl_counter_count(void)'),
    counterName: fn<N['counterName']>(lib, 'const char *mf_ctl_counter_name(int i)'),
    counterHelp: fn<N['counterHelp']>(lib, 'const char *mf_ctl_counter_help(int i)'),
    layout: fn<N['layout']>(lib,
      'int mf_ctl_layout(const char *s, const char *field, uint32_t *size, uint32_t *offset)'),
    layoutField: fn<N['layoutField']>(lib,
      'const char *mf_ctl_layout_field(const char *s, uint32_t i)'),
    layoutStruct: fn<N['layoutStruct']>(lib, 'const char *mf_ctl_layout_struct(uint32_t i)'),
    enumMember: fn<N['enumMember']>(lib,
      'const char *mf_ctl_enum_member(const char *group, uint32_t i, int64_t *value)'),
    enumValue: fn<N['enumValue']>(lib,
      'int mf_ctl_enum_value(const char *group, const char *member, int64_t *value)'),
  };
  return table;
}
