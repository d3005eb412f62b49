// Attach to a running manifold instance, list its ports, measure one second of traffic, and
// switch every port to drop and back to io. Run it against any instance:
//   node dist/examples/port-report.js lab
import { Manifold, NotRunningError } from '../ffi/index.js';

const name = process.argv[2] ?? 'default';
let m: Manifold;
try {
  m = Manifold.attach(name);
} catch (err) {
  if (err instanceof NotRunningError) {
    console.error(err.message); // says how to start one
    process.exit(1);
  }
  throw err;
}

try {
  const version = await m.version();
  console.log(`attached to '${version.name}', core pid ${version.corePid}, ${version.dpdkVersion}`);
  for (const p of await m.ports()) {
    console.log(`port ${p.id} ${p.name}: ${p.driver} ${p.mac}, forward ${p.fwdMode}`);
  }

  await m.clearStats('all');
  await new Promise((r) => setTimeout(r, 1000));
  const stats = await m.stats();
  for (const p of stats.ports) {
    console.log(`port ${p.name}: rx ${p.counters.rx_packets} tx ${p.counters.tx_packets} in one second`);
  }

  await m.setForward('all', 'drop');       // every port now counts and frees what it receives
  await m.setForward('all', 'io');         // and forwards again, to its peer
  console.log('forward modes switched: drop, then io');
} finally {
  m.close();
}
