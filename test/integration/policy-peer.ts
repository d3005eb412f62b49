// UDP sender and receivers for the policy interop tests, run inside network namespaces with
// `ip netns exec`. Every datagram carries its sequence number and a payload derived from it, so
// a receiver checks each one byte for byte without being told what was sent:
//   policy-peer.js send --to 198.18.20.1:5000 --count 500 --rate 1000
//   policy-peer.js recv --ports 7001,7002 --expect 500 --seconds 10 [--idle-ms 3000]
// --min N --spread M (both sides alike) size the datagrams N .. N+M-1 bytes: above the MTU
// the kernel sends them as fragments.
// recv prints "listening" once bound, then one JSON line at the end:
//   {"ports":{"7001":{"received":500,"bad":0,"dup":0,"first":0,"last":499}}}
// Every run is bounded by --seconds and ends when its parent goes away; recv also ends once
// every port has --expect datagrams, or with --idle-ms once nothing came for that long after
// the first (for a port that joins mid-stream and never gets all).
import dgram from 'node:dgram';
import { parseArgs } from 'node:util';

const { positionals, values } = parseArgs({
  allowPositionals: true,
  options: {
    to: { type: 'string' },
    ports: { type: 'string', default: '7000' },
    count: { type: 'string', default: '100' },
    first: { type: 'string', default: '0' },
    rate: { type: 'string', default: '1000' },
    expect: { type: 'string', default: '0' },
    seconds: { type: 'string', default: '10' },
    'idle-ms': { type: 'string', default: '0' },
    min: { type: 'string', default: '16' },
    spread: { type: 'string', default: '1200' },
  },
});
const MIN = Number(values.min);
const SPREAD = Number(values.spread);

/** The datagram of sequence number `seq`: MIN to MIN + SPREAD - 1 bytes (16 to 1215 unless
 * told), none alike. */
export function payload(seq: number): Buffer {
  const len = MIN + ((seq * 37) % SPREAD);
  const b = Buffer.alloc(len);
  b.writeUInt32BE(seq, 0);
  for (let i = 4; i < len; i++) b[i] = (seq * 31 + i * 7) & 255;
  return b;
}

const parent = process.ppid;
const seconds = Number(values.seconds);

if (positionals[0] === 'send') {
  const [host, port] = (values.to ?? '').split(':');
  const count = Number(values.count);
  const first = Number(values.first);
  const perMs = Number(values.rate) / 1000;
  const sock = dgram.createSocket('udp4');
  let seq = 0;
  let credit = 0;
  const started = Date.now();
  const timer = setInterval(() => {
    credit += perMs;
    while (credit >= 1 && seq < count) {
      sock.send(payload(first + seq), Number(port), host);
      seq++;
      credit--;
    }
    if (seq >= count || Date.now() - started > seconds * 1000 || process.ppid !== parent) {
      clearInterval(timer);
      setTimeout(() => {
        process.stdout.write(JSON.stringify({ sent: seq }) + '\n');
        sock.close();
      }, 50);
    }
  }, 1);
} else if (positionals[0] === 'recv') {
  const ports = (values.ports ?? '').split(',').map(Number);
  const expect = Number(values.expect);
  const idleMs = Number(values['idle-ms']);
  let lastAt = 0;
  const stats: Record<string, { received: number; bad: number; dup: number; first: number; last: number }> = {};
  const seen = new Map<number, Set<number>>();
  let bound = 0;
  const socks = ports.map((p) => {
    const s = dgram.createSocket('udp4');
    stats[p] = { received: 0, bad: 0, dup: 0, first: -1, last: -1 };
    seen.set(p, new Set());
    s.on('message', (msg) => {
      const st = stats[p]!;
      const seq = msg.length >= 4 ? msg.readUInt32BE(0) : -1;
      if (seq < 0 || !payload(seq).equals(msg)) {
        st.bad++;
        return;
      }
      const set = seen.get(p)!;
      if (set.has(seq)) st.dup++;
      set.add(seq);
      st.received++;
      lastAt = Date.now();
      if (st.first < 0) st.first = seq;
      st.last = Math.max(st.last, seq);
      if (expect > 0 && ports.every((q) => stats[q]!.received >= expect)) finish();
    });
    s.bind(p, () => {
      if (++bound === ports.length) process.stdout.write('listening\n');
    });
    return s;
  });
  let done = false;
  const finish = (): void => {
    if (done) return;
    done = true;
    process.stdout.write(JSON.stringify({ ports: stats }) + '\n');
    for (const s of socks) s.close();
    clearInterval(guard);
  };
  const started = Date.now();
  const guard = setInterval(() => {
    const now = Date.now();
    if (now - started > seconds * 1000 || process.ppid !== parent) finish();
    if (idleMs > 0 && lastAt > 0 && now - lastAt > idleMs) finish();
  }, 20);
  process.on('SIGTERM', finish);
}
