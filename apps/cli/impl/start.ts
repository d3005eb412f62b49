// `manifold start`: the appliance in the foreground until Ctrl-C, SIGTERM, --duration, or the
// core's own exit (e.g. after `manifold stop`). SIGHUP (what `manifold reload` sends) re-reads
// the configuration file and applies it as a diff (apps/appliance/reload.ts).
import { readFileSync } from 'node:fs';
import { parseConfig } from '../../appliance/config.js';
import { Appliance } from '../../appliance/appliance.js';
import { removeRunFiles, writePidFile, writeReloadStatus } from '../../appliance/pidfile.js';
import { CliError } from '../options.js';
import type { StartArgs } from '../commands/start.js';
import { untilStopped } from './until-stopped.js';

function readConfig(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (err) {
    throw new CliError(`cannot read the configuration ${file}: ${(err as Error).message}`);
  }
}

export async function start(args: StartArgs): Promise<void> {
  const config = parseConfig(readConfig(args.config), args.config);
  const appliance = new Appliance(config, { name: args.name });
  await appliance.start();
  let seq = 0;
  let reloading = Promise.resolve();
  const onHangup = (): void => {
    // One reload at a time, in the order the signals came.
    reloading = reloading.then(async () => {
      seq++;
      let ok = true;
      let message: string;
      try {
        const next = parseConfig(readConfig(args.config), args.config);
        const r = await appliance.reload(next);
        message = r.applied.length > 0 ? `reload applied:\n${r.applied.map((l) => `  ${l}`).join('\n')}` : 'reload: nothing changed';
      } catch (err) {
        ok = false;
        message = (err as Error).message;
      }
      console.log(message);
      writeReloadStatus(appliance.name, { seq, ok, message });
    });
  };
  process.on('SIGHUP', onHangup); // before the pid file: SIGHUP's default would kill us
  writePidFile(appliance.name);
  try {
    console.log('ready');
    const why = await untilStopped(appliance.exited, args.duration);
    process.off('SIGHUP', onHangup);
    await reloading;
    const code = await appliance.stop();
    if (why === 'exited' && code !== 0) throw new CliError(`manifold-core exited with code ${code}`, code);
  } finally {
    process.off('SIGHUP', onHangup);
    removeRunFiles(appliance.name);
  }
}
