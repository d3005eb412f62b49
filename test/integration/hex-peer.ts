// A kernel UDP peer for the split and aggregate tests, run inside a namespace (ip netns exec ... node).
// Times are CLOCK_MONOTONIC nanoseconds (process.hrtime.bigint), the same clock in every
// namespace, so the test can put a sender's and a receiver's times side by side.
//   send --to ip:port --file payloads.hex [--burst k] [--gap-ms n] [--spread d]
//        one datagram per line of hex, k at a time then a pause of n ms; line i goes to port
//        + (i % d) (default d = 1: all to port); prints one JSON line
//        {"sent": n, "firstNs": "...", "lastNs": "..."}
//   recv --ports a,b --expect n --seconds s [--idle-ms n]
//        prints "listening", then {"ports": {"7000": ["hex", ...]}, "times": {"7000": ["ns", ...]}}
//        once every port has `expect` datagrams, nothing came for idle-ms, or after `seconds`.
import { createSocket } from 'node:dgram';
import { readFileSync } from 'node:fs';

const args = process.argv.slice(2);
const opt = (k: string, d?: string): string => {
  const i = args.indexOf(`--${k}`);
  if (i < 0 || args[i + 1] === undefined) {
    if (d === undefined) throw new Error(`--${k} is required`);
    return d;
  }
  return args[i + 1]!;
};
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function send(): Promise<void> {
  const [host, port] = opt('to').split(':');
  const lines = readFileSync(opt('file'), 'utf8').split('\n').filter((l) => l.length > 0);
  const burst = Math.max(1, Number(opt('burst', '1')));
  const gap = Number(opt('gap-ms', '1'));
  const spread = Math.max(1, Number(opt('spread', '1')));
  const s = createSocket('udp4');
  let sent = 0;
  let firstNs = 0n;
  let lastNs = 0n;
  for (const l of lines) {
    const to = Number(port) + (sent % spread);
    await new Promise<void>((res, rej) => s.send(Buffer.from(l, 'hex'), to, host, (e) => (e ? rej(e) : res())));
    lastNs = process.hrtime.bigint();
    if (sent === 0) firstNs = lastNs;
    sent++;
    if (gap > 0 && sent % burst === 0) await sleep(gap);
  }
  s.close();
  console.log(JSON.stringify({ sent, firstNs: String(firstNs), lastNs: String(lastNs) }));
}

async function recv(): Promise<void> {
  const ports = opt('ports').split(',').map(Number);
  const expectN = Number(opt('expect'));
  const until = Date.now() + Number(opt('seconds')) * 1000;
  const idle = Number(opt('idle-ms', '0'));
  let last = 0;
  const got: Record<string, string[]> = {};
  const times: Record<string, string[]> = {};
  const socks = await Promise.all(ports.map((p) => new Promise<ReturnType<typeof createSocket>>((res) => {
    const s = createSocket({ type: 'udp4', recvBufferSize: 8 << 20 });
    got[String(p)] = [];
    times[String(p)] = [];
    s.on('message', (b) => {
      times[String(p)]!.push(String(process.hrtime.bigint()));
      got[String(p)]!.push(b.toString('hex'));
      last = Date.now();
    });
    s.bind(p, () => res(s));
  })));
  console.log('listening');
  while (Date.now() < until && Object.values(got).some((l) => l.length < expectN)) {
    if (idle > 0 && last > 0 && Date.now() - last > idle) break;
    await sleep(5);
  }
  await sleep(200); // anything beyond the expected count shows up too
  for (const s of socks) s.close();
  console.log(JSON.stringify({ ports: got, times }));
}

await (args[0] === 'send' ? send() : recv());
