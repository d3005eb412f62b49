// One shell session attached to a running core: runs parsed command lines, prints text or (with
// --json) one JSON line per `show`, keeps the periodic stats display of `set stats-period`.
import { readFileSync } from 'node:fs';
import type { Manifold } from '../../ffi/index.js';
import { COMMANDS } from './commands/index.js';
import { ShellError } from './errors.js';
import { ShellSyntaxError, parseLine, splitCommands, tokenize, type Command, type ParseContext } from './registry.js';

export type ShellCommand = Command<Session>;
export { ShellError };

export interface SessionOptions {
  json: boolean;
  /** where results go (default process.stdout) */
  out?: (s: string) => void;
  /** where errors go (default process.stderr) */
  err?: (s: string) => void;
}

const MAX_LOAD_DEPTH = 8;

export class Session implements ParseContext {
  readonly json: boolean;
  quitRequested = false;
  statsPeriodS = 0;
  private statsTimer?: NodeJS.Timeout;
  private nPorts?: number;
  private loadDepth = 0;
  private readonly outFn: (s: string) => void;
  private readonly errFn: (s: string) => void;

  constructor(readonly client: Manifold, opts: SessionOptions, readonly registry: readonly ShellCommand[] = COMMANDS) {
    this.json = opts.json;
    this.outFn = opts.out ?? ((s) => process.stdout.write(s + '\n'));
    this.errFn = opts.err ?? ((s) => process.stderr.write(s + '\n'));
  }

  /** Learns the port count (bounds and completes <p>). */
  async init(): Promise<void> {
    this.nPorts = (await this.client.ports()).length;
  }

  portCount(): number | undefined {
    return this.nPorts;
  }

  print(text: string): void {
    this.outFn(text);
  }

  /** A show's result: JSON with --json, else the text that `format` makes of it. */
  result<T>(value: T, format: (v: T) => string): void {
    if (this.json) this.outFn(JSON.stringify(value, (_k, v: unknown) => (typeof v === 'bigint' ? Number(v) : v)));
    else this.outFn(format(value));
  }

  /** Runs one command line. Returns false (after printing the error) when it failed. */
  async exec(line: string): Promise<boolean> {
    const words = tokenize(line);
    if (words.length === 0) return true;
    try {
      const { cmd, args } = parseLine(this.registry, words, this);
      await cmd.run(this, args);
      return true;
    } catch (err) {
      this.reportError(err);
      return false;
    }
  }

  reportError(err: unknown): void {
    if (err instanceof ShellSyntaxError) this.errFn(`error: ${err.full}`);
    else if (err instanceof ShellError) this.errFn([`error: ${err.message}`, ...err.usages.map((u, i) => `${i === 0 ? 'usage:' : '      '} ${u}`)].join('\n'));
    else this.errFn(`error: ${err instanceof Error ? err.message : String(err)}`);
  }

  /** Runs `;`/newline separated commands, stopping at the first failure or `quit`. */
  async runScript(textIn: string): Promise<boolean> {
    for (const line of splitCommands(textIn)) {
      if (!(await this.exec(line))) return false;
      if (this.quitRequested) break;
    }
    return true;
  }

  /** `load <file>`: a script of commands; fails on the first bad line (named). */
  async load(file: string): Promise<void> {
    let textIn: string;
    try {
      textIn = readFileSync(file, 'utf8');
    } catch (err) {
      throw new ShellError(`cannot read ${file}: ${(err as Error).message}`);
    }
    if (this.loadDepth >= MAX_LOAD_DEPTH) throw new ShellError(`load: scripts nested deeper than ${MAX_LOAD_DEPTH} (a script that loads itself?)`);
    this.loadDepth++;
    try {
      const lines = textIn.split('\n');
      for (let i = 0; i < lines.length; i++) {
        for (const cmd of splitCommands(lines[i]!)) {
          if (!(await this.exec(cmd))) throw new ShellError(`${file}:${i + 1}: the command '${cmd}' failed; the rest of the script was not run`);
          if (this.quitRequested) return;
        }
      }
    } finally {
      this.loadDepth--;
    }
  }

  /** `set stats-period S`: runs `show` every S seconds (0 stops it). */
  setStatsPeriod(seconds: number, show: () => Promise<void>): void {
    if (this.statsTimer) clearInterval(this.statsTimer);
    this.statsTimer = undefined;
    this.statsPeriodS = seconds;
    if (seconds > 0) {
      this.statsTimer = setInterval(() => {
        show().catch((err: unknown) => this.reportError(err));
      }, seconds * 1000);
    }
  }

  close(): void {
    this.setStatsPeriod(0, async () => undefined);
  }
}
