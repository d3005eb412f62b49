import { expect } from 'chai';
import type { CommandModule } from 'yargs';
import { buildCli, UsageError } from '../../apps/cli/cli.js';
import { commands } from '../../apps/cli/commands/index.js';

// The real command modules with their handlers replaced by a recorder, so parsing is tested
// without starting or attaching to anything.
function parse(args: string[]): { command: string; argv: Record<string, unknown> } {
  let seen: { command: string; argv: Record<string, unknown> } | undefined;
  const recorded = commands.map((m) => ({
    ...m,
    handler: (argv: Record<string, unknown>) => { seen = { command: String(m.command), argv }; },
  })) as unknown as CommandModule[];
  buildCli(recorded).exitProcess(false).parseSync(args);
  if (!seen) throw new Error('no handler ran');
  return seen;
}

function usageError(args: string[]): string {
  try {
    parse(args);
  } catch (err) {
    expect(err).to.be.instanceOf(UsageError);
    return (err as Error).message;
  }
  throw new Error(`expected a usage error for ${args.join(' ')}`);
}

describe('manifold command line', () => {
  it('start takes --config, --duration and an optional --name', () => {
    const { command, argv } = parse(['start', '--config', 'lab.json', '--duration', '10']);
    expect(command).to.equal('start');
    expect(argv.config).to.equal('lab.json');
    expect(argv.duration).to.equal(10);
    expect(argv.name).to.equal(undefined);
  });

  it('start without --config names the missing option', () => {
    expect(usageError(['start'])).to.match(/config/);
  });

  it('status, stats and stop default --name to "default" and take --json', () => {
    expect(parse(['status']).argv.name).to.equal('default');
    expect(parse(['status', '--json', '--name', 'b']).argv).to.include({ json: true, name: 'b' });
    expect(parse(['stats', '-n', 'lab', '--period', '0.5', '--count', '3']).argv)
      .to.include({ name: 'lab', period: 0.5, count: 3, json: false });
    expect(parse(['stop', '--name', 'x']).argv).to.include({ name: 'x', timeout: 15 });
  });

  it('refuses bad values with the rule', () => {
    expect(usageError(['stats', '--period', '0'])).to.match(/--period must be a number of seconds above 0/);
    expect(usageError(['stats', '--period', '1', '--count', '1.5'])).to.match(/--count must be a whole number/);
  });

  it('refuses unknown commands and options, naming them', () => {
    expect(usageError(['strat'])).to.match(/strat/);
    expect(usageError(['status', '--jsno'])).to.match(/jsno/);
    expect(usageError([])).to.match(/name a command/);
  });
});
