// Finds and loads libmanifold_ctl.so: $MANIFOLD_LIB, then the meson build folder of this
// checkout, else an error that names every path tried.
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import koffi, { type LibraryHandle } from 'koffi';

export const LIBRARY_FILE = 'libmanifold_ctl.so';

/** The directory holding manifold's package.json, found by walking up from this module
 * (ffi/ when run from source, dist/ffi/ once compiled). */
export function packageRoot(): string | undefined {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    if (existsSync(join(dir, 'package.json'))) return dir;
    const up = dirname(dir);
    if (up === dir) return undefined;
    dir = up;
  }
}

/** Where the library is looked for, in order. */
export function libraryCandidates(env: NodeJS.ProcessEnv = process.env): string[] {
  const out: string[] = [];
  if (env.MANIFOLD_LIB) out.push(resolve(env.MANIFOLD_LIB));
  const root = packageRoot();
  if (root) out.push(join(root, 'build', 'ffi', 'ctl', LIBRARY_FILE));
  return out;
}

/** The first candidate that exists; throws an Error naming every path tried. */
export function findLibrary(env: NodeJS.ProcessEnv = process.env): string {
  const tried = libraryCandidates(env);
  const found = tried.find((p) => existsSync(p));
  if (found) return found;
  const where = tried.length ? tried.map((p) => `  ${p}`).join('\n') : '  (no candidate)';
  const root = packageRoot();
  throw new Error(
    `cannot find ${LIBRARY_FILE}; tried:\n${where}\n` +
      `${env.MANIFOLD_LIB ? '' : '($MANIFOLD_LIB is not set) '}` +
      `run \`npm run build\`${root ? ` in ${root}` : ''}, or set MANIFOLD_LIB to the library's path`,
  );
}

export interface LoadedLibrary {
  readonly path: string;
  readonly lib: LibraryHandle;
}

let loaded: LoadedLibrary | undefined;

/** Loads the library once per process. */
export function loadLibrary(): LoadedLibrary {
  if (loaded) return loaded;
  const path = findLibrary();
  try {
    loaded = { path, lib: koffi.load(path) };
  } catch (err) {
    const msg = err instanceof Error ? err.message : String(err);
    throw new Error(`cannot load ${path}: ${msg}; rebuild it with \`npm run build\``);
  }
  return loaded;
}
