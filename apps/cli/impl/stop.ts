// `manifold stop`: asks the core to shut down and waits until its process is gone.
import type { StopArgs } from '../commands/stop.js';
import { CliError } from '../options.js';
import { attach } from './attach.js';
import { sleep } from './sleep.js';
import { processAlive as alive } from '../../process.js';

export async function stop(args: StopArgs): Promise<void> {
  const m = attach(args.name);
  let pid: number;
  try {
    pid = m.corePid;
    await m.shutdown();
  } finally {
    m.close();
  }
  const deadline = Date.now() + args.timeout * 1000;
  while (alive(pid)) {
    if (Date.now() > deadline) {
      throw new CliError(`instance '${args.name}' (pid ${pid}) is still running after ${args.timeout} s; ` +
        `it may be stuck: kill ${pid}`);
    }
    await sleep(50);
  }
  console.log(`stopped '${args.name}' (pid ${pid})`);
}
