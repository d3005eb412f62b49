// `manifold demo` (what `npm start` runs): the appliance on two tap ports whose kernel sides sit
// in two namespaces, host A and host B. Host A sends UDP to host B; every datagram (and the ARP
// before them) crosses the core, which forwards io between its ports. Live statistics each second
// until Ctrl-C or --duration; everything the demo made is removed on the way out.
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { join } from 'node:path';
import { validateConfig } from '../../appliance/config.js';
import { Appliance } from '../../appliance/appliance.js';
import { repoRoot } from '../../paths.js';
import type { DemoArgs } from '../commands/demo.js';
import { CliError } from '../options.js';
import { attach } from './attach.js';
import { untilStopped } from './until-stopped.js';
import { formatRates, type Snapshot } from './stats-format.js';

const HOST_A = '198.18.0.10';
const HOST_B = '198.18.0.11';
const UDP_PORT = 9000;

interface PeerProcess { child: ChildProcess; last: Record<string, number> }

function peer(ns: string, args: string[]): PeerProcess {
  const script = join(repoRoot(), 'dist', 'apps', 'demo', 'udp-peer.js');
  const child = spawn('ip', ['netns', 'exec', ns, process.execPath, script, ...args],
    { stdio: ['ignore', 'pipe', 'inherit'] });
  const p: PeerProcess = { child, last: {} };
  createInterface({ input: child.stdout! }).on('line', (line) => {
    try { p.last = JSON.parse(line) as Record<string, number>; } catch { /* not a report */ }
  });
  return p;
}

async function end(p: PeerProcess): Promise<void> {
  if (p.child.exitCode !== null || p.child.signalCode !== null) return;
  const gone = new Promise((r) => p.child.once('exit', r));
  p.child.kill('SIGTERM');
  const timer = setTimeout(() => p.child.kill('SIGKILL'), 3000);
  await gone;
  clearTimeout(timer);
}

export async function demo(args: DemoArgs): Promise<void> {
  if (process.getuid?.() !== 0) {
    throw new CliError('the demo creates network namespaces and tap devices, which needs root: run `sudo npm start`');
  }
  const tag = process.pid % 100000;
  const config = validateConfig({
    name: 'demo',
    ports: [
      { name: 'p0', dev: `net_tap0,iface=mfa${tag}`, netns: `mf-demo-a-${tag}`, peerIp: `${HOST_A}/24` },
      { name: 'p1', dev: `net_tap1,iface=mfb${tag}`, netns: `mf-demo-b-${tag}`, peerIp: `${HOST_B}/24` },
    ],
    forward: 'io',
  });
  const say = (s: string) => console.log(`demo: ${s}`);
  say(`host A (${HOST_A}, namespace mf-demo-a-${tag}) <-> p0 [manifold-core, io] p1 <-> host B (${HOST_B}, namespace mf-demo-b-${tag})`);
  const appliance = new Appliance(config, { onCoreLine: (line) => console.log(`core: ${line}`) });
  await appliance.start();
  say(`ready; in another shell: node bin/manifold.js stats --name demo --period 1`);

  const seconds = String((args.duration ?? 24 * 3600) + 10);
  const receiver = peer(`mf-demo-b-${tag}`, ['recv', '--port', String(UDP_PORT), '--seconds', seconds]);
  const sender = peer(`mf-demo-a-${tag}`, ['send', '--to', `${HOST_B}:${UDP_PORT}`, '--rate',
    String(args.rate), '--size', '512', '--seconds', seconds]);
  const m = attach('demo');
  let previous: Snapshot | undefined;
  const t0 = Date.now();
  const ticker = setInterval(() => {
    void m.stats().then((stats) => {
      const now: Snapshot = { stats, atMs: Date.now() };
      if (previous) {
        const secs = ((now.atMs - t0) / 1000).toFixed(0).padStart(3);
        say(`${secs} s | ${formatRates(previous, now)} | host A sent ${sender.last.sent ?? 0}, ` +
          `host B received ${receiver.last.received ?? 0}`);
      }
      previous = now;
    }).catch((err: Error) => say(`stats: ${err.message}`));
  }, 1000);

  let code = 0;
  try {
    await untilStopped(appliance.exited, args.duration);
  } finally {
    clearInterval(ticker);
    await end(sender);
    await new Promise((r) => setTimeout(r, 300)); // the last datagrams in flight
    await end(receiver);
    const final = await m.stats().catch(() => undefined);
    m.close();
    code = await appliance.stop();
    const sent = sender.last.sent ?? 0;
    const received = receiver.last.received ?? 0;
    const forwarded = final ? final.ports.reduce((s, p) => s + (p.counters.fwd_out ?? 0), 0) : 0;
    say(`done: host A sent ${sent} datagrams, host B received ${received}, the core forwarded ${forwarded} packets`);
    if (received === 0) throw new CliError('no datagram reached host B; see the core lines above');
  }
  if (code !== 0) throw new CliError(`manifold-core exited with code ${code}`, code);
}
