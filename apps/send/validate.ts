// The plain-object form of an aggregate send, checked field by field: every problem is
// collected with the path of its field ("messages[17].dest: ..."), what is wrong and what
// would be right, then the object becomes a SendBatch. The CLI checks its JSON lines with the
// same functions, naming lines instead of paths.
//
//   await mf.send({ timing: 'delay', destinations: [{ ip: '198.18.1.2', port: 5000 }],
//     messages: [{ dest: 0, payload: 'a' }, { dest: 0, payload: 'b', time: '1ms' }] });
import { SEND_MAX_DESTS, SEND_MAX_MSGS, SEND_MAX_PAYLOAD, SendTiming, type SendTimingName } from '../../ffi/send-abi.js';
import { SendBatch, type DestinationSpec, type FrameTag, type SendSettings } from '../../ffi/send-batch.js';

/** A time: ns as a bigint or a whole number, or a string: "1500000" (ns), "1.5ms", "250us",
 * "2s"; "+5ms" (only where an absolute time is meant) is that long after now. */
export type TimeValue = bigint | number | string;

export interface SendMessageObject {
  /** index into destinations */
  dest: number;
  /** the bytes; a string is sent as UTF-8 */
  payload: Uint8Array | string;
  time?: TimeValue;
  frame?: FrameTag;
}

export interface SendSettingsObject {
  timing?: SendTimingName;
  start?: TimeValue;
  end?: TimeValue;
  interval?: TimeValue;
  bestEffort?: boolean;
  frames?: boolean;
}

export interface SendBatchObject extends SendSettingsObject {
  destinations: DestinationSpec[];
  messages: SendMessageObject[];
}

export class SendValidationError extends Error {
  constructor(readonly problems: string[], source = 'send batch') {
    const shown = problems.slice(0, 20);
    super(`${source} is not valid:\n` + shown.map((p) => `  - ${p}`).join('\n') +
      (problems.length > shown.length ? `\n  ... and ${problems.length - shown.length} more` : ''));
    this.name = 'SendValidationError';
  }
}

export const SETTINGS_KEYS = ['timing', 'start', 'end', 'interval', 'bestEffort', 'frames'] as const;
const BATCH_KEYS = [...SETTINGS_KEYS, 'destinations', 'messages'];
const DEST_KEYS = ['ip', 'port', 'srcIp', 'srcPort', 'mac', 'policy'];
const MSG_KEYS = ['dest', 'payload', 'time', 'frame'];
const FRAME_KEYS = ['id', 'type', 'end'];
const TIMINGS = Object.keys(SendTiming);
const IPV4_RE = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;
const MAC_RE = /^([0-9a-fA-F]{2}:){5}[0-9a-fA-F]{2}$/;
const POLICY_ID_RE = /^[A-Za-z0-9_.:-]{1,31}$/;
const UNIT_NS: Record<string, bigint> = { ns: 1n, us: 1000n, 'µs': 1000n, ms: 1_000_000n, s: 1_000_000_000n };
const TIME_RE = /^(\+)?(\d+)(?:\.(\d{1,9}))?(ns|us|µs|ms|s)?$/;

export function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export function unknownKeys(obj: Record<string, unknown>, known: readonly string[], where: string, problems: string[]): void {
  for (const key of Object.keys(obj)) {
    if (!known.includes(key)) problems.push(`${where}${key}: unknown field; known fields are ${known.join(', ')}`);
  }
}

/** A TimeValue as ns; `now` resolves "+..." (absolute: whether "+" is allowed). Undefined and a
 * problem pushed when it is not a time. */
export function parseTime(v: unknown, where: string, problems: string[], absolute: boolean, now: bigint): bigint | undefined {
  const bad = (): undefined => {
    problems.push(`${where}: ${JSON.stringify(typeof v === 'bigint' ? v.toString() : v)} is not a time; write ns as a whole number or a string like "1500us", "1.5ms"` +
      (absolute ? ', or "+5ms" for 5 ms from now' : ''));
    return undefined;
  };
  if (typeof v === 'bigint') return v >= 0n && v < 1n << 64n ? v : bad();
  if (typeof v === 'number') return Number.isSafeInteger(v) && v >= 0 ? BigInt(v) : bad();
  if (typeof v !== 'string') return bad();
  const m = TIME_RE.exec(v.trim());
  if (!m) return bad();
  if (m[1] && !absolute) {
    problems.push(`${where}: "${v}": "+" (from now) is only for absolute times (start, end, and time with timing 'at'); here write "${v.slice(1)}"`);
    return undefined;
  }
  const unit = UNIT_NS[m[4] ?? 'ns']!;
  const frac = m[3] ?? '';
  let ns = BigInt(m[2]!) * unit + (BigInt(frac.padEnd(9, '0')) * unit) / 1_000_000_000n;
  if (frac && !m[4]) return bad(); // "1.5" ns: no
  if (m[1]) ns += now;
  return ns;
}

