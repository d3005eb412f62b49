// Checks a parsed JSON value against the Policy type, collecting every problem with the path
// of the field ("actions[0].destinations[2].ip"), what is wrong and what would be right, so
// one run shows all mistakes at once. The core checks the binary form again on its side.
import {
  ACTION_TYPES,
  MAX_ACTIONS,
  MAX_DESTINATIONS,
  PROTOCOLS,
  TERMINAL_ACTIONS,
  type ActionType,
  type Destination,
  type Policy,
} from './types.js';
import { SPLIT_KEYS, splitProblems } from './split.js';
import { AGGREGATE_KEYS, aggregateProblems } from './aggregate.js';

export class PolicyError extends Error {
  constructor(readonly problems: string[], source = 'policy') {
    super(`${source} is not valid:\n` + problems.map((p) => `  - ${p}`).join('\n'));
    this.name = 'PolicyError';
  }
}

export const ID_RE = /^[A-Za-z0-9_.:-]{1,31}$/;
const MAC_RE = /^([0-9a-fA-F]{2}:){5}[0-9a-fA-F]{2}$/;
const POLICY_KEYS = ['id', 'priority', 'match', 'actions', 'lifetime'];
const MATCH_KEYS = ['inPort', 'protocol', 'src', 'srcPort', 'dst', 'dstPort'];
const DEST_KEYS = ['port', 'ip', 'udpPort', 'mac', 'srcIp', 'srcPort'];
const ACTION_KEYS: Record<ActionType, string[]> = {
  redirect: ['type', 'destination'],
  replicate: ['type', 'destinations'],
  deliver: ['type', 'socket'],
  drop: ['type'],
  split: SPLIT_KEYS,
  aggregate: AGGREGATE_KEYS,
};

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** "198.18.0.1" -> 0xc6120001; undefined if malformed. */
export function parseIpv4(s: string): number | undefined {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(s);
  if (!m) return undefined;
  const o = m.slice(1, 5).map(Number);
  if (o.some((x) => x > 255)) return undefined;
  return ((o[0]! << 24) >>> 0) + (o[1]! << 16) + (o[2]! << 8) + o[3]!;
}

