#!/usr/bin/env node
// The `manifold` command: a thin launcher for the compiled CLI in dist/.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const main = new URL('../dist/apps/cli/main.js', import.meta.url);
if (!existsSync(fileURLToPath(main))) {
  console.error('manifold: the CLI is not built (no dist/apps/cli/main.js); run `npm run build`');
  process.exit(1);
}
await import(main.href);
