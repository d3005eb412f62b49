// `policy create`: a policy on one line, in the manner of testpmd's `flow create`, parsed into
// exactly the JSON Policy that `manifold policy add` takes (apps/policy/types.ts), and back:
//
//   policy create fanout priority 10 pattern port is p0 / ipv4 dst is 198.18.0.1 / udp dst is 9000 / end
//     actions replicate to p1 198.18.1.2 7000, p1 198.18.1.3 7000 / end
//
//   create   := policy create <id> [priority <n>] [lifetime persistent|client]
//               pattern (<item> /)* end actions (<action> /)+ end
//   <item>   := eth | port is <p> | icmp
//             | ipv4 [src is <addr>[/<len>]] [dst is <addr>[/<len>]] [proto is udp|tcp|icmp|<n>]
//             | udp|tcp [src is <port>] [dst is <port>]
//   <action> := redirect to <dest> | replicate [to <dest>, <dest>, ...] | deliver to <ip> <udp-port> | drop
//             | split ipfrag mtu <bytes> | split datagram max <bytes> [header]
//             | split framed max <bytes> [u16|u32] [drop|fragment]
//             | aggregate max-bytes <bytes> max-delay-us <us> [u16|u32] [send|drop]
//   <dest>   := <p> <ip> <udp-port> [mac <mac>] [src-ip <ip>] [src-port <port>]
//
// The parser is a cursor over the words that, at every step, knows the words it would take
// there: the same list names what was expected in an error and is what Tab completes. The
// values are checked here to name the bad token; validatePolicy() then checks the whole, as
// for the JSON form.
import {
  ACTION_TYPES,
  ID_RE,
  PROTOCOLS,
  TERMINAL_ACTIONS,
  parseIpv4,
  parsePrefix,
  validatePolicy,
  type Action,
  type AggregateAction,
  type Destination,
  type Policy,
  type PolicyMatch,
  type SplitAction,
} from '../policy/index.js';
import { ShellSyntaxError } from './registry.js';

/** The usage shown with every error of `policy create` (and by help). */
export const POLICY_CREATE_USAGE: readonly string[] = [
  'policy create <id> [priority <n>] [lifetime persistent|client] pattern <item> / ... / end actions <action> / ... / end',
  '<item>:   eth | port is <p> | ipv4 [src is <addr>[/<len>]] [dst is <addr>[/<len>]] [proto is udp|tcp|icmp|<n>]',
  '          | udp [src is <port>] [dst is <port>] | tcp [src is <port>] [dst is <port>] | icmp',
  '<action>: redirect to <dest> | replicate [to <dest>, <dest>, ...] | deliver to <ip> <udp-port> | drop',
  '          | split ipfrag mtu <bytes> | split datagram max <bytes> [header] | split framed max <bytes> [u16|u32] [drop|fragment]',
  '          | aggregate max-bytes <bytes> max-delay-us <us> [u16|u32] [send|drop]',
  '          (deliver: to the socket the app bound at <ip> (0.0.0.0: any) and <udp-port>; lifetime client)',
  '<dest>:   <p> <ip> <udp-port> [mac <mac>] [src-ip <ip>] [src-port <port>]',
];

/** What follows `policy create <id>` in the one-line usage (the registry's usage line). */
export const POLICY_RULE_USAGE = '[priority <n>] [lifetime persistent|client] pattern <item> / ... / end actions <action> / ... / end';

const ITEMS = ['eth', 'port', 'ipv4', 'udp', 'tcp', 'icmp'];
const DEST_OPTIONS = ['mac', 'src-ip', 'src-port'];
const MAC_RE = /^([0-9a-fA-F]{2}:){5}[0-9a-fA-F]{2}$/;
const PORT_NAME_RE = /^[A-Za-z0-9_-]{1,31}$/;

/** An error of the grammar: a ShellSyntaxError that also knows what would have been right at
 * the point it stopped (for completion). */
export class PolicyGrammarError extends ShellSyntaxError {
  constructor(message: string, readonly expected: readonly string[], readonly incomplete: boolean) {
    super(message, POLICY_CREATE_USAGE);
    this.name = 'PolicyGrammarError';
  }
}

interface Tok {
  text: string;
  /** index of the whitespace-separated word it came from */
  word: number;
}

