// Where the pieces of a checkout are, found from this module's own location so that the CLI
// works from any working directory.
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The directory holding manifold's package.json. */
export function repoRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 8; i++) {
    if (existsSync(join(dir, 'package.json')) && existsSync(join(dir, 'meson.build'))) return dir;
    dir = dirname(dir);
  }
  throw new Error(`cannot find the manifold checkout above ${fileURLToPath(import.meta.url)}`);
}

/** The manifold-core binary: $MANIFOLD_CORE, else the meson build's. */
export function coreBinary(): string {
  const fromEnv = process.env.MANIFOLD_CORE;
  if (fromEnv) return fromEnv;
  const built = join(repoRoot(), 'build', 'core', 'manifold-core');
  if (!existsSync(built)) {
    throw new Error(`manifold-core is not built (looked for $MANIFOLD_CORE, then ${built}); ` +
      'run `npm run build`');
  }
  return built;
}
