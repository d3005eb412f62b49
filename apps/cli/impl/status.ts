// `manifold status`: exit 0 iff the instance answers; its version, memory mode and ports.
import { Manifold } from '../../../ffi/index.js';
import type { StatusArgs } from '../commands/status.js';
import { CliError } from '../options.js';

export async function status(args: StatusArgs): Promise<void> {
  let m: Manifold;
  try {
    m = Manifold.attach(args.name);
  } catch (err) {
    const reason = (err as Error).message;
    if (args.json) {
      console.log(JSON.stringify({ name: args.name, running: false, reason }, null, 2));
      process.exitCode = 1;
      return;
    }
    throw new CliError(`instance '${args.name}' is not up: ${reason}`);
  }
  try {
    const version = await m.version();
    const ports = await m.ports();
    const report = {
      name: args.name,
      running: true,
      pid: version.corePid,
      version: version.coreVersion,
      dpdk: version.dpdkVersion,
      abi: `${version.abiMajor}.${version.abiMinor}`,
      hugepages: version.hugepages,
      workers: version.nWorkers,
      uptimeS: Number(process.hrtime.bigint() - version.startNs) / 1e9,
      ports,
    };
    if (args.json) {
      console.log(JSON.stringify(report, null, 2));
      return;
    }
    console.log(`manifold '${report.name}' is up: pid ${report.pid}, manifold ${report.version}, ` +
      `${report.dpdk}, ABI ${report.abi}, ${report.workers} worker(s), ` +
      `${report.hugepages ? 'hugepages' : 'no hugepages'}, up ${report.uptimeS.toFixed(1)} s`);
    for (const p of ports) {
      const peer = p.peer === null ? '-' : ports[p.peer]?.name ?? String(p.peer);
      console.log(`  port ${p.id} ${p.name.padEnd(8)} ${p.driver.padEnd(14)} ${p.mac}  link ${p.linkUp ? 'up' : 'down'}` +
        `  mtu ${p.mtu}  forward ${p.fwdMode} -> ${peer}`);
    }
  } finally {
    m.close();
  }
}
