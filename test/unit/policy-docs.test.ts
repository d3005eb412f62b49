// The policy examples in docs/policies.md are real: each must pass the validator, so the page
// cannot drift from the schema.
import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from '../../apps/paths.js';
import { policyProblems } from '../../apps/policy/index.js';

const text = readFileSync(join(repoRoot(), 'docs', 'policies.md'), 'utf8');
const blocks = [...text.matchAll(/```json\n([\s\S]*?)```/g)].map((m) => m[1]!);

describe('docs/policies.md examples', () => {
  it('has examples', () => {
    expect(blocks.length).to.be.at.least(4);
  });

  blocks.forEach((block, i) => {
    it(`example ${i + 1} is a valid policy`, () => {
      expect(policyProblems(JSON.parse(block))).to.deep.equal([]);
    });
  });
});
