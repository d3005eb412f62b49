// The JSON-lines form of a send, as `manifold send FILE` reads it: an optional first line of
// batch settings, then one message per line with its destination inline:
//
//   {"timing":"delay"}
//   {"to":"198.18.1.2:5000","data":"hello","time":0}
//   {"to":"198.18.1.2:5001","hex":"00ff10","time":"1ms","srcIp":"198.18.1.1"}
//   {"to":"198.18.2.2:5000","base64":"aGk=","time":"2ms","mac":"02:00:00:00:00:02"}
//
// Destinations are gathered into the batch's table (one entry per distinct to/srcIp/srcPort/
// mac/policy). Every problem is reported with its line and field: "line 3: to: ...".
import { SendBatch, type DestinationSpec, type FrameTag, type SendSettings } from '../../ffi/send-batch.js';
import { SEND_MAX_DESTS, SEND_MAX_MSGS, SEND_MAX_PAYLOAD } from '../../ffi/send-abi.js';
import {
  SETTINGS_KEYS,
  SendValidationError,
  checkDestination,
  isObject,
  messageTime,
  settingsFrom,
  unknownKeys,
  type MessageContext,
} from './validate.js';

const LINE_KEYS = ['to', 'data', 'hex', 'base64', 'time', 'frame', 'srcIp', 'srcPort', 'mac', 'policy'];
const TO_RE = /^(\d{1,3}(?:\.\d{1,3}){3}):(\d{1,5})$/;

export interface ParsedSend {
  batch: SendBatch;
  /** the file line (1-based) of each message, by message index */
  lineOf: number[];
}

function payloadOf(o: Record<string, unknown>, where: string, problems: string[]): Buffer | undefined {
  const given = (['data', 'hex', 'base64'] as const).filter((k) => o[k] !== undefined);
  if (given.length !== 1) {
    problems.push(`${where}${given.length ? given.join(', ') : 'data'}: give exactly one of "data" (text), "hex" or "base64"`);
    return undefined;
  }
  const k = given[0]!;
  const v = o[k];
  if (typeof v !== 'string') {
    problems.push(`${where}${k}: must be a string`);
    return undefined;
  }
  let b: Buffer;
  if (k === 'hex') {
    if (!/^([0-9a-fA-F]{2})*$/.test(v)) {
      problems.push(`${where}hex: "${v.length > 20 ? v.slice(0, 20) + '...' : v}" is not hex; write bytes as pairs of 0-9a-f, e.g. "00ff10"`);
      return undefined;
    }
    b = Buffer.from(v, 'hex');
  } else if (k === 'base64') {
    if (!/^[A-Za-z0-9+/]*={0,2}$/.test(v) || v.length % 4 !== 0) {
      problems.push(`${where}base64: not base64 (A-Z a-z 0-9 + /, padded with = to a multiple of 4)`);
      return undefined;
    }
    b = Buffer.from(v, 'base64');
  } else {
    b = Buffer.from(v, 'utf8');
  }
  if (b.length > SEND_MAX_PAYLOAD) {
    problems.push(`${where}${k}: ${b.length} bytes; a message carries at most ${SEND_MAX_PAYLOAD}`);
    return undefined;
  }
  return b;
}

function destinationOf(o: Record<string, unknown>, where: string, problems: string[]): DestinationSpec | undefined {
  const m = typeof o.to === 'string' ? TO_RE.exec(o.to.trim()) : null;
  if (!m) {
    problems.push(`${where}to: ${JSON.stringify(o.to)} is not a destination; write it as "198.18.1.2:5000"`);
    return undefined;
  }
  const d: Record<string, unknown> = { ip: m[1], port: Number(m[2]) };
  for (const k of ['srcIp', 'srcPort', 'mac', 'policy']) if (o[k] !== undefined) d[k] = o[k];
  const sub: string[] = [];
  if (!checkDestination(d, 'to', sub)) {
    // checkDestination names fields as "to.port", "to.srcIp": say them as the line's fields.
    for (const p of sub) problems.push(`${where}${p.replace(/^to\.(ip|port)/, 'to').replace(/^to\./, '')}`);
    return undefined;
  }
  return d as unknown as DestinationSpec;
}

/** Parses the JSON lines of `text` (from `source`, for messages) into a batch. Throws
 * SendValidationError listing every problem with its line. */
export function parseSendLines(text: string, source: string, now: bigint = process.hrtime.bigint()): ParsedSend {
  const problems: string[] = [];
  const lines = text.split('\n');
  let settings: SendSettings = {};
  const dests = new Map<string, number>();
  const destList: DestinationSpec[] = [];
  const msgs: { dest: number; payload: Buffer; time?: bigint; frame?: FrameTag; line: number }[] = [];
  let ctx: MessageContext | null = null;
  let first = true;
  for (let i = 0; i < lines.length; i++) {
    const raw = lines[i]!.trim();
    if (raw === '') continue;
    const where = `line ${i + 1}: `;
    let o: unknown;
    try {
      o = JSON.parse(raw);
    } catch (e) {
      problems.push(`${where}not JSON (${(e as Error).message})`);
      first = false;
      continue;
    }
    if (!isObject(o)) {
      problems.push(`${where}must be an object: the batch settings (first line only) or a message {"to": "198.18.1.2:5000", "data": "..."}`);
      first = false;
      continue;
    }
    if (first && o.to === undefined) {
      unknownKeys(o, SETTINGS_KEYS, where, problems);
      settings = settingsFrom(o, where, problems, now);
      first = false;
      continue;
    }
    first = false;
    ctx ??= { timing: settings.timing ?? 'asap', frames: settings.frames ?? false, nDests: 0, now };
    if (o.to === undefined) {
      problems.push(`${where}to: a message needs its destination, e.g. "to": "198.18.1.2:5000" (settings go on the first line only)`);
      continue;
    }
    unknownKeys(o, LINE_KEYS, where, problems);
    const d = destinationOf(o, where, problems);
    const payload = payloadOf(o, where, problems);
    const time = messageTime(o, where, problems, ctx);
    if (!d || !payload) continue;
    const key = JSON.stringify([d.ip, d.port, d.srcIp, d.srcPort, d.mac, d.policy]);
    let idx = dests.get(key);
    if (idx === undefined) {
      idx = destList.length;
      if (idx >= SEND_MAX_DESTS) {
        problems.push(`${where}to: a batch has at most ${SEND_MAX_DESTS} distinct destinations; this is one more`);
        continue;
      }
      dests.set(key, idx);
      destList.push(d);
    }
    if (msgs.length >= SEND_MAX_MSGS) {
      problems.push(`${where}a batch holds at most ${SEND_MAX_MSGS} messages; split the file`);
      break;
    }
    msgs.push({ dest: idx, payload, time, frame: o.frame as FrameTag | undefined, line: i + 1 });
  }
  if (problems.length === 0 && msgs.length === 0) problems.push(`${source} holds no message; write one per line, e.g. {"to": "198.18.1.2:5000", "data": "hello"}`);
  if (problems.length > 0) throw new SendValidationError(problems, source);
  const batch = new SendBatch(settings);
  const handles = destList.map((d) => batch.dest(d));
  for (const m of msgs) {
    try {
      batch.add(handles[m.dest]!, m.payload, { time: m.time, frame: m.frame });
    } catch (e) {
      const reason = ((e as { reason?: string }).reason ?? (e as Error).message).replace(/^message \d+: /, '');
      throw new SendValidationError([`line ${m.line}: ${reason}`], source);
    }
  }
  return { batch, lineOf: msgs.map((m) => m.line) };
}
