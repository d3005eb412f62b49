// `manifold policy`: argument parsing (with the real command module) and the file reader, which
// reports every problem of every policy in a file at once.
import { expect } from 'chai';
import { parseCli, usageError } from '../support/cli-parse.js';
import { parsePolicies } from '../../apps/cli/impl/policy.js';
import { CliError } from '../../apps/cli/options.js';
import { clientLifetimeProblem } from '../../apps/policy/index.js';
import { ConfigError, validateConfig } from '../../apps/appliance/config.js';
import { manifold } from '../support/cli.js';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

function problemsOfConfig(value: unknown): string[] {
  try {
    validateConfig(value);
  } catch (err) {
    if (err instanceof ConfigError) return err.problems;
    throw err;
  }
  return [];
}

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
    const one = { id: 'a', actions: [{ type: 'drop' }] };
    expect(parsePolicies(JSON.stringify(one), 'f')).to.deep.equal([{ ...one, lifetime: 'persistent' }]);
    expect(parsePolicies(JSON.stringify([one, { ...one, id: 'b', lifetime: 'persistent' }]), 'f').map((p) => p.id)).to.deep.equal(['a', 'b']);
  });

  it('refuses lifetime client, saying why and what to use, in the words the appliance uses', () => {
    const one = { id: 'a', lifetime: 'client', actions: [{ type: 'drop' }] };
    const expected = 'lifetime: a client policy goes when its client detaches, and manifold policy ' +
      'detaches as soon as it is done, so the policy would be gone at once; a policy added here is ' +
      'persistent (remove it with manifold policy del), or add it from a program that stays attached ' +
      '(client.policies.add); use "persistent" or leave it out';
    expect(() => parsePolicies(JSON.stringify(one), 'c.json')).to.throw(CliError, `c.json is not valid:\n  - ${expected}`);
    expect(() => parsePolicies(JSON.stringify([{ ...one, lifetime: 'persistent' }, one]), 'c.json'))
      .to.throw(CliError, `  - [1].${expected}`);
    // the shared ending, as the appliance configuration says it
    expect(problemsOfConfig({ ports: [{ name: 'p0', dev: 'net_null0' }], policies: [one] })).to.deep.equal(
      [clientLifetimeProblem('policies[0].', 'a configured policy belongs to the appliance, not to a client')]);
  });

  it('manifold policy add FILE with lifetime client exits 1 with the reason, before attaching', function () {
    this.timeout(30_000); // a node process of its own, on a busy machine
    const dir = mkdtempSync(join(tmpdir(), 'mf-policy-cli-'));
    try {
      const file = join(dir, 'client.json');
      writeFileSync(file, JSON.stringify({ id: 'mine', lifetime: 'client', actions: [{ type: 'drop' }] }));
      // no core named this runs: the refusal comes from the file, not from a failed attach
      const r = manifold(['policy', 'add', file, '--name', `nocore${process.pid}`]);
      expect(r.code).to.equal(1);
      expect(r.stderr).to.include('lifetime: a client policy goes when its client detaches');
      expect(r.stderr).to.include('use "persistent" or leave it out');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
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