/** Checks the batch settings; returns them with times resolved. */
export function settingsFrom(o: Record<string, unknown>, where: string, problems: string[], now: bigint): SendSettings {
  const s: SendSettings = {};
  if (o.timing !== undefined) {
    if (typeof o.timing !== 'string' || !TIMINGS.includes(o.timing)) problems.push(`${where}timing: must be one of ${TIMINGS.join(', ')}, not ${JSON.stringify(o.timing)}`);
    else s.timing = o.timing as SendTimingName;
  }
  for (const k of ['start', 'end'] as const) {
    if (o[k] !== undefined) s[k] = parseTime(o[k], `${where}${k}`, problems, true, now);
  }
  if (o.interval !== undefined) s.interval = parseTime(o.interval, `${where}interval`, problems, false, now);
  for (const k of ['bestEffort', 'frames'] as const) {
    if (o[k] !== undefined && typeof o[k] !== 'boolean') problems.push(`${where}${k}: must be true or false, not ${JSON.stringify(o[k])}`);
    else if (o[k] !== undefined) s[k] = o[k] as boolean;
  }
  const timing = s.timing ?? 'asap';
  if (timing === 'window' && (o.start === undefined || o.end === undefined)) problems.push(`${where}timing: 'window' needs start and end, e.g. "start": "+10ms", "end": "+60ms"`);
  if (timing === 'seq' && o.interval === undefined) problems.push(`${where}interval: timing 'seq' needs it: the time between two sequence numbers, e.g. "100us"`);
  if (s.start !== undefined && s.end !== undefined && s.end <= s.start) problems.push(`${where}end: must be after start`);
  if (s.frames === true) {
    if (o.interval === undefined) problems.push(`${where}interval: "frames": true needs it: the time between two frames, e.g. "33ms"`);
    if (timing !== 'asap' && timing !== 'window') problems.push(`${where}timing: frames are paced by the core: use 'asap' (from start) or 'window', not '${timing}'`);
  }
  return s;
}

function port(v: unknown): boolean {
  return typeof v === 'number' && Number.isInteger(v) && v >= 1 && v <= 65535;
}

/** Checks one destination; pushes a problem per bad field. */
export function checkDestination(d: unknown, where: string, problems: string[]): d is DestinationSpec {
  if (!isObject(d)) {
    problems.push(`${where}: must be an object like { "ip": "198.18.1.2", "port": 5000 }`);
    return false;
  }
  const before = problems.length;
  unknownKeys(d, DEST_KEYS, `${where}.`, problems);
  if (typeof d.ip !== 'string' || !IPV4_RE.test(d.ip)) problems.push(`${where}.ip: ${JSON.stringify(d.ip)} is not an IPv4 address; write it as 198.18.1.2`);
  if (!port(d.port)) problems.push(`${where}.port: must be a UDP port 1..65535, not ${JSON.stringify(d.port)}`);
  if (d.srcIp !== undefined && (typeof d.srcIp !== 'string' || !IPV4_RE.test(d.srcIp))) problems.push(`${where}.srcIp: ${JSON.stringify(d.srcIp)} is not an IPv4 address; write it as 198.18.1.1`);
  if (d.srcPort !== undefined && !port(d.srcPort)) problems.push(`${where}.srcPort: must be a UDP port 1..65535, not ${JSON.stringify(d.srcPort)}`);
  if (d.mac !== undefined && (typeof d.mac !== 'string' || !MAC_RE.test(d.mac))) problems.push(`${where}.mac: ${JSON.stringify(d.mac)} is not a MAC address; write it as 02:00:00:00:00:01`);
  if (d.policy !== undefined && (typeof d.policy !== 'string' || !POLICY_ID_RE.test(d.policy))) problems.push(`${where}.policy: must be a policy id (1..31 of A-Z a-z 0-9 _ . : -), not ${JSON.stringify(d.policy)}`);
  return problems.length === before;
}

/** Checks the frame tag of a message. */
export function checkFrame(f: unknown, where: string, problems: string[]): f is FrameTag {
  if (!isObject(f)) {
    problems.push(`${where}: must be an object like { "id": 7, "type": "I" }`);
    return false;
  }
  const before = problems.length;
  unknownKeys(f, FRAME_KEYS, `${where}.`, problems);
  if (typeof f.id !== 'number' || !Number.isInteger(f.id) || f.id < 0 || f.id > 0xffffffff) problems.push(`${where}.id: must be a whole number 0..4294967295, not ${JSON.stringify(f.id)}`);
  if (f.type !== 'I' && f.type !== 'P' && f.type !== 'B') problems.push(`${where}.type: must be "I", "P" or "B", not ${JSON.stringify(f.type)}`);
  if (f.end !== undefined && typeof f.end !== 'boolean') problems.push(`${where}.end: must be true or false`);
  return problems.length === before;
}

export interface MessageContext {
  timing: SendTimingName;
  frames: boolean;
  nDests: number;
  now: bigint;
}