/** Whitespace words, with ',' split off as a word of its own ("7000," -> "7000" ","). */
function lex(words: readonly string[]): Tok[] {
  const out: Tok[] = [];
  words.forEach((wd, i) => {
    for (const piece of wd.split(/(,)/)) if (piece.length > 0) out.push({ text: piece, word: i });
  });
  return out;
}

class Cursor {
  private i = 0;
  private readonly line: string;

  constructor(words: readonly string[], private readonly toks: readonly Tok[]) {
    this.line = words.join(' ');
  }

  get atEnd(): boolean {
    return this.i >= this.toks.length;
  }

  peek(): string | undefined {
    return this.toks[this.i]?.text;
  }

  /** The next token if it is one of `choices` (consumed), else undefined. At the end of the
   * line: incomplete, expecting `choices` plus `orElse` (what may come instead). */
  accept(choices: readonly string[], orElse: readonly string[]): string | undefined {
    if (this.atEnd) this.incomplete([...choices, ...orElse]);
    const t = this.peek()!;
    if (!choices.includes(t)) return undefined;
    this.i++;
    return t;
  }

  /** The next token, which must be one of `choices`. */
  keyword(choices: readonly string[], why?: string): string {
    const t = this.accept(choices, []);
    if (t === undefined) this.fail(`expected ${choices.join('|')}${why ? ` (${why})` : ''}`);
    return t;
  }

  /** The next token as a value (`<ip>`, `<p>`, ...); `convert` gives it, or '!' and why the
   * token is wrong. */
  value<T>(placeholder: string, convert: (s: string) => T | string): T {
    if (this.atEnd) this.incomplete([placeholder]);
    const v = convert(this.peek()!);
    if (typeof v === 'string' && v.startsWith('!')) this.fail(v.slice(1));
    this.i++;
    return v as T;
  }

  /** Fails at the next token (the one that is wrong). */
  fail(why: string): never {
    const t = this.toks[this.i];
    if (t === undefined) this.incomplete([why]);
    throw new PolicyGrammarError(`bad token '${t.text}' (word ${t.word + 1} of '${this.line}'): ${why}`, [], false);
  }

  incomplete(expected: readonly string[]): never {
    throw new PolicyGrammarError(`'${this.line}' is incomplete: expected ${expected.join('|')}`, expected, true);
  }

  /** The token index of the next token (to point back at it in later errors). */
  get mark(): number {
    return this.i;
  }

  failAt(mark: number, why: string): never {
    const t = this.toks[mark]!;
    throw new PolicyGrammarError(`bad token '${t.text}' (word ${t.word + 1} of '${this.line}'): ${why}`, [], false);
  }
}

// Converters: a value, or '!' and why the token is wrong.
const portRef = (s: string): string | number =>
  /^\d+$/.test(s) ? (Number(s) < 0xffff ? Number(s) : `!port index ${s} is out of range`)
    : PORT_NAME_RE.test(s) ? s : `!expected <p>, a port name like p0 or a port index`;
const l4Port = (what: string) => (s: string): number | string =>
  /^\d+$/.test(s) && Number(s) >= 1 && Number(s) <= 65535 ? Number(s) : `!${what} must be a port number 1..65535`;
const ipv4 = (what: string) => (s: string): string =>
  parseIpv4(s) !== undefined ? s : `!${what} must be an IPv4 address like 198.18.1.2`;
const prefix = (s: string): string =>
  parsePrefix(s) !== undefined ? s : '!expected an IPv4 address or prefix like 198.18.0.1 or 198.18.0.0/24';
const mac = (s: string): string => (MAC_RE.test(s) ? s.toLowerCase() : '!<mac> must be a MAC address like 02:00:00:00:00:01');
const protocol = (s: string): string | number => {
  if (s in PROTOCOLS) return s;
  if (/^\d+$/.test(s) && Number(s) >= 1 && Number(s) <= 255) return Number(s);
  return `!expected ${Object.keys(PROTOCOLS).join('|')} or a protocol number 1..255`;
};

