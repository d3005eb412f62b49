// UDP to and from an app, datagrams per second: an app bound on manifold-core's stack (tap port,
// kernel peer in a namespace) against kernel UDP sockets between two namespaces joined by a veth
// pair, in the same run, 64-byte payloads.
//
//   receive: a kernel sender blasts at the receiver for a timed window; the rate is what the
//            receiving app (UDP_RECV batches) or kernel socket (recv loop) got per second;
//   send:    the app (sendTo, batched UDP_SEND) or a kernel socket (sendto loop) sends as fast as
//            it can; the rate is what left (the port's udp_tx, the socket's sendto count).
//
// The kernel side runs a small Python loop (one syscall per datagram) in each case, so the
// anchor is "a plain kernel socket", not a tuned one (no sendmmsg/recvmmsg, no GSO).
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { withCore } from '../core.js';
import { sleep, type BenchContext, type BenchEntry, type Measurement } from '../harness.js';

const SIZE = 64;
const tag = process.pid % 100000;

const BLASTER = `
import json, socket, sys, time
mode, secs = sys.argv[1], float(sys.argv[2])
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
n = 0
if mode == "send":
    dst = (sys.argv[3], int(sys.argv[4])); buf = b"m" * int(sys.argv[5])
    end = time.monotonic() + secs
    t0 = time.monotonic()
    while True:
        for _ in range(256):
            try:
                s.sendto(buf, dst); n += 1
            except OSError:
                pass
        if time.monotonic() >= end: break
    print(json.dumps({"sent": n, "seconds": time.monotonic() - t0}), flush=True)
else:
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 << 20)
    s.bind(("0.0.0.0", int(sys.argv[3]))); s.settimeout(0.2)
    print(json.dumps({"listening": True}), flush=True)
    end = time.monotonic() + secs; t0 = None; last = 0
    while time.monotonic() < end:
        try:
            s.recv(65536)
        except socket.timeout:
            continue
        if t0 is None: t0 = time.monotonic()
        n += 1; last = time.monotonic()
    print(json.dumps({"received": n, "seconds": (last - t0) if t0 else 0}), flush=True)
`;

