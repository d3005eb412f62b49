// The Node.js anchor of the aggregate-send rate bench: one thread, one `dgram` socket, 64-byte
// messages round robin to `dests` recipients (ip base+i, UDP port portBase+i), as fast as
// dgram takes them. Run inside a namespace (bench/entries/send-rate.ts does):
//
//   node dist/bench/anchors/dgram-rate.js --dst-base 198.18.76.1 --seconds 5 [--dests 64]
//     [--size 64] [--port-base 7000] [--in-flight 4096] [--count N]
//
// dgram has no sendmmsg: each send() is one sendmsg() in libuv (or queued when the socket
// would block). Sends go out `inFlight` at a time without waiting for each callback, which is
// the fastest a single thread gets; the rate counts sends whose callback reported no error.
// Prints one JSON line.
import dgram from 'node:dgram';
import { parseArgs } from 'node:util';

const { values } = parseArgs({
  options: {
    'dst-base': { type: 'string' },
    seconds: { type: 'string', default: '5' },
    count: { type: 'string', default: String(1e9) },
    dests: { type: 'string', default: '64' },
    size: { type: 'string', default: '64' },
    'port-base': { type: 'string', default: '7000' },
    'in-flight': { type: 'string', default: '4096' },
  },
});

function int(name: string, v: string | undefined, lo: number, hi: number): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < lo || n > hi) {
    process.stderr.write(`dgram-rate: --${name} ${v}: expected an integer in ${lo}..${hi}\n`);
    process.exit(2);
  }
  return n;
}

const base = values['dst-base'];
const octets = base?.split('.').map(Number) ?? [];
if (octets.length !== 4 || octets.some((o) => !Number.isInteger(o) || o < 0 || o > 255)) {
  process.stderr.write('dgram-rate: --dst-base must be an IPv4 address such as 198.18.76.1\n');
  process.exit(2);
}
const seconds = Number(values.seconds);
if (!(seconds > 0)) {
  process.stderr.write('dgram-rate: --seconds must be a positive number\n');
  process.exit(2);
}
const count = int('count', values.count, 1, 1e12);
const dests = int('dests', values.dests, 1, 4096);
const size = int('size', values.size, 1, 1472);
const portBase = int('port-base', values['port-base'], 1, 65536 - dests);
const inFlight = int('in-flight', values['in-flight'], 1, 1 << 20);

const baseN = ((octets[0]! << 24) | (octets[1]! << 16) | (octets[2]! << 8) | octets[3]!) >>> 0;
const addrs = Array.from({ length: dests }, (_, i) => {
  const a = (baseN + i) >>> 0;
  return `${a >>> 24}.${(a >>> 16) & 255}.${(a >>> 8) & 255}.${a & 255}`;
});
const payload = Buffer.alloc(size, 0x5a);
const sock = dgram.createSocket('udp4');

let issued = 0;
let done = 0;
let failed = 0;
let next = 0;
let lastError = '';
const t0 = performance.now();
const end = t0 + seconds * 1000;

function onSent(err: Error | null): void {
  done++;
  if (err) {
    failed++;
    lastError = err.message;
  }
}

await new Promise<void>((resolve) => sock.bind(0, resolve));
sock.setSendBufferSize(8 << 20);
await new Promise<void>((resolve) => {
  const pump = (): void => {
    // keep `inFlight` sends outstanding until the time is up; give the loop a turn so
    // callbacks run
    const now = performance.now();
    while (now < end && issued - done < inFlight && issued < count) {
      sock.send(payload, portBase + next, addrs[next]!, onSent);
      next = next + 1 === dests ? 0 : next + 1;
      issued++;
    }
    if ((now >= end || issued >= count) && done === issued) resolve();
    else if (now >= end + 5000) resolve(); // callbacks that never came: counted as pending
    else setImmediate(pump);
  };
  pump();
});
const elapsed = (performance.now() - t0) / 1000;
const ok = done - failed;
process.stdout.write(JSON.stringify({
  sent: ok, seconds: elapsed, rate: ok / elapsed, failed, pending: issued - done, lastError, dests, size,
}) + '\n');
sock.close();