export function formatIpv4(n: number): string {
  return [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join('.');
}

/** "198.18.0.0/24" or "198.18.0.5" (a /32) -> address and prefix; undefined if malformed. */
export function parsePrefix(s: string): { ip: number; prefix: number } | undefined {
  const [addr, len, extra] = s.split('/');
  if (extra !== undefined || addr === undefined) return undefined;
  const ip = parseIpv4(addr);
  if (ip === undefined) return undefined;
  if (len === undefined) return { ip, prefix: 32 };
  if (!/^\d{1,2}$/.test(len) || Number(len) > 32) return undefined;
  return { ip, prefix: Number(len) };
}

function unknownKeys(obj: Record<string, unknown>, known: string[], where: string, problems: string[]): void {
  for (const key of Object.keys(obj)) {
    if (!known.includes(key)) problems.push(`${where}${key}: unknown field; known fields are ${known.join(', ')}`);
  }
}

function isPortNumber(v: unknown): boolean {
  return typeof v === 'number' && Number.isInteger(v) && v >= 1 && v <= 65535;
}

function checkPortRef(v: unknown, where: string, problems: string[]): void {
  const ok = (typeof v === 'string' && /^[A-Za-z0-9_-]{1,31}$/.test(v)) ||
    (typeof v === 'number' && Number.isInteger(v) && v >= 0 && v < 0xffff);
  if (!ok) problems.push(`${where}: must be a port name like "p0" or a port index 0, 1, ...`);
}

function checkDestination(d: unknown, where: string, problems: string[]): void {
  if (!isObject(d)) {
    problems.push(`${where}: must be an object like {"port": "p1", "ip": "198.18.1.2", "udpPort": 5000}`);
    return;
  }
  unknownKeys(d, DEST_KEYS, `${where}.`, problems);
  if (d.port === undefined) problems.push(`${where}.port: is required: the egress port, by name or index`);
  else checkPortRef(d.port, `${where}.port`, problems);
  if (d.ip === undefined) problems.push(`${where}.ip: is required: the destination IPv4 address`);
  else if (typeof d.ip !== 'string' || parseIpv4(d.ip) === undefined) {
    problems.push(`${where}.ip: must be an IPv4 address like "198.18.1.2", not ${JSON.stringify(d.ip)}`);
  } else if (d.ip === '0.0.0.0' || d.ip === '255.255.255.255') {
    problems.push(`${where}.ip: ${d.ip} is not a destination address`);
  }
  if (d.udpPort === undefined) problems.push(`${where}.udpPort: is required: the destination UDP port 1..65535`);
  else if (!isPortNumber(d.udpPort)) problems.push(`${where}.udpPort: must be an integer 1..65535, not ${JSON.stringify(d.udpPort)}`);
  if (d.mac !== undefined && (typeof d.mac !== 'string' || !MAC_RE.test(d.mac) || /^(00:){5}00$/.test(d.mac))) {
    problems.push(`${where}.mac: must be a MAC address like "02:00:00:00:00:01"`);
  }
  if (d.srcIp !== undefined && (typeof d.srcIp !== 'string' || parseIpv4(d.srcIp) === undefined || d.srcIp === '0.0.0.0')) {
    problems.push(`${where}.srcIp: must be an IPv4 address like "198.18.1.1"`);
  }
  if (d.srcPort !== undefined && !isPortNumber(d.srcPort)) {
    problems.push(`${where}.srcPort: must be an integer 1..65535 (absent keeps the packet's source port)`);
  }
}

function checkSocket(s: unknown, where: string, problems: string[]): void {
  if (!isObject(s)) {
    problems.push(`${where}: is required: the socket the app bound, like {"ip": "198.18.0.1", "port": 5000}`);
    return;
  }
  unknownKeys(s, ['ip', 'port'], `${where}.`, problems);
  if (s.ip !== undefined && (typeof s.ip !== 'string' || parseIpv4(s.ip) === undefined)) {
    problems.push(`${where}.ip: must be the IPv4 address the socket is bound to, like "198.18.0.1" (or "0.0.0.0")`);
  }
  if (!isPortNumber(s.port)) problems.push(`${where}.port: must be the UDP port 1..65535 the socket is bound to`);
}

/** Same egress port, ip and UDP port: the core's notion of "the same destination". */
export function destinationKey(d: Pick<Destination, 'port' | 'ip' | 'udpPort'>): string {
  return `${String(d.port)}|${d.ip}|${d.udpPort}`;
}

function checkMatch(m: unknown, problems: string[]): number | undefined {
  if (m === undefined) return undefined;
  if (!isObject(m)) {
    problems.push('match: must be an object like {"protocol": "udp", "dst": "198.18.0.1", "dstPort": 5000}');
    return undefined;
  }
  unknownKeys(m, MATCH_KEYS, 'match.', problems);
  if (m.inPort !== undefined) checkPortRef(m.inPort, 'match.inPort', problems);
  let proto: number | undefined;
  if (m.protocol !== undefined) {
    if (typeof m.protocol === 'string' && m.protocol in PROTOCOLS) proto = PROTOCOLS[m.protocol];
    else if (typeof m.protocol === 'number' && Number.isInteger(m.protocol) && m.protocol >= 1 && m.protocol <= 255) proto = m.protocol;
    else problems.push(`match.protocol: must be one of ${Object.keys(PROTOCOLS).join(', ')} or a protocol number 1..255`);
  }
  for (const key of ['src', 'dst'] as const) {
    const v = m[key];
    if (v !== undefined && (typeof v !== 'string' || parsePrefix(v) === undefined)) {
      problems.push(`match.${key}: must be an IPv4 address or prefix like "198.18.0.1" or "198.18.0.0/24"`);
    }
  }
  for (const key of ['srcPort', 'dstPort'] as const) {
    const v = m[key];
    if (v === undefined) continue;
    if (!isPortNumber(v)) problems.push(`match.${key}: must be an integer 1..65535`);
    else if (proto !== 6 && proto !== 17) problems.push(`match.${key}: a port needs "protocol": "udp" or "tcp"`);
  }
  return proto;
}

/** The refusal of `"lifetime": "client"` where the policy has no client of the user's to live
 * with: `why` says whose it is instead. One message for the appliance configuration and the
 * CLI, so both say the same. */
export function clientLifetimeProblem(prefix: string, why: string): string {
  return `${prefix}lifetime: ${why}; use "persistent" or leave it out`;
}

/** Every problem of `value` as a policy, each prefixed with `prefix` (e.g. "policies[0]."). */
export function policyProblems(value: unknown, prefix = ''): string[] {
  const problems: string[] = [];
  if (!isObject(value)) {
    return [`${prefix || 'policy'}: must be an object like {"id": "fanout", "match": {...}, "actions": [...]}`];
  }
  unknownKeys(value, POLICY_KEYS, '', problems);
  if (typeof value.id !== 'string' || !ID_RE.test(value.id)) {
    problems.push(`id: must be 1-31 characters of A-Z a-z 0-9 _ . : -, e.g. "fanout-1"`);
  }
  const pr = value.priority;
  if (pr !== undefined && !(typeof pr === 'number' && Number.isInteger(pr) && pr >= -2147483648 && pr <= 2147483647)) {
    problems.push('priority: must be an integer (32-bit); higher wins');
  }
  if (value.lifetime !== undefined && value.lifetime !== 'persistent' && value.lifetime !== 'client') {
    problems.push('lifetime: must be "persistent" or "client"');
  }
  const proto = checkMatch(value.match, problems);
  const actions = value.actions;
  if (!Array.isArray(actions) || actions.length === 0 || actions.length > MAX_ACTIONS) {
    problems.push(`actions: must be a list of 1..${MAX_ACTIONS} actions, e.g. [{"type": "drop"}]`);
  } else {
    let total = 0;
    actions.forEach((a: unknown, i: number) => {
      const where = `actions[${i}]`;
      if (!isObject(a)) {
        problems.push(`${where}: must be an object with "type", one of ${ACTION_TYPES.join(', ')}`);
        return;
      }
      if (!ACTION_TYPES.includes(a.type as ActionType)) {
        problems.push(`${where}.type: ${JSON.stringify(a.type)} is not an action; actions are ${ACTION_TYPES.join(', ')}`);
        return;
      }
      const type = a.type as ActionType;
      unknownKeys(a, ACTION_KEYS[type], `${where}.`, problems);
      if (TERMINAL_ACTIONS.includes(type) && i < actions.length - 1) {
        problems.push(`${where}: ${type} ends the chain, so it must be the last action; ${actions.length - 1 - i} more follow it`);
      }
      if ((type === 'redirect' || type === 'replicate') && proto !== 17) {
        problems.push(`match.protocol: actions[${i}] (${type}) rewrites UDP headers, so the match must say "protocol": "udp"`);
      }
      if (type === 'split') problems.push(...splitProblems(a, where, i, actions.length, proto));
      if (type === 'aggregate') {
        const types = actions.map((x: unknown) => (isObject(x) ? x.type : undefined));
        problems.push(...aggregateProblems(a, where, i, types, proto));
      }
      if (type === 'deliver') {
        checkSocket(a.socket, `${where}.socket`, problems);
        if (value.lifetime !== 'client') {
          problems.push(`lifetime: ${where} (deliver) hands packets to a socket of the app that adds the policy, so "lifetime" must be "client"`);
        }
        total += 1;
      }
      if (type === 'redirect') {
        if (a.destination === undefined) problems.push(`${where}.destination: is required: where the packet goes`);
        else checkDestination(a.destination, `${where}.destination`, problems);
        total += 1;
      }
      if (type === 'replicate') {
        if (!Array.isArray(a.destinations)) {
          problems.push(`${where}.destinations: must be a list of destinations (may be empty)`);
          return;
        }
        const seen = new Map<string, number>();
        a.destinations.forEach((d: unknown, j: number) => {
          checkDestination(d, `${where}.destinations[${j}]`, problems);
          if (isObject(d)) {
            const key = destinationKey(d as unknown as Destination);
            if (seen.has(key)) problems.push(`${where}.destinations[${j}]: the same port, ip and udpPort as destinations[${seen.get(key)}]; list a destination once`);
            else seen.set(key, j);
          }
        });
        total += a.destinations.length;
      }
    });
    if (total > MAX_DESTINATIONS) problems.push(`actions: ${total} destinations in all; a policy holds at most ${MAX_DESTINATIONS}`);
  }
  return problems.map((p) => prefix + p);
}

/** Checks a parsed JSON value; returns it typed, or throws PolicyError listing every problem. */
export function validatePolicy(value: unknown, source?: string): Policy {
  const problems = policyProblems(value);
  if (problems.length > 0) throw new PolicyError(problems, source);
  return value as Policy;
}
