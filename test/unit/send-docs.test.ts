// docs/send.md is real: its JSON-lines batches parse, its mistaken one fails with exactly the
// messages shown, its plain-object example validates, and it shows examples/send-hello.ts as
// the file is (the integration test runs that file against a core).
import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from '../../apps/paths.js';
import { parseSendLines } from '../../apps/send/jsonl.js';
import { batchFromObject } from '../../apps/send/validate.js';

const doc = readFileSync(join(repoRoot(), 'docs', 'send.md'), 'utf8');
const good = [...doc.matchAll(/```jsonl\n([\s\S]*?)```/g)].map((m) => m[1]!);

describe('docs/send.md examples', () => {
  it('has JSON-lines examples', () => {
    expect(good.length).to.be.at.least(3);
  });

  good.forEach((block, i) => {
    it(`JSON-lines example ${i + 1} is a valid batch`, () => {
      const { batch } = parseSendLines(block, `example ${i + 1}`);
      expect(batch.length).to.equal(block.trim().split('\n').filter((l) => l.includes('"to"')).length);
    });
  });

  it('the mistaken file fails with the messages shown', () => {
    const bad = /```jsonl invalid\n([\s\S]*?)```\n\n```text\n([\s\S]*?)```/.exec(doc);
    expect(bad, 'the invalid example and its output').to.not.equal(null);
    expect(() => parseSendLines(bad![1]!, 'f.jsonl')).to.throw(bad![2]!.trimEnd());
  });

  it('the plain-object example validates', () => {
    const m = /await mf\.send\((\{[\s\S]*?\})\);/.exec(doc);
    expect(m).to.not.equal(null);
    // the block is a JavaScript object literal of plain data
    const obj = Function(`return (${m![1]});`)() as unknown;
    expect(batchFromObject(obj).length).to.equal(2);
  });

  it('shows examples/send-hello.ts exactly as it is', () => {
    const shown = /```ts file=examples\/send-hello\.ts\n([\s\S]*?)```/.exec(doc);
    expect(shown, 'the code block is missing').to.not.equal(null);
    expect(shown![1]).to.equal(readFileSync(join(repoRoot(), 'examples', 'send-hello.ts'), 'utf8'));
  });
});
