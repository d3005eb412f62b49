// `manifold neigh`: the stack's neighbour cache, one line per entry (or JSON), with the port's
// name, like `ip neigh`: "198.18.0.2 dev p0 lladdr 02:..:.. REACHABLE".
import type { NeighArgs } from '../commands/neigh.js';
import { withClient } from './attach.js';

export async function neigh(args: NeighArgs): Promise<void> {
  await withClient(args.name, async (m) => {
    const ports = await m.ports();
    const list = (await m.stack.neigh()).map((n) => ({ ...n, portName: ports[n.port]?.name ?? String(n.port) }));
    if (args.json) {
      console.log(JSON.stringify(list, null, 2));
      return;
    }
    if (list.length === 0) console.log('(no neighbours)');
    for (const n of list) {
      console.log(`${n.ip} dev ${n.portName}${n.mac ? ` lladdr ${n.mac}` : ''} ${n.state.toUpperCase()}` +
        `  age ${(n.ageMs / 1000).toFixed(1)} s${n.queued ? `  queued ${n.queued}` : ''}`);
    }
  });
}
