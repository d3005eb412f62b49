// Attaching from a CLI command: the client's errors already say what is wrong and what to do, so
// they become one-line CliErrors; the handle is always closed, also when the command fails.
import { Manifold } from '../../../ffi/index.js';
import { CliError } from '../options.js';

export function attach(name: string): Manifold {
  try {
    return Manifold.attach(name);
  } catch (err) {
    throw new CliError((err as Error).message);
  }
}

export async function withClient<T>(name: string, fn: (m: Manifold) => Promise<T>): Promise<T> {
  const m = attach(name);
  try {
    return await fn(m);
  } finally {
    m.close();
  }
}
