// `manifold policy`: argument parsing (with the real command module) and the file reader, which
// reports every problem of every policy in a file at once.
import { expect } from 'chai';
import { parseCli, usageError } from '../support/cli-parse.js';
import { parsePolicies } from '../../apps/cli/impl/policy.js';
import { CliError } from '../../apps/cli/options.js';

const parse = (args: string[]): Record<string, unknown> => parseCli(args).argv;

describe('manifold policy (command line)', () => {
  it('parses add FILE, add -, update, del ID, list --json, show ID --json', () => {
    expect(parse(['policy', 'add', 'p.json'])).to.deep.include({ action: 'add', target: 'p.json', json: false });
    expect(parse(['policy', 'add', '-', '--name', 'lab'])).to.deep.include({ action: 'add', target: '-', name: 'lab' });
    expect(parse(['policy', 'update', 'p.json'])).to.deep.include({ action: 'update', target: 'p.json' });
    expect(parse(['policy', 'del', 'fan'])).to.deep.include({ action: 'del', target: 'fan' });
    expect(parse(['policy', 'list', '--json'])).to.deep.include({ action: 'list', json: true });
    expect(parse(['policy', 'show', 'fan', '--json'])).to.deep.include({ action: 'show', target: 'fan', json: true });
  });

  it('says what is missing or unknown', () => {
    expect(usageError(['policy', 'add'])).to.match(/policy add needs FILE or -/);
    expect(usageError(['policy', 'show'])).to.match(/policy show needs a policy ID/);
    expect(usageError(['policy', 'list', 'x'])).to.match(/policy list takes no argument/);
    expect(usageError(['policy', 'frob'])).to.match(/Invalid values|choices/i);
  });

  it('reads one policy or an array, and makes them persistent', () => {
    const one = { id: 'a', lifetime: 'client', actions: [{ type: 'drop' }] };
    expect(parsePolicies(JSON.stringify(one), 'f')).to.deep.equal([{ ...one, lifetime: 'persistent' }]);
    expect(parsePolicies(JSON.stringify([one, { ...one, id: 'b' }]), 'f').map((p) => p.id)).to.deep.equal(['a', 'b']);
  });

  it('reports every problem of every policy in the file, by index and field', () => {
    try {
      parsePolicies(JSON.stringify([{ id: 'ok', actions: [{ type: 'drop' }] }, { id: 'x', actions: [{ type: 'fly' }] }, { id: '' }]), 'set.json');
      throw new Error('accepted');
    } catch (err) {
      expect(err).to.be.instanceOf(CliError);
      const m = (err as Error).message;
      expect(m).to.match(/^set\.json is not valid:/);
      expect(m).to.include('[1].actions[0].type: "fly" is not an action; actions are redirect, replicate, deliver, drop, split, aggregate');
      expect(m).to.include('[2].id: must be 1-31 characters');
      expect(m).to.include('[2].actions: must be a list of 1..8 actions');
    }
    expect(() => parsePolicies('{', 'bad.json')).to.throw(CliError, /^bad\.json is not JSON/);
    expect(() => parsePolicies('[]', 'e.json')).to.throw(CliError, /holds no policy/);
  });
});
