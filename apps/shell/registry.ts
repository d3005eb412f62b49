// The shell's command registry. A command is data: its syntax (a list of tokens), one line of
// help, and run(). From the syntax alone come the parser, the usage line shown by `help` and
// on every error, and tab completion, so the three never disagree.
//
//   show port info|stats|xstats all|<p>
//   ^^^^ ^^^^ ^^^^^^^^^^^^^^^^^ ^^^^^^^^
//   word word choice            port (all allowed)

/** One position of a command's syntax. */
export type Token =
  | { kind: 'word'; word: string }
  | { kind: 'choice'; name: string; choices: readonly string[]; optional?: boolean }
  | { kind: 'port'; name: string; all: boolean; optional?: boolean }
  | { kind: 'number'; name: string; min: number; max: number; integer: boolean; optional?: boolean }
  | { kind: 'text'; name: string; optional?: boolean; rest?: boolean; usage?: string; complete?: RestCompleter };

/** Completion of a rest-of-line text with a grammar of its own (`policy create`): given the
 * complete words of the line, the words that may come next. */
export type RestCompleter = (words: readonly string[], ctx: ParseContext) => string[];

export type ArgValue = string | number | 'all';
export type Args = Record<string, ArgValue | undefined>;

/** What a command needs from the session it runs in (apps/shell/session.ts). */
export interface ParseContext {
  /** ports of the core, when known (bounds <p> and completes it) */
  portCount(): number | undefined;
}

export interface Command<C> {
  syntax: readonly Token[];
  /** one line: what it does */
  help: string;
  /** prints a result that --json turns into one JSON line */
  show?: boolean;
  run(ctx: C, args: Args): Promise<void>;
}

export const w = (word: string): Token => ({ kind: 'word', word });
export const choice = (name: string, ...choices: string[]): Token => ({ kind: 'choice', name, choices });
export const port = (name = 'p', opts: { all?: boolean; optional?: boolean } = {}): Token =>
  ({ kind: 'port', name, all: opts.all ?? true, optional: opts.optional });
export const num = (name: string, min: number, max: number, opts: { integer?: boolean; optional?: boolean } = {}): Token =>
  ({ kind: 'number', name, min, max, integer: opts.integer ?? true, optional: opts.optional });
export const text = (name: string, opts: { optional?: boolean; rest?: boolean; usage?: string; complete?: RestCompleter } = {}): Token =>
  ({ kind: 'text', name, optional: opts.optional, rest: opts.rest, usage: opts.usage, complete: opts.complete });

function tokenUsage(t: Token): string {
  let s: string;
  switch (t.kind) {
    case 'word': return t.word;
    case 'choice': s = t.choices.join('|'); break;
    case 'port': s = t.all ? 'all|<p>' : '<p>'; break;
    case 'number': s = `<${t.name}>`; break;
    case 'text': s = t.usage ?? (t.rest ? `<${t.name}>...` : `<${t.name}>`); break;
  }
  return t.optional ? `[${s}]` : s;
}

/** "show port info|stats|xstats all|<p>" */
export function usage(cmd: { syntax: readonly Token[] }): string {
  return cmd.syntax.map(tokenUsage).join(' ');
}

/** The leading words: "show port", "set fwd", "quit". */
export function commandName(cmd: { syntax: readonly Token[] }): string {
  const words: string[] = [];
  for (const t of cmd.syntax) {
    if (t.kind !== 'word') break;
    words.push(t.word);
  }
  return words.join(' ');
}

/** Splits a command line into words; `#` starts a comment. */
export function tokenize(line: string): string[] {
  const hash = line.indexOf('#');
  return (hash >= 0 ? line.slice(0, hash) : line).trim().split(/\s+/).filter((s) => s.length > 0);
}

/** Splits `-c` text and script files into command lines: on ';' and newlines. */
export function splitCommands(textIn: string): string[] {
  return textIn.split(/[;\n]/).map((s) => s.trim()).filter((s) => s.length > 0 && !s.startsWith('#'));
}

interface Mismatch { at: number; expected: string; why?: string }
type Match = { ok: true; args: Args } | { ok: false; mismatch: Mismatch };

function expectedOf(t: Token, ctx: ParseContext): string {
  if (t.kind === 'port') {
    const n = ctx.portCount();
    const range = n === undefined ? '<p>, a port number' : n === 0 ? 'a port (this core has none)' : `a port 0..${n - 1}`;
    return t.all ? `all or ${range}` : range;
  }
  if (t.kind === 'number') return `${t.integer ? 'a whole number' : 'a number'} ${t.min}..${t.max} for <${t.name}>`;
  if (t.kind === 'text') return `<${t.name}>`;
  return tokenUsage(t);
}

function matchToken(t: Token, word: string, ctx: ParseContext): { value?: ArgValue; why?: string } | null {
  switch (t.kind) {
    case 'word':
      return word === t.word ? {} : null;
    case 'choice':
      return t.choices.includes(word) ? { value: word } : null;
    case 'port': {
      if (word === 'all') return t.all ? { value: 'all' } : { why: "'all' is not allowed here" };
      if (!/^\d+$/.test(word)) return null;
      const p = Number(word);
      const n = ctx.portCount();
      if (n !== undefined && p >= n) return { why: n === 0 ? `port ${p} does not exist; this core has no ports` : `port ${p} does not exist; ports are 0..${n - 1}` };
      return { value: p };
    }
    case 'number': {
      const v = Number(word);
      if (!/^[-+]?(\d+\.?\d*|\.\d+)$/.test(word) || !Number.isFinite(v)) return null;
      if (t.integer && !Number.isInteger(v)) return { why: `<${t.name}> must be a whole number` };
      if (v < t.min || v > t.max) return { why: `<${t.name}> must be ${t.min}..${t.max}` };
      return { value: v };
    }
    case 'text':
      return { value: word };
  }
}

