// Sends ten messages 1 ms apart to one UDP recipient and prints what the core reports.
//   node dist/examples/send-hello.js INSTANCE 198.18.1.2:5000 [NEXT-HOP-MAC]
import { Manifold, SendBatch, SendBackpressureError } from '../ffi/index.js';

const [name = 'default', to = '198.18.1.2:5000', mac] = process.argv.slice(2);
const [ip, port] = to.split(':');

const mf = Manifold.attach(name);
try {
  const batch = new SendBatch({ timing: 'delay' });
  const d = batch.dest({ ip: ip!, port: Number(port), mac });
  for (let i = 0; i < 10; i++) {
    batch.add(d, Buffer.from(`hello ${i}`), { time: BigInt(i) * 1_000_000n }); // i ms after the first
  }
  const report = await mf.send(batch, { waitForRoom: true });
  console.log(`sent ${report.sent} of ${report.messages} over ${(report.lastTxNs - report.firstTxNs) / 1000n} us, ` +
    `lateness p99 ${report.lateness.p99Ns} ns`);
} catch (err) {
  if (err instanceof SendBackpressureError) console.error('the core stayed full for 30 s:', err.reason);
  else console.error(err instanceof Error ? err.message : err);
  process.exitCode = 1;
} finally {
  mf.close();
}
