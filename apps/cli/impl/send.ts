// `manifold send FILE|-`: a JSON-lines batch (apps/send/jsonl.ts), checked here line by line,
// then sent through one client; prints the report when every message has left or was dropped.
// The core's reasons name message indexes; they are told as file lines.
import { readFileSync } from 'node:fs';
import { ManifoldError } from '../../../ffi/errors.js';
import { parseSendLines } from '../../send/jsonl.js';
import { reportText } from '../../send/format.js';
import { SendValidationError } from '../../send/validate.js';
import type { SendArgs } from '../commands/send.js';
import { CliError } from '../options.js';
import { withClient } from './attach.js';

function readSource(file: string): { text: string; source: string } {
  if (file === '-') return { text: readFileSync(0, 'utf8'), source: 'stdin' };
  try {
    return { text: readFileSync(file, 'utf8'), source: file };
  } catch (err) {
    throw new CliError(`cannot read ${file}: ${(err as Error).message}`);
  }
}

/** "message 17: ..." -> "line 19 (message 17): ...". */
export function withLines(reason: string, lineOf: readonly number[]): string {
  return reason.replace(/message (\d+)/g, (all, n: string) => {
    const line = lineOf[Number(n)];
    return line === undefined ? all : `line ${line} (message ${n})`;
  });
}

export async function send(args: SendArgs): Promise<void> {
  const { text, source } = readSource(args.file);
  let parsed;
  try {
    parsed = parseSendLines(text, source);
  } catch (e) {
    if (e instanceof SendValidationError) throw new CliError(e.message);
    throw e;
  }
  await withClient(args.name, async (m) => {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new CliError(`the batch did not finish within ${args.timeout} s; raise --timeout`)), args.timeout * 1000);
    });
    try {
      const report = await Promise.race([m.send(parsed.batch), timeout]);
      console.log(args.json ? JSON.stringify(report, (_, v: unknown) => (typeof v === 'bigint' ? v.toString() : v)) : reportText(report));
    } catch (e) {
      if (e instanceof CliError) throw e;
      if (e instanceof ManifoldError) throw new CliError(`${source}: ${withLines(e.reason, parsed.lineOf)} (${e.code})`);
      throw e;
    } finally {
      clearTimeout(timer);
    }
  });
}
