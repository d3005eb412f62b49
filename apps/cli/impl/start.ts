// `manifold start`: the appliance in the foreground until Ctrl-C, SIGTERM, --duration, or the
// core's own exit (e.g. after `manifold stop`).
import { readFileSync } from 'node:fs';
import { parseConfig } from '../../appliance/config.js';
import { Appliance } from '../../appliance/appliance.js';
import { CliError } from '../options.js';
import type { StartArgs } from '../commands/start.js';
import { untilStopped } from './until-stopped.js';

export async function start(args: StartArgs): Promise<void> {
  let text: string;
  try {
    text = readFileSync(args.config, 'utf8');
  } catch (err) {
    throw new CliError(`cannot read the configuration ${args.config}: ${(err as Error).message}`);
  }
  const config = parseConfig(text, args.config);
  const appliance = new Appliance(config, { name: args.name });
  await appliance.start();
  console.log('ready');
  const why = await untilStopped(appliance.exited, args.duration);
  const code = await appliance.stop();
  if (why === 'exited' && code !== 0) throw new CliError(`manifold-core exited with code ${code}`, code);
}
