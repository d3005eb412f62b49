import { expect } from 'chai';
import { parseCli, usageError } from '../support/cli-parse.js';

const parse = parseCli;

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
