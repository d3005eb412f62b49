// show neigh: the stack's neighbour cache (ffi/stack.ts), like `ip neigh`.
import { w } from '../registry.js';
import type { ShellCommand } from '../session.js';

interface NeighRow { port: number; portName: string; ip: string; mac: string | null; state: string; ageMs: number; queued: number; probes: number }

function neighText(rows: readonly NeighRow[]): string {
  if (rows.length === 0) return '(no neighbours)';
  return rows.map((n) => `${n.ip} dev ${n.portName}${n.mac ? ` lladdr ${n.mac}` : ''} ${n.state.toUpperCase()}` +
    `  age ${(n.ageMs / 1000).toFixed(1)} s${n.queued ? `  queued ${n.queued}` : ''}`).join('\n');
}

export const neighCommands: ShellCommand[] = [
  {
    syntax: [w('show'), w('neigh')],
    help: 'the stack\'s neighbour cache of every port (address, MAC, state, age)',
    show: true,
    async run(s) {
      const ports = await s.client.ports();
      const rows = (await s.client.stack.neigh()).map((n) => ({ ...n, portName: ports[n.port]?.name ?? String(n.port) }));
      s.result(rows, neighText);
    },
  },
];