/** `src is <v>` / `dst is <v>` / `proto is <v>` fields of one item, each at most once. */
function fields(c: Cursor, item: string, names: readonly string[], convert: Record<string, (s: string) => unknown>): Record<string, unknown> {
  const got: Record<string, unknown> = {};
  for (;;) {
    const at = c.mark;
    const f = c.accept(names, ['/']);
    if (f === undefined) {
      if (c.peek() === '/') return got;
      c.fail(`expected ${[...names, '/'].join('|')} (a field of ${item}, or / to end the item)`);
    }
    if (f in got) c.failAt(at, `${item} ${f} is given twice`);
    c.keyword(['is']);
    got[f] = c.value(`<${f === 'proto' ? 'proto' : item === 'ipv4' ? 'addr' : 'port'}>`, convert[f]!);
  }
}

function parsePattern(c: Cursor): PolicyMatch {
  const m: PolicyMatch = {};
  const seen = new Set<string>();
  for (;;) {
    const at = c.mark;
    const item = c.keyword([...ITEMS, 'end'], 'a pattern item, or end');
    if (item === 'end') return m;
    if (seen.has(item)) c.failAt(at, `the pattern has ${item} already; give each item once`);
    seen.add(item);
    if (item === 'port') {
      c.keyword(['is']);
      m.inPort = c.value('<p>', portRef);
    } else if (item === 'ipv4') {
      const f = fields(c, 'ipv4', ['src', 'dst', 'proto'], { src: prefix, dst: prefix, proto: protocol });
      if (f.src !== undefined) m.src = f.src as string;
      if (f.dst !== undefined) m.dst = f.dst as string;
      if (f.proto !== undefined) {
        if (m.protocol !== undefined) c.failAt(at, `the protocol is given twice (the ${String(m.protocol)} item, and ipv4 proto)`);
        m.protocol = f.proto as PolicyMatch['protocol'];
      }
    } else if (item === 'udp' || item === 'tcp' || item === 'icmp') {
      if (m.protocol !== undefined) c.failAt(at, `the protocol is given already (${String(m.protocol)}); a pattern has one of udp, tcp, icmp`);
      m.protocol = item;
      if (item !== 'icmp') {
        const f = fields(c, item, ['src', 'dst'], { src: l4Port(`${item} src`), dst: l4Port(`${item} dst`) });
        if (f.src !== undefined) m.srcPort = f.src as number;
        if (f.dst !== undefined) m.dstPort = f.dst as number;
      }
    }
    c.keyword(['/'], `/ ends the item ${item}`);
  }
}

function parseDestination(c: Cursor): Destination {
  const d: Destination = {
    port: c.value('<p>', portRef),
    ip: c.value('<ip>', ipv4('<ip>')),
    udpPort: c.value('<udp-port>', l4Port('<udp-port>')),
  };
  const seen = new Set<string>();
  for (;;) {
    const at = c.mark;
    const o = c.accept(DEST_OPTIONS, [',', '/']);
    if (o === undefined) return d;
    if (seen.has(o)) c.failAt(at, `${o} is given twice for this destination`);
    seen.add(o);
    if (o === 'mac') d.mac = c.value('<mac>', mac);
    else if (o === 'src-ip') d.srcIp = c.value('<ip>', ipv4('src-ip'));
    else d.srcPort = c.value('<port>', l4Port('src-port'));
  }
}

