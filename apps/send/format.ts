// Text forms of a send report and of the lateness histograms, shared by the CLI and the shell.
import type { LatenessReport, LatenessStats } from '../../ffi/send-report.js';
import type { SendReport } from '../../ffi/send-report.js';

/** "1.2 us", "350 ns", "4.0 ms". */
export function formatNs(ns: number): string {
  if (ns < 1000) return `${ns} ns`;
  if (ns < 1e6) return `${(ns / 1e3).toFixed(1)} us`;
  if (ns < 1e9) return `${(ns / 1e6).toFixed(1)} ms`;
  return `${(ns / 1e9).toFixed(2)} s`;
}

export function reportText(r: SendReport): string {
  const drops = Object.entries(r.dropped).filter(([, v]) => v > 0);
  const span = r.lastTxNs > r.firstTxNs ? Number(r.lastTxNs - r.firstTxNs) : 0;
  const lines = [
    `batch ${r.batch}: ${r.messages} messages, sent ${r.sent}, late ${r.late}, dropped ${drops.reduce((s, [, v]) => s + v, 0)}` +
      (drops.length ? ` (${drops.map(([k, v]) => `${k} ${v}`).join(', ')})` : ''),
    `departures over ${formatNs(span)}; lateness p50 ${formatNs(r.lateness.p50Ns)}, p99 ${formatNs(r.lateness.p99Ns)}, max ${formatNs(r.lateness.maxNs)}`,
  ];
  if (r.skipped) lines.push(`best effort: ${r.skipped} bad messages skipped`);
  if (r.frames) {
    const by = (o: string): string => r.frames!.filter((f) => f.outcome === o).map((f) => `${f.id}${f.type}`).join(' ') || 'none';
    lines.push(`frames: ${r.frames.length}, dropped ${r.framesDropped ?? 0}`, `  sent: ${by('sent')}`, `  dropped: ${by('dropped')}`);
  }
  return lines.join('\n');
}

function latenessLine(s: LatenessStats): string {
  const who = s.lcore === 'all' ? 'all     ' : `lcore ${String(s.lcore).padEnd(2)}`;
  return `${who}  ${String(s.count).padStart(10)}  ${formatNs(Math.round(s.meanNs)).padStart(9)}  ${formatNs(s.p50Ns).padStart(9)}  ` +
    `${formatNs(s.p99Ns).padStart(9)}  ${formatNs(s.maxNs).padStart(9)}`;
}

export function latenessText(r: LatenessReport): string {
  return [`          departures       mean  p50 (<=)  p99 (<=)        max`, ...r.lcores.map(latenessLine), latenessLine(r.total)].join('\n');
}