function match(cmd: { syntax: readonly Token[] }, words: readonly string[], ctx: ParseContext): Match {
  const args: Args = {};
  let i = 0;
  for (const t of cmd.syntax) {
    if (t.kind === 'text' && t.rest) {
      if (i >= words.length && !t.optional) return { ok: false, mismatch: { at: i, expected: expectedOf(t, ctx) } };
      if (i < words.length) args[t.name] = words.slice(i).join(' ');
      i = words.length;
      continue;
    }
    if (i >= words.length) {
      if ('optional' in t && t.optional) continue;
      return { ok: false, mismatch: { at: i, expected: expectedOf(t, ctx) } };
    }
    const m = matchToken(t, words[i]!, ctx);
    if (m === null || m.why !== undefined) {
      if (m === null && 'optional' in t && t.optional) continue; // an optional token may be skipped
      return { ok: false, mismatch: { at: i, expected: expectedOf(t, ctx), why: m?.why } };
    }
    if (t.kind !== 'word') args[t.name] = m.value;
    i++;
  }
  if (i < words.length) return { ok: false, mismatch: { at: i, expected: 'the end of the command' } };
  return { ok: true, args };
}

/** A command line that does not parse: names the bad token and shows the usage. */
export class ShellSyntaxError extends Error {
  constructor(message: string, readonly usages: readonly string[]) {
    super(message);
    this.name = 'ShellSyntaxError';
  }

  /** The message, then "usage: ..." lines. */
  get full(): string {
    return [this.message, ...this.usages.map((u, i) => `${i === 0 ? 'usage:' : '      '} ${u}`)].join('\n');
  }
}

export interface Parsed<C> { cmd: Command<C>; args: Args }

/** Finds the command a line means. Throws ShellSyntaxError naming the first bad token. */
export function parseLine<C>(registry: readonly Command<C>[], words: readonly string[], ctx: ParseContext): Parsed<C> {
  let best: { cmd: Command<C>; mismatch: Mismatch }[] = [];
  for (const cmd of registry) {
    const m = match(cmd, words, ctx);
    if (m.ok) return { cmd, args: m.args };
    if (best.length === 0 || m.mismatch.at > best[0]!.mismatch.at) best = [{ cmd, mismatch: m.mismatch }];
    else if (m.mismatch.at === best[0]!.mismatch.at) best.push({ cmd, mismatch: m.mismatch });
  }
  const line = words.join(' ');
  if (best.length === 0 || best[0]!.mismatch.at === 0) {
    const first = [...new Set(registry.map((c) => commandName(c).split(' ')[0]!))].join(', ');
    throw new ShellSyntaxError(`unknown command '${words[0] ?? ''}'; commands are ${first} (type help)`, []);
  }
  const at = best[0]!.mismatch.at;
  const expected = [...new Set(best.map((b) => b.mismatch.expected))].join(', or ');
  const usages = best.map((b) => usage(b.cmd));
  const why = best.length === 1 ? best[0]!.mismatch.why : undefined;
  if (at >= words.length) throw new ShellSyntaxError(`'${line}' is incomplete: expected ${expected}`, usages);
  throw new ShellSyntaxError(`bad token '${words[at]}' (word ${at + 1} of '${line}'): ${why ?? `expected ${expected}`}`, usages);
}

/** Candidates for the word being typed at the end of `line` (for readline's completer). */
export function complete<C>(registry: readonly Command<C>[], line: string, ctx: ParseContext): [string[], string] {
  const endsWithSpace = /\s$/.test(line) || line.length === 0;
  const words = tokenize(line);
  const partial = endsWithSpace ? '' : words.pop() ?? '';
  const out = new Set<string>();
  for (const cmd of registry) {
    let i = 0;
    let ok = true;
    let k = 0;
    for (; k < cmd.syntax.length && i < words.length; k++) {
      const t = cmd.syntax[k]!;
      if (t.kind === 'text' && t.rest) break; // the rest of the line: its completer decides
      const m = matchToken(t, words[i]!, ctx);
      if (m === null || m.why !== undefined) {
        if ('optional' in t && t.optional) continue;
        ok = false;
        break;
      }
      i++;
    }
    if (!ok) continue;
    const rest = cmd.syntax[k];
    if (rest?.kind === 'text' && rest.rest && rest.complete) {
      for (const c of rest.complete(words, ctx)) out.add(c);
      continue;
    }
    if (i < words.length) continue;
    // Candidates at position k (and past optional tokens).
    for (; k < cmd.syntax.length; k++) {
      const t = cmd.syntax[k]!;
      for (const c of candidates(t, ctx)) out.add(c);
      if (!('optional' in t && t.optional)) break;
    }
  }
  const hits = [...out].filter((c) => c.startsWith(partial)).sort();
  return [hits.map((h) => h + ' '), partial];
}

function candidates(t: Token, ctx: ParseContext): string[] {
  switch (t.kind) {
    case 'word': return [t.word];
    case 'choice': return [...t.choices];
    case 'port': {
      const n = ctx.portCount() ?? 0;
      return [...(t.all ? ['all'] : []), ...Array.from({ length: n }, (_, i) => String(i))];
    }
    default: return [];
  }
}
