// Running manifold-core for a benchmark: an appliance from a configuration, a client attached to
// it, and both taken down whatever happens in between.
import { validateConfig } from '../apps/appliance/config.js';
import { Appliance } from '../apps/appliance/appliance.js';
import { Manifold } from '../ffi/index.js';
import type { BenchContext } from './harness.js';

/** fn gets the client, and the core's process id (for bench/thread-cpu.ts). */
export async function withCore<T>(ctx: BenchContext, config: object,
  fn: (m: Manifold, pid: number | undefined) => Promise<T>): Promise<T> {
  const appliance = new Appliance(validateConfig(config), { onCoreLine: (line) => ctx.log(`core: ${line}`) });
  await appliance.start();
  let m: Manifold | undefined;
  try {
    m = Manifold.attach(appliance.name);
    return await fn(m, appliance.pid);
  } finally {
    m?.close();
    await appliance.stop();
  }
}
