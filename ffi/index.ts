// manifold's TypeScript binding: attach to a running core and drive it.
//
//   import { Manifold } from '../ffi/index.js';
//   const mf = Manifold.attach('default');
//   console.log(await mf.version(), await mf.ports());
//   await mf.setForward('all', 'io');
//   const s = await mf.stats();            // s.ports[0].counters.rx_packets
//   mf.close();
export { Manifold } from './client.js';
export type { AttachOptions, ForwardOptions, Reply, RequestOptions } from './client.js';
export {
  AbiMismatchError,
  BadSegmentError,
  BusyError,
  ClosedError,
  CoreGoneError,
  ManifoldError,
  NotRunningError,
  RequestRejectedError,
  SendBackpressureError,
  SendInputError,
  TimeoutError,
  errnoName,
  errnoNumber,
  errorFromNative,
} from './errors.js';
export type { ManifoldErrorInit } from './errors.js';
export {
  ABI_MAJOR,
  ABI_MINOR,
  ARENA_SLOT_SIZE,
  BULK_SLOTS,
  BULK_SLOT_SIZE,
  FwdMode,
  LcoreRole,
  MAX_PORTS,
  Op,
  PORT_ALL,
  PORT_NONE,
  PORT_KEEP,
  RING_SIZE,
  counterInfo,
  counterNames,
  formatMac,
  parseMac,
} from './structs.js';
export type {
  CounterInfo,
  FwdModeName,
  LcoreRoleName,
  LcoreStats,
  OpCode,
  OpName,
  PortCounters,
  PortInfo,
  Stats,
  VersionInfo,
} from './structs.js';
export { findLibrary, libraryCandidates, loadLibrary } from './load.js';
export { CaptureState, DiagOp, Diag, FwdRun, parseCaptureRecords } from './diag.js';
export type { CaptureInfo, CaptureOptions, CaptureResult, CapturedPacket, RunInfo, Xstat } from './diag.js';
export { formatTrace, traceArm, traceFetch, traceRun } from './trace.js';
export type { TraceAction, TraceInfo, TraceRecord } from './trace.js';
export { NeighState, Stack, StackOp, UdpSocket, formatIpv4, parseIpv4, parseUdpBatch } from './stack.js';
export type { AddressInfo, Datagram, Endpoint, Neighbour, NeighStateName, SendTotals } from './stack.js';
export { Policies, PolicyOp, POLICY_SLOT_DESTS, DEST_SLOT_DESTS, encodePolicy, decodePolicy } from './policies.js';
export type { DestinationOptions, PolicyLimits } from './policies.js';
export { PolicyError, validatePolicy, policyProblems } from '../apps/policy/index.js';
export type { Action, Destination, Policy, PolicyMatch, PolicyStats, PolicySummary, Lifetime } from '../apps/policy/index.js';
export { SplitDatagramDecoder, FramedDecoder, SplitDecodeError, encodeFramed, decodeAggregated } from '../apps/policy/decoders.js';
export type { SplitAction } from '../apps/policy/index.js';
export { SendBatch, Sender, droppedTotal } from './send.js';
export type { DestinationSpec, FrameReport, FrameTag, Lateness, LatenessReport, LatenessStats, MessageOptions, SendBatchObject, SendDest, SendOptions, SendReport, SendSettings } from './send.js';
export { SendOp, SendTiming, FrameType, SEND_DROP_REASONS, SEND_MAX_DESTS, SEND_MAX_MSGS, SEND_MAX_PAYLOAD, SEND_MAX_FRAMES } from './send-abi.js';
export type { SendDropReason, SendTimingName, FrameTypeName } from './send-abi.js';
export { SendValidationError, batchFromObject } from '../apps/send/validate.js';