function parseActions(c: Cursor, m: PolicyMatch): Action[] {
  const actions: Action[] = [];
  for (;;) {
    const at = c.mark;
    const last = actions[actions.length - 1];
    const type = last === undefined ? c.keyword(ACTION_TYPES, 'a policy needs an action')
      : TERMINAL_ACTIONS.includes(last.type) ? c.keyword(['end'], `${last.type} ends the chain, so nothing may follow it`)
        : c.keyword([...ACTION_TYPES, 'end']);
    if (type === 'end') return actions;
    if ((type === 'redirect' || type === 'replicate') && m.protocol !== 'udp' && m.protocol !== 17) {
      c.failAt(at, `${type} rewrites UDP headers, so the pattern needs the item udp`);
    }
    if (type === 'redirect') {
      c.keyword(['to']);
      actions.push({ type, destination: parseDestination(c) });
    } else if (type === 'replicate') {
      const destinations: Destination[] = [];
      if (c.accept(['to'], ['/']) !== undefined) {
        do destinations.push(parseDestination(c));
        while (c.accept([','], ['/']) !== undefined);
      }
      actions.push({ type, destinations });
    } else if (type === 'deliver') {
      c.keyword(['to']);
      const ip = c.value('<ip>', ipv4('deliver to'));
      actions.push({ type, socket: { ip, port: c.value('<udp-port>', l4Port('deliver to')) } });
    } else if (type === 'split') {
      // split ipfrag mtu <bytes> | datagram max <bytes> [header] | framed max <bytes> [u16|u32] [drop|fragment] /
      const mode = c.keyword(['ipfrag', 'datagram', 'framed']) as SplitAction['mode'];
      c.keyword([mode === 'ipfrag' ? 'mtu' : 'max']);
      const n = c.value('<bytes>', (s) => (/^\d+$/.test(s) && Number(s) >= 16 && Number(s) <= 65535 ? Number(s)
        : '!<bytes> must be a number of bytes: the MTU (ipfrag) or the largest UDP payload of one piece'));
      const a: SplitAction = mode === 'ipfrag' ? { type, mode, mtu: n } : { type, mode, maxPayload: n };
      const opts = mode === 'datagram' ? ['header'] : mode === 'framed' ? ['u16', 'u32', 'drop', 'fragment'] : [];
      for (let o = c.accept(opts, ['/']); o !== undefined; o = c.accept(opts, ['/'])) {
        if (o === 'header') a.header = true;
        else if (o === 'u16' || o === 'u32') a.prefix = o;
        else a.oversize = o as 'drop' | 'fragment';
      }
      actions.push(a);
    } else if (type === 'aggregate') {
      // aggregate max-bytes <bytes> max-delay-us <us> [u16|u32] [send|drop] /
      c.keyword(['max-bytes']);
      const maxBytes = c.value('<bytes>', (s) => (/^\d+$/.test(s) && Number(s) >= 16 && Number(s) <= 65507 ? Number(s)
        : '!<bytes> must be the largest UDP payload of a packed datagram, 16..65507'));
      c.keyword(['max-delay-us']);
      const maxDelayUs = c.value('<us>', (s) => (/^\d+$/.test(s) && Number(s) >= 1 && Number(s) <= 10_000_000 ? Number(s)
        : '!<us> must be the longest the oldest message may wait, 1..10000000 microseconds'));
      const a: AggregateAction = { type, maxBytes, maxDelayUs };
      const opts = ['u16', 'u32', 'send', 'drop'];
      for (let o = c.accept(opts, ['/']); o !== undefined; o = c.accept(opts, ['/'])) {
        if (o === 'u16' || o === 'u32') a.prefix = o;
        else a.oversize = o as 'send' | 'drop';
      }
      actions.push(a);
    } else {
      actions.push({ type } as Action);
    }
    c.keyword(['/'], `/ ends the action ${type}`);
  }
}

function parseWords(words: readonly string[]): Policy {
  const c = new Cursor(words, lex(words));
  c.keyword(['policy']);
  c.keyword(['create']);
  const id = c.value('<id>', (s) => (['priority', 'lifetime', 'pattern'].includes(s) ? `!expected <id> first: the policy's name, e.g. fanout-1`
    : ID_RE.test(s) ? s : '!<id> must be 1-31 characters of A-Z a-z 0-9 _ . : -, e.g. fanout-1'));
  const p: Policy = { id, actions: [] };
  for (;;) {
    const at = c.mark;
    const opt = c.keyword(['priority', 'lifetime', 'pattern']);
    if (opt === 'pattern') break;
    if (opt in p) c.failAt(at, `${opt} is given twice`);
    if (opt === 'priority') {
      p.priority = c.value('<n>', (s) => (/^[-+]?\d+$/.test(s) && Number(s) >= -2147483648 && Number(s) <= 2147483647 ? Number(s)
        : '!<n> must be a whole number (32-bit); higher wins'));
    } else {
      p.lifetime = c.keyword(['persistent', 'client']) as Policy['lifetime'];
    }
  }
  const m = parsePattern(c);
  if (Object.keys(m).length > 0) p.match = m;
  c.keyword(['actions']);
  p.actions = parseActions(c, m);
  if (!c.atEnd) c.fail('expected the end of the command after the last end');
  return p;
}

