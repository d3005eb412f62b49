// Typed errors. A ManifoldError carries the errno name (code), its number (errno), the reason
// given by the core or by libmanifold_ctl (what is wrong and what would be right) and the op.
import { constants } from 'node:os';

// Linux gives 11 two names; the core and libmanifold_ctl say -EAGAIN, so that is its name here
// (otherwise EWOULDBLOCK, listed later, would win).
const errnoNames: ReadonlyMap<number, string> = new Map([
  ...Object.entries(constants.errno).map(([name, num]): [number, string] => [num, name]),
  [constants.errno.EAGAIN, 'EAGAIN'],
]);

/** 2 -> 'ENOENT' (a negative errno works too). */
export function errnoName(errno: number): string {
  return errnoNames.get(Math.abs(errno)) ?? `E${Math.abs(errno)}`;
}

export function errnoNumber(code: string): number {
  return (constants.errno as Record<string, number>)[code] ?? 0;
}

export interface ManifoldErrorInit {
  /** errno number, positive or negative */
  errno: number;
  /** what is wrong and what would be right */
  reason: string;
  /** the operation: an op name ('FWD_SET'), or 'attach', 'poll', ... */
  op?: string;
  /** instance name */
  instance?: string;
}

export class ManifoldError extends Error {
  /** 'ENOENT', 'ECONNRESET', ... */
  readonly code: string;
  /** positive errno */
  readonly errno: number;
  readonly reason: string;
  readonly op: string | undefined;
  readonly instance: string | undefined;

  constructor(init: ManifoldErrorInit) {
    const code = errnoName(init.errno);
    super(`${init.op ? `${init.op}: ` : ''}${init.reason} (${code})`);
    this.name = new.target.name;
    this.code = code;
    this.errno = Math.abs(init.errno);
    this.reason = init.reason;
    this.op = init.op;
    this.instance = init.instance;
  }
}

/** No such instance (ENOENT), or a stale segment / shutting down (ECONNREFUSED). */
export class NotRunningError extends ManifoldError {}
/** The core and this client were built for different ABIs (EPROTONOSUPPORT). */
export class AbiMismatchError extends ManifoldError {}
/** /dev/shm/manifold.<name> is not a manifold segment (EPROTO). */
export class BadSegmentError extends ManifoldError {}
/** The core exited (ECONNRESET) or stopped answering (EHOSTDOWN). */
export class CoreGoneError extends ManifoldError {}
/** No answer in time (ETIMEDOUT). */
export class TimeoutError extends ManifoldError {}
/** All client slots taken (EBUSY), or too many requests in flight (EAGAIN). */
export class BusyError extends ManifoldError {}
/** This client was closed (ECANCELED for requests still pending at close). */
export class ClosedError extends ManifoldError {}

/** The core answered the request with a negative status. */
export class RequestRejectedError extends ManifoldError {
  /** the completion's status (a negative errno) */
  readonly status: number;

  constructor(init: ManifoldErrorInit & { status: number }) {
    super(init);
    this.status = init.status;
  }
}

/** An aggregate send the core could not take now (EAGAIN: its wheel, rings or batch table are
 * full; ENOBUFS: no mbufs or arena): nothing of the batch was kept. Wait for batches in flight
 * to finish (`await client.sendDrained()`) and send again, or pass `{ waitForRoom: true }`. */
export class SendBackpressureError extends RequestRejectedError {}

/** A message or setting of an aggregate send that cannot be sent as written (EINVAL), found
 * before anything reached the core. `index` is the message's index in its batch, if one. */
export class SendInputError extends ManifoldError {
  readonly index: number | undefined;

  constructor(reason: string, index?: number) {
    super({ errno: errnoNumber('EINVAL'), reason: index === undefined ? reason : `message ${index}: ${reason}`, op: 'SEND' });
    this.index = index;
  }
}

/** The right ManifoldError subclass for a -errno returned by libmanifold_ctl. */
export function errorFromNative(rc: number, reason: string, op?: string, instance?: string): ManifoldError {
  const init: ManifoldErrorInit = { errno: rc, reason: reason || `failed (${errnoName(rc)})`, op, instance };
  switch (errnoName(rc)) {
    case 'ENOENT':
    case 'ECONNREFUSED':
      return new NotRunningError(init);
    case 'EPROTONOSUPPORT':
      return new AbiMismatchError(init);
    case 'EPROTO':
      return new BadSegmentError(init);
    case 'ECONNRESET':
    case 'EHOSTDOWN':
      return new CoreGoneError(init);
    case 'ETIMEDOUT':
      return new TimeoutError(init);
    case 'EBUSY':
    case 'EAGAIN':
      return new BusyError(init);
    case 'ECANCELED':
      return new ClosedError(init);
    default:
      return new ManifoldError(init);
  }
}