/** Checks the time and frame of a message against its batch; returns its time in ns. */
export function messageTime(m: Record<string, unknown>, where: string, problems: string[], ctx: MessageContext): bigint | undefined {
  const timed = ctx.timing === 'at' || ctx.timing === 'delay' || ctx.timing === 'seq';
  let time: bigint | undefined;
  if (m.time === undefined) {
    if (timed) problems.push(`${where}time: timing '${ctx.timing}' needs a time on every message (${ctx.timing === 'seq' ? 'its sequence number' : ctx.timing === 'at' ? 'e.g. "+5ms"' : 'e.g. "1ms" after the first'})`);
  } else if (!timed) {
    problems.push(`${where}time: only for timing at, delay or seq; this batch is '${ctx.timing}'`);
  } else if (ctx.timing === 'seq') {
    if (typeof m.time === 'number' && Number.isSafeInteger(m.time) && m.time >= 0) time = BigInt(m.time);
    else if (typeof m.time === 'bigint' && m.time >= 0n) time = m.time;
    else problems.push(`${where}time: with timing 'seq' it is a sequence number, a whole number >= 0, not ${JSON.stringify(typeof m.time === 'bigint' ? String(m.time) : m.time)}`);
  } else {
    time = parseTime(m.time, `${where}time`, problems, ctx.timing === 'at', ctx.now);
  }
  if (m.frame !== undefined) {
    if (!ctx.frames) problems.push(`${where}frame: only for batches with "frames": true`);
    else checkFrame(m.frame, `${where}frame`, problems);
  } else if (ctx.frames) {
    problems.push(`${where}frame: this batch has "frames": true, so every message needs { "id", "type" }`);
  }
  return time;
}

/** Checks a plain-object batch, every problem at once; returns the SendBatch it describes.
 * Throws SendValidationError. `now` resolves "+5ms" times (default: now). */
export function batchFromObject(obj: unknown, now: bigint = process.hrtime.bigint()): SendBatch {
  const problems: string[] = [];
  if (!isObject(obj)) throw new SendValidationError(['the batch must be an object { destinations: [...], messages: [...] }']);
  unknownKeys(obj, BATCH_KEYS, '', problems);
  const settings = settingsFrom(obj, '', problems, now);
  const dests = obj.destinations;
  const msgs = obj.messages;
  if (!Array.isArray(dests) || dests.length === 0) problems.push('destinations: must be a non-empty array of { ip, port }');
  else if (dests.length > SEND_MAX_DESTS) problems.push(`destinations: ${dests.length} are more than the ${SEND_MAX_DESTS} a batch holds`);
  else dests.forEach((d, i) => checkDestination(d, `destinations[${i}]`, problems));
  if (!Array.isArray(msgs) || msgs.length === 0) problems.push('messages: must be a non-empty array of { dest, payload }');
  else if (msgs.length > SEND_MAX_MSGS) problems.push(`messages: ${msgs.length} are more than the ${SEND_MAX_MSGS} a batch holds`);
  const ctx: MessageContext = { timing: settings.timing ?? 'asap', frames: settings.frames ?? false, nDests: Array.isArray(dests) ? dests.length : 0, now };
  const times: (bigint | undefined)[] = [];
  if (Array.isArray(msgs) && msgs.length <= SEND_MAX_MSGS) {
    msgs.forEach((m, i) => {
      const where = `messages[${i}].`;
      if (!isObject(m)) {
        problems.push(`messages[${i}]: must be an object { dest, payload }`);
        return;
      }
      unknownKeys(m, MSG_KEYS, where, problems);
      if (typeof m.dest !== 'number' || !Number.isInteger(m.dest) || m.dest < 0 || m.dest >= ctx.nDests) {
        problems.push(`${where}dest: ${JSON.stringify(m.dest)} is not an index of destinations; use 0..${Math.max(ctx.nDests - 1, 0)}`);
      }
      const len = typeof m.payload === 'string' ? Buffer.byteLength(m.payload) : m.payload instanceof Uint8Array ? m.payload.length : -1;
      if (len < 0) problems.push(`${where}payload: must be a string (sent as UTF-8) or a Uint8Array`);
      else if (len > SEND_MAX_PAYLOAD) problems.push(`${where}payload: ${len} bytes; a message carries at most ${SEND_MAX_PAYLOAD}`);
      times[i] = messageTime(m, where, problems, ctx);
    });
  }
  if (problems.length > 0) throw new SendValidationError(problems);
  // Checked: building cannot fail but on rules that span messages (frame adjacency).
  try {
    const b = new SendBatch(settings);
    const handles = (dests as DestinationSpec[]).map((d) => b.dest(d));
    (msgs as SendMessageObject[]).forEach((m, i) => {
      const payload = typeof m.payload === 'string' ? Buffer.from(m.payload) : m.payload;
      b.add(handles[m.dest]!, payload, { time: times[i], frame: m.frame });
    });
    return b;
  } catch (e) {
    const idx = (e as { index?: number }).index;
    const reason = (e as { reason?: string }).reason ?? (e as Error).message;
    throw new SendValidationError([idx !== undefined ? `messages[${idx}]: ${reason.replace(/^message \d+: /, '')}` : reason]);
  }
}