/** `policy create ...` (a whole line, or its words) -> the Policy it means, validated as the
 * JSON form is. Throws PolicyGrammarError naming the bad token, or PolicyError. */
export function parsePolicyCreate(line: string | readonly string[]): Policy {
  const words = typeof line === 'string' ? line.trim().split(/\s+/).filter((s) => s.length > 0) : line;
  const p = parseWords(words);
  return validatePolicy(p, `policy ${p.id}`);
}

/** Tab completion: the keywords that may come after `typed` (the words of `policy create
 * <id> ...` typed so far, complete words only), and port indices where a <p> goes when the
 * port count is known. Other placeholders (<ip>, ...) offer nothing. */
export function completePolicyCreate(typed: readonly string[], ctx?: { portCount(): number | undefined }): string[] {
  try {
    parseWords(typed);
  } catch (e) {
    if (e instanceof PolicyGrammarError && e.incomplete) {
      const ports = e.expected.includes('<p>') ? Array.from({ length: ctx?.portCount() ?? 0 }, (_, i) => String(i)) : [];
      return [...e.expected.filter((x) => !x.startsWith('<') && !/\s/.test(x)), ...ports];
    }
  }
  return [];
}

// ---- the inverse: a Policy as the line that makes it ------------------------------------------

function destText(d: Destination): string {
  return [String(d.port), d.ip, String(d.udpPort), ...(d.mac !== undefined ? ['mac', d.mac] : []),
    ...(d.srcIp !== undefined ? ['src-ip', d.srcIp] : []), ...(d.srcPort !== undefined ? ['src-port', String(d.srcPort)] : [])].join(' ');
}

/** The `policy create` line that makes `p` (parsePolicyCreate of it gives `p` back). */
export function policyCreateText(p: Policy): string {
  const out = ['policy', 'create', p.id];
  if (p.priority !== undefined) out.push('priority', String(p.priority));
  if (p.lifetime !== undefined) out.push('lifetime', p.lifetime);
  out.push('pattern');
  const m = p.match ?? {};
  const hasPorts = m.srcPort !== undefined || m.dstPort !== undefined;
  // A number that names udp or tcp becomes the item when ports need it.
  const l4 = m.protocol === 17 && hasPorts ? 'udp' : m.protocol === 6 && hasPorts ? 'tcp' : m.protocol;
  if (m.inPort !== undefined) out.push('port', 'is', String(m.inPort), '/');
  const ip: string[] = [];
  if (m.src !== undefined) ip.push('src', 'is', m.src);
  if (m.dst !== undefined) ip.push('dst', 'is', m.dst);
  if (typeof l4 === 'number') ip.push('proto', 'is', String(l4));
  if (ip.length > 0) out.push('ipv4', ...ip, '/');
  if (typeof l4 === 'string') {
    out.push(l4);
    if (m.srcPort !== undefined) out.push('src', 'is', String(m.srcPort));
    if (m.dstPort !== undefined) out.push('dst', 'is', String(m.dstPort));
    out.push('/');
  }
  out.push('end', 'actions');
  for (const a of p.actions) {
    if (a.type === 'redirect') out.push('redirect', 'to', destText(a.destination));
    else if (a.type === 'replicate') {
      out.push('replicate');
      if (a.destinations.length > 0) out.push('to', a.destinations.map(destText).join(', '));
    } else if (a.type === 'deliver') out.push('deliver', 'to', a.socket.ip ?? '0.0.0.0', String(a.socket.port));
    else if (a.type === 'split') {
      out.push('split', a.mode, a.mode === 'ipfrag' ? 'mtu' : 'max', String(a.mode === 'ipfrag' ? a.mtu : a.maxPayload));
      if (a.header === true) out.push('header');
      if (a.prefix !== undefined) out.push(a.prefix);
      if (a.oversize !== undefined) out.push(a.oversize);
    } else if (a.type === 'aggregate') {
      out.push('aggregate', 'max-bytes', String(a.maxBytes), 'max-delay-us', String(a.maxDelayUs));
      if (a.prefix !== undefined) out.push(a.prefix);
      if (a.oversize !== undefined) out.push(a.oversize);
    } else out.push(a.type);
    out.push('/');
  }
  out.push('end');
  return out.join(' ');
}
