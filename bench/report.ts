// Writes a benchmark run as JSON (for tools) and Markdown (for people), side by side.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import os from 'node:os';
import { ratio, type Measurement } from './harness.js';

export interface EntryResult {
  entry: string;
  describe: string;
  measurements: Measurement[];
  error?: string;
}

export interface BenchRun {
  startedAt: string;
  quick: boolean;
  machine: { cpus: string; cores: number; memoryGiB: number; kernel: string; node: string };
  results: EntryResult[];
}

export function machineInfo(): BenchRun['machine'] {
  return {
    cpus: os.cpus()[0]?.model ?? 'unknown',
    cores: os.cpus().length,
    memoryGiB: Math.round(os.totalmem() / 2 ** 30),
    kernel: os.release(),
    node: process.version,
  };
}

function fmt(n: number | undefined): string {
  if (n === undefined || Number.isNaN(n)) return '–';
  if (Math.abs(n) >= 1e6) return (n / 1e6).toFixed(2) + ' M';
  if (Math.abs(n) >= 1e3) return (n / 1e3).toFixed(1) + ' k';
  return n.toFixed(Math.abs(n) < 10 ? 2 : 1);
}

export function toMarkdown(run: BenchRun): string {
  const lines = [
    `# manifold benchmark, ${run.startedAt}${run.quick ? ' (quick: proves the harness, figures mean little)' : ''}`,
    '',
    `Machine: ${run.machine.cpus}, ${run.machine.cores} cores, ${run.machine.memoryGiB} GiB, ` +
      `Linux ${run.machine.kernel}, Node ${run.machine.node}.`,
    '',
    '| entry | metric | manifold | anchor | anchor figure | ratio | target | verdict |',
    '| --- | --- | --- | --- | --- | --- | --- | --- |',
  ];
  for (const r of run.results) {
    if (r.error) {
      lines.push(`| ${r.entry} | failed: ${r.error.replace(/\|/g, '/')} | | | | | | |`);
      continue;
    }
    for (const m of r.measurements) {
      const q = ratio(m);
      const verdict = m.targetRatio === undefined || q === undefined ? '' : q >= m.targetRatio ? 'met' : 'not met';
      lines.push(`| ${r.entry} | ${m.metric} (${m.unit}, ${m.better} is better) | ${fmt(m.ours)} | ` +
        `${m.anchorName ?? '–'} | ${fmt(m.anchor)} | ${q === undefined ? '–' : q.toFixed(2) + 'x'} | ` +
        `${m.targetRatio === undefined ? '–' : '≥ ' + m.targetRatio + 'x'} | ${verdict} |`);
    }
  }
  lines.push('', 'Ratio: manifold/anchor for rates, anchor/manifold for latencies; above 1 means manifold is ahead.');
  const notes = run.results.flatMap((r) => r.measurements.filter((m) => m.notes).map((m) => `- ${r.entry}, ${m.metric}: ${m.notes}`));
  if (notes.length) lines.push('', '## Notes', '', ...notes);
  return lines.join('\n') + '\n';
}

export function writeReport(run: BenchRun, dir: string): { json: string; md: string } {
  mkdirSync(dir, { recursive: true });
  const stamp = run.startedAt.replace(/[:.]/g, '-');
  const json = join(dir, `${stamp}.json`);
  const md = join(dir, `${stamp}.md`);
  writeFileSync(json, JSON.stringify(run, null, 2) + '\n');
  writeFileSync(md, toMarkdown(run));
  writeFileSync(join(dir, 'latest.md'), toMarkdown(run));
  return { json, md };
}
