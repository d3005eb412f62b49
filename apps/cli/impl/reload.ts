// `manifold reload`: finds `manifold start` of the instance by its pid file, sends it SIGHUP,
// and waits for the outcome it writes (apps/appliance/pidfile.ts). Exit code 1 when refused.
import { readFileSync } from 'node:fs';
import type { ReloadArgs } from '../commands/reload.js';
import { CliError } from '../options.js';
import { pidFile, readPidFile, readReloadStatus } from '../../appliance/pidfile.js';
import { processAlive } from '../../process.js';
import { sleep } from './sleep.js';

function isManifoldStart(pid: number): boolean {
  try {
    const argv = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
    return argv.some((a) => a.endsWith('manifold.js') || a.endsWith('main.js') || a === 'manifold') && argv.includes('start');
  } catch {
    return false;
  }
}

export async function reload(args: ReloadArgs): Promise<void> {
  const pid = readPidFile(args.name);
  if (pid === undefined || !processAlive(pid)) {
    throw new CliError(`no appliance '${args.name}' to reload: ${pid === undefined ? `no ${pidFile(args.name)}` : `${pidFile(args.name)} names pid ${pid}, which is gone`}; ` +
      'reload works on an instance run by `manifold start` (start one, or give --name)');
  }
  if (!isManifoldStart(pid)) throw new CliError(`pid ${pid} in ${pidFile(args.name)} is not \`manifold start\`; remove the stale file`);
  const before = readReloadStatus(args.name)?.seq ?? 0;
  process.kill(pid, 'SIGHUP');
  const deadline = Date.now() + args.timeout * 1000;
  for (;;) {
    const s = readReloadStatus(args.name);
    if (s && s.seq > before) {
      if (!s.ok) throw new CliError(s.message);
      console.log(s.message);
      return;
    }
    if (Date.now() > deadline) throw new CliError(`appliance '${args.name}' (pid ${pid}) gave no reload outcome within ${args.timeout} s`);
    if (!processAlive(pid)) throw new CliError(`appliance '${args.name}' (pid ${pid}) exited during the reload`);
    await sleep(50);
  }
}
