// The configuration examples in docs/configuration.md and README.md are real: each must pass the
// validator, so the docs cannot drift from the schema.
import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { validateConfig } from '../../apps/appliance/config.js';
import { repoRoot } from '../../apps/paths.js';

function jsonBlocks(file: string): string[] {
  const text = readFileSync(join(repoRoot(), file), 'utf8');
  return [...text.matchAll(/```json\n([\s\S]*?)```/g)].map((m) => m[1]);
}

function heredocConfigs(file: string): string[] {
  const text = readFileSync(join(repoRoot(), file), 'utf8');
  return [...text.matchAll(/<<'EOF'\n([\s\S]*?)\nEOF/g)].map((m) => m[1]);
}

describe('documentation examples', () => {
  const blocks = jsonBlocks('docs/configuration.md');

  it('docs/configuration.md has examples', () => {
    expect(blocks.length).to.be.at.least(3);
  });

  blocks.forEach((block, i) => {
    it(`docs/configuration.md example ${i + 1} is a valid configuration`, () => {
      expect(() => validateConfig(JSON.parse(block))).not.to.throw();
    });
  });

  it('the README quick-start configuration is valid', () => {
    const configs = heredocConfigs('README.md');
    expect(configs).to.have.length.at.least(1);
    for (const c of configs) expect(() => validateConfig(JSON.parse(c))).not.to.throw();
  });
});

describe('documentation code', () => {
  it('docs/api.md shows examples/port-report.ts exactly as it is', () => {
    const doc = readFileSync(join(repoRoot(), 'docs', 'api.md'), 'utf8');
    const shown = /```ts file=examples\/port-report\.ts\n([\s\S]*?)```/.exec(doc);
    expect(shown, 'the code block is missing').to.not.equal(null);
    expect(shown![1]).to.equal(readFileSync(join(repoRoot(), 'examples', 'port-report.ts'), 'utf8'));
  });
});
