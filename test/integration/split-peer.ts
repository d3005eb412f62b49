// A kernel UDP peer for the split tests, run inside a namespace (ip netns exec ... node).
//   send --to ip:port --file payloads.hex [--gap-ms n]   one datagram per line of hex
//   recv --ports a,b --expect n --seconds s [--idle-ms n]             prints "listening", then one JSON line:
//                                                        {"ports": {"6000": ["hex", ...]}}
// recv ends when every port has `expect` datagrams or after `seconds`.
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
  const gap = Number(opt('gap-ms', '1'));
  const s = createSocket('udp4');
  let sent = 0;
  for (const l of lines) {
    await new Promise<void>((res, rej) => s.send(Buffer.from(l, 'hex'), Number(port), host, (e) => (e ? rej(e) : res())));
    sent++;
    if (gap > 0) await sleep(gap);
  }
  s.close();
  console.log(JSON.stringify({ sent }));
}

async function recv(): Promise<void> {
  const ports = opt('ports').split(',').map(Number);
  const expectN = Number(opt('expect'));
  const until = Date.now() + Number(opt('seconds')) * 1000;
  const idle = Number(opt('idle-ms', '0')); // > 0: also end once nothing came for this long
  let last = 0;
  const got: Record<string, string[]> = {};
  const socks = await Promise.all(ports.map((p) => new Promise<ReturnType<typeof createSocket>>((res) => {
    const s = createSocket({ type: 'udp4', recvBufferSize: 8 << 20 });
    got[String(p)] = [];
    s.on('message', (b) => {
      got[String(p)]!.push(b.toString('hex'));
      last = Date.now();
    });
    s.bind(p, () => res(s));
  })));
  console.log('listening');
  while (Date.now() < until && Object.values(got).some((l) => l.length < expectN)) {
    if (idle > 0 && last > 0 && Date.now() - last > idle) break;
    await sleep(20);
  }
  await sleep(200); // anything beyond the expected count shows up too
  for (const s of socks) s.close();
  console.log(JSON.stringify({ ports: got }));
}

await (args[0] === 'send' ? send() : recv());
