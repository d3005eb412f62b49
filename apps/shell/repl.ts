// The interactive prompt: node:readline with history (kept in a file between sessions) and tab
// completion generated from the command registry. Also serves piped input (no terminal): then
// no prompt is printed and the lines run as a script would.
import { readFileSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { complete } from './registry.js';
import type { Session } from './session.js';

export const PROMPT = 'manifold> ';
const HISTORY_SIZE = 1000;

export function defaultHistoryFile(): string {
  return process.env.MANIFOLD_HISTORY ?? join(homedir(), '.manifold_history');
}

function loadHistory(file: string): string[] {
  try {
    // The file is oldest first; readline wants the newest first.
    return readFileSync(file, 'utf8').split('\n').filter((l) => l.length > 0).slice(-HISTORY_SIZE).reverse();
  } catch {
    return [];
  }
}

export interface ReplOptions {
  input?: NodeJS.ReadableStream;
  output?: NodeJS.WritableStream;
  /** '' keeps no history file */
  historyFile?: string;
}

/** Reads and runs commands until `quit`, end of input or Ctrl-C. Returns false if any failed
 * while the input was not a terminal (a piped script). */
export async function repl(session: Session, opts: ReplOptions = {}): Promise<boolean> {
  const input = opts.input ?? process.stdin;
  const output = opts.output ?? process.stdout;
  const terminal = (input as { isTTY?: boolean }).isTTY === true;
  const historyFile = opts.historyFile ?? defaultHistoryFile();
  const rl = createInterface({
    input,
    output,
    terminal,
    prompt: PROMPT,
    history: terminal && historyFile ? loadHistory(historyFile) : [],
    historySize: HISTORY_SIZE,
    removeHistoryDuplicates: true,
    completer: (line: string) => complete(session.registry, line, session),
  });
  rl.on('SIGINT', () => {
    output.write('\n');
    rl.close();
  });
  let ok = true;
  if (terminal) {
    output.write('manifold shell: type help for the commands, Tab completes, quit leaves\n');
    rl.prompt();
  }
  for await (const line of rl) {
    if (!(await session.exec(line))) ok = false;
    if (session.quitRequested) break;
    if (terminal) rl.prompt();
  }
  rl.close();
  if (terminal && historyFile) {
    const history = (rl as unknown as { history: string[] }).history ?? [];
    try {
      writeFileSync(historyFile, [...history].reverse().join('\n') + '\n', { mode: 0o600 });
    } catch {
      // no history is no reason to fail
    }
  }
  return terminal || ok;
}