function ip(args: string[]): void {
  const r = spawnSync('ip', args, { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`ip ${args.join(' ')}: ${r.stderr.trim()}`);
}

function nsExists(ns: string): boolean {
  return spawnSync('ip', ['netns', 'list'], { encoding: 'utf8' }).stdout.split('\n').some((l) => l.split(' ')[0] === ns);
}

/** Runs the blaster in `ns`; resolves with its last JSON line. */
function blast(ns: string, script: string, args: string[], onLine?: (l: string) => void): Promise<Record<string, number>> {
  return new Promise((resolve, reject) => {
    const p = spawn('ip', ['netns', 'exec', ns, 'python3', script, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    p.stdout.on('data', (b: Buffer) => {
      out += b.toString();
      for (const l of b.toString().split('\n')) if (l) onLine?.(l);
    });
    p.stderr.on('data', (b: Buffer) => { err += b.toString(); });
    p.on('exit', (code) => {
      const last = out.trim().split('\n').pop() ?? '';
      if (code !== 0 || !last.startsWith('{')) reject(new Error(`blaster in ${ns} failed (${code}): ${err}`));
      else resolve(JSON.parse(last) as Record<string, number>);
    });
  });
}

function listening(ns: string, script: string, args: string[]): { ready: Promise<void>; done: Promise<Record<string, number>> } {
  let ready!: () => void;
  const readyP = new Promise<void>((r) => { ready = r; });
  const done = blast(ns, script, args, (l) => { if (l.includes('listening')) ready(); });
  return { ready: Promise.race([readyP, sleep(5000)]), done };
}

/** Kernel to kernel over a veth pair between two namespaces. */
async function kernelRates(ctx: BenchContext, script: string): Promise<{ recv: number; send: number }> {
  const a = `mfb-ua-${tag}`, b = `mfb-ub-${tag}`;
  try {
    ip(['netns', 'add', a]);
    ip(['netns', 'add', b]);
    ip(['link', 'add', `mfbua${tag}`, 'netns', a, 'type', 'veth', 'peer', 'name', `mfbub${tag}`, 'netns', b]);
    ip(['-n', a, 'addr', 'add', '198.18.200.1/24', 'dev', `mfbua${tag}`]);
    ip(['-n', b, 'addr', 'add', '198.18.200.2/24', 'dev', `mfbub${tag}`]);
    ip(['-n', a, 'link', 'set', `mfbua${tag}`, 'up']);
    ip(['-n', b, 'link', 'set', `mfbub${tag}`, 'up']);
    const secs = String(ctx.seconds);
    const rx = listening(b, script, ['recv', String(ctx.seconds + 2), '9000']);
    await rx.ready;
    const tx = await blast(a, script, ['send', secs, '198.18.200.2', '9000', String(SIZE)]);
    const got = await rx.done;
    return { recv: got.received! / Math.max(got.seconds!, 1e-3), send: tx.sent! / tx.seconds! };
  } finally {
    if (nsExists(a)) spawnSync('ip', ['netns', 'del', a]);
    if (nsExists(b)) spawnSync('ip', ['netns', 'del', b]);
  }
}

/** An app on the core's stack, its kernel peer in a namespace behind a tap port. */
async function manifoldRates(ctx: BenchContext, script: string): Promise<{ recv: number; send: number; note: string }> {
  const ns = `mfb-us-${tag}`;
  try {
    return await withCore(ctx, {
      name: `bench-udp-${tag}`, lcores: '0-1', hugepages: 'off', memoryMb: 512,
      ports: [{ name: 'p0', dev: `net_tap0,iface=mfbus${tag}`, netns: ns, peerIp: '198.18.201.2/24',
        ip: '198.18.201.1/24', forward: 'stack' }],
    }, async (m) => {
      // receive: the kernel blasts, the app drains in batches
      const sock = await m.stack.udp.bind('198.18.201.1', 9000);
      let received = 0;
      let first = 0;
      let last = 0;
      const stop = sock.onMessage(() => {
        const t = performance.now();
        if (first === 0) first = t;
        last = t;
        received++;
      });
      await blast(ns, script, ['send', String(ctx.seconds), '198.18.201.1', '9000', String(SIZE)]);
      await sleep(300);
      stop();
      const recv = received / Math.max((last - first) / 1000, 1e-3);
      const rxStats = (await m.stats()).ports[0]!.counters;
      ctx.log(`manifold receive: ${received} datagrams; udp_rx ${rxStats.udp_rx}, ` +
        `udp_rx_queue_full ${rxStats.udp_rx_queue_full}, rx_missed ${rxStats.rx_missed}`);

      // send: the app sends as fast as batches go; the kernel drains
      const rx = listening(ns, script, ['recv', String(ctx.seconds + 2), '9001']);
      await rx.ready;
      const payload = Buffer.alloc(SIZE, 0x6d);
      for (let i = 0; i < 100; i++) sock.sendTo('198.18.201.2', 9001, payload); // resolve ARP
      await sock.flush();
      await sleep(200);
      await m.clearStats('all');
      const t0 = performance.now();
      const end = t0 + ctx.seconds * 1000;
      while (performance.now() < end) {
        for (let i = 0; i < 2000; i++) sock.sendTo('198.18.201.2', 9001, payload);
        await sock.flush();
      }
      const elapsed = (performance.now() - t0) / 1000;
      await sleep(100);
      const tx = (await m.stats()).ports[0]!.counters;
      const totals = await sock.flush();
      const got = await rx.done;
      ctx.log(`manifold send: udp_tx ${tx.udp_tx}, refused queue_full ${totals.queueFull}, ` +
        `drop_tx_full ${tx.drop_tx_full}; the kernel socket received ${got.received}`);
      await sock.close();
      return { recv, send: tx.udp_tx! / elapsed,
        note: `receive: app dropped ${rxStats.udp_rx_queue_full} (udp_rx_queue_full) of ${rxStats.udp_rx! + rxStats.udp_rx_queue_full!}; ` +
          `send: ${totals.queueFull} datagrams refused while the port's tx ring was full (tap writes one syscall per frame)` };
    });
  } finally {
    if (nsExists(ns)) spawnSync('ip', ['netns', 'del', ns]);
  }
}

export const udp: BenchEntry = {
  name: 'udp',
  describe: 'UDP to/from an app on the stack (tap) vs kernel sockets across a veth pair, datagrams/s',
  async run(ctx): Promise<Measurement[]> {
    const dir = mkdtempSync(join(tmpdir(), 'mf-bench-udp-'));
    const script = join(dir, 'blaster.py');
    writeFileSync(script, BLASTER);
    try {
      const kernel = await kernelRates(ctx, script);
      ctx.log(`kernel: receive ${(kernel.recv / 1e3).toFixed(0)} k/s, send ${(kernel.send / 1e3).toFixed(0)} k/s`);
      const ours = await manifoldRates(ctx, script);
      ctx.log(`manifold: receive ${(ours.recv / 1e3).toFixed(0)} k/s, send ${(ours.send / 1e3).toFixed(0)} k/s`);
      const notes = `${SIZE}-byte payloads; kernel side is a Python loop, one syscall per datagram; ` +
        'manifold over net_tap (the kernel sender/receiver is in the loop too), --no-huge, 1 worker; ' + ours.note;
      return [
        { metric: 'UDP receive to an app', unit: 'datagrams/s', better: 'higher', ours: ours.recv,
          anchor: kernel.recv, anchorName: 'kernel UDP socket (veth between namespaces)', notes },
        { metric: 'UDP send from an app', unit: 'datagrams/s', better: 'higher', ours: ours.send,
          anchor: kernel.send, anchorName: 'kernel UDP socket (veth between namespaces)', notes },
      ];
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  },
};
