// `npm run bench [-- --quick] [-- --only NAME] [-- --seconds S] [-- NAME...]`: runs every entry in
// entries/index.ts, each measuring manifold and its anchor in this same run, then writes
// bench/results/<time>.json and .md (and latest.md). Benchmarks are not tests: nothing here
// fails on a slow figure; the report says whether each target was met.
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { entries } from './entries/index.js';
import { machineInfo, writeReport, toMarkdown, type BenchRun } from './report.js';
import { repoRoot } from '../apps/paths.js';

const { values, positionals } = parseArgs({
  allowPositionals: true, // entry names: `node dist/bench/run.js policy-split policy-redirect`
  options: {
    quick: { type: 'boolean', default: false },
    only: { type: 'string' },
    seconds: { type: 'string' },
    out: { type: 'string' },
  },
});

const quick = values.quick ?? false;
const seconds = values.seconds !== undefined ? Number(values.seconds) : quick ? 0.5 : 5;
const run: BenchRun = { startedAt: new Date().toISOString(), quick, machine: machineInfo(), results: [] };
const log = (line: string) => process.stdout.write(`bench: ${line}\n`);

const wanted = [...positionals, ...(values.only !== undefined ? [values.only] : [])];
const unknown = wanted.filter((n) => !entries.some((e) => e.name === n));
if (unknown.length > 0) {
  process.stderr.write(`bench: no entry named ${unknown.join(', ')}; entries are ${entries.map((e) => e.name).join(', ')}\n`);
  process.exit(2);
}
for (const entry of entries) {
  if (wanted.length > 0 && !wanted.includes(entry.name)) continue;
  log(`${entry.name}: ${entry.describe}`);
  try {
    const measurements = await entry.run({ quick, seconds, log });
    run.results.push({ entry: entry.name, describe: entry.describe, measurements });
  } catch (err) {
    log(`${entry.name} failed: ${(err as Error).message}`);
    run.results.push({ entry: entry.name, describe: entry.describe, measurements: [], error: (err as Error).message });
  }
}

const files = writeReport(run, values.out ?? join(repoRoot(), 'bench', 'results'));
process.stdout.write('\n' + toMarkdown(run) + '\n');
log(`report written: ${files.md} and ${files.json}`);
if (run.results.some((r) => r.error)) process.exitCode = 1;
