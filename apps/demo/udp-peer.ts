// A small UDP host for demos and tests, run inside a network namespace with `ip netns exec`:
//   udp-peer.js send --to 198.18.0.11:9000 --rate 2000 --size 256 --seconds 30
//   udp-peer.js recv --port 9000 --seconds 30
// Each prints one JSON line per --report-ms with its running totals and a final line on exit.
// Every run is bounded by --seconds and also ends when its parent goes away.
import dgram from 'node:dgram';
import { parseArgs } from 'node:util';

const { positionals, values } = parseArgs({
  allowPositionals: true,
  options: {
    to: { type: 'string' },
    port: { type: 'string', default: '9000' },
    rate: { type: 'string', default: '1000' },
    size: { type: 'string', default: '256' },
    count: { type: 'string' },
    seconds: { type: 'string', default: '60' },
    'report-ms': { type: 'string', default: '500' },
  },
});

const role = positionals[0];
const seconds = Number(values.seconds);
const reportMs = Number(values['report-ms']);
const parent = process.ppid;
const report = (o: object) => process.stdout.write(JSON.stringify(o) + '\n');

function runFor(onTick: () => void, onEnd: () => void): void {
  const started = Date.now();
  const timer = setInterval(() => {
    onTick();
    if (Date.now() - started > seconds * 1000 || process.ppid !== parent) {
      clearInterval(timer);
      onEnd();
    }
  }, reportMs);
  process.on('SIGTERM', () => { clearInterval(timer); onEnd(); });
}

if (role === 'recv') {
  const sock = dgram.createSocket('udp4');
  let received = 0, bytes = 0, outOfOrder = 0, last = -1;
  sock.on('message', (msg) => {
    received++;
    bytes += msg.length;
    const seq = msg.length >= 4 ? msg.readUInt32BE(0) : -1;
    if (seq <= last) outOfOrder++;
    last = seq;
  });
  sock.bind(Number(values.port), () => report({ listening: Number(values.port) }));
  const totals = () => ({ received, bytes, outOfOrder });
  runFor(() => report(totals()), () => { report({ ...totals(), done: true }); sock.close(); });
} else if (role === 'send') {
  const [host, port] = (values.to ?? '').split(':');
  if (!host || !port) throw new Error('send needs --to HOST:PORT');
  const sock = dgram.createSocket('udp4');
  const rate = Number(values.rate), size = Math.max(4, Number(values.size));
  const limit = values.count !== undefined ? Number(values.count) : Infinity;
  let sent = 0, errors = 0, pending = 0, ended = false;
  const tickMs = 10;
  const totals = () => ({ sent, errors });
  const end = (): void => {
    if (ended) return;
    ended = true;
    clearInterval(pump);
    setTimeout(() => { report({ ...totals(), done: true }); sock.close(); process.exit(0); }, 100);
  };
  // With --count, done once the last datagram is handed to the kernel: --seconds is then
  // only a cap, so a slow (loaded) machine gets the time it needs.
  const pump = setInterval(() => {
    const n = Math.min(Math.ceil((rate * tickMs) / 1000), limit - sent);
    for (let i = 0; i < n; i++) {
      const buf = Buffer.alloc(size, 0x6d);
      buf.writeUInt32BE(sent, 0);
      sent++;
      pending++;
      sock.send(buf, Number(port), host, (err) => {
        if (err) errors++;
        if (--pending === 0 && sent >= limit) end();
      });
    }
    if (pending === 0 && sent >= limit) end(); // --count 0, or every callback came already
  }, tickMs);
  runFor(() => report(totals()), end);
} else {
  process.stderr.write('usage: udp-peer.js send --to HOST:PORT [--rate N] [--size B] | recv --port P\n');
  process.exit(2);
}
