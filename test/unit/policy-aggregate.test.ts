// The aggregate action: its JSON checks, wire form, one-line grammar and binary encoding, the
// receivers' decoder, and the stats helpers (apps/policy/aggregate.ts, decoders.ts).
import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from '../../apps/paths.js';
import {
  AGGREGATE_FLUSH_REASONS,
  FramedDecoder,
  SplitDecodeError,
  aggregateFromWire,
  aggregateStatsText,
  aggregateWire,
  decodeAggregated,
  encodeFramed,
  holdQuantileUs,
  policyProblems,
  type AggregateAction,
  type Policy,
} from '../../apps/policy/index.js';
import { parsePolicyCreate, policyCreateText } from '../../apps/shell/policy-grammar.js';
import { decodePolicy, encodePolicy } from '../../ffi/policies.js';
import { cEnum } from '../support/c-enum.js';

const redirect = { type: 'redirect', destination: { port: 1, ip: '198.18.1.2', udpPort: 5000, mac: '02:00:00:00:00:02' } };
const policy = (agg: Record<string, unknown>, rest: unknown[] = [redirect], proto: unknown = 'udp'): unknown => ({
  id: 'a', match: { protocol: proto, dst: '198.18.0.1', dstPort: 4000 }, actions: [{ type: 'aggregate', ...agg }, ...rest],
});

describe('aggregate: validation and wire form', () => {
  it('accepts the documented forms, alone or before redirect and replicate', () => {
    expect(policyProblems(policy({ maxBytes: 1400, maxDelayUs: 500 }))).to.deep.equal([]);
    expect(policyProblems(policy({ maxBytes: 16, maxDelayUs: 1, prefix: 'u32', oversize: 'drop' }, []))).to.deep.equal([]);
    expect(policyProblems(policy({ maxBytes: 65507, maxDelayUs: 10_000_000, oversize: 'send' }, [{ type: 'replicate', destinations: [] }]))).to.deep.equal([]);
  });

  it('names every wrong field and what would be right', () => {
    const p = policyProblems(policy({ maxBytes: 15, maxDelayUs: 0, prefix: 'u8', oversize: 'cut', extra: 1 }, [], 'tcp')).join('\n');
    expect(p).to.match(/actions\[0\]\.maxBytes: must be an integer 16\.\.65507/)
      .and.match(/actions\[0\]\.maxDelayUs: must be an integer 1\.\.10000000/)
      .and.match(/actions\[0\]\.prefix: must be "u16" or "u32", not "u8"/)
      .and.match(/actions\[0\]\.oversize: must be "send" .* or "drop", not "cut"/)
      .and.match(/actions\[0\]\.extra: unknown field/)
      .and.match(/match\.protocol: actions\[0\] \(aggregate\) packs UDP messages/);
    expect(policyProblems(policy({ maxBytes: 65508, maxDelayUs: 10_000_001 })).join()).to.match(/maxBytes.*not 65508/).and.match(/maxDelayUs.*not 10000001/);
    expect(policyProblems(policy({ maxBytes: 1400 })).join()).to.match(/maxDelayUs: must be an integer .* not undefined/);
    const twice = policyProblems(policy({ maxBytes: 1400, maxDelayUs: 5 }, [{ type: 'aggregate', maxBytes: 1400, maxDelayUs: 5 }, redirect]));
    expect(twice).to.deep.equal(['actions[1]: a chain takes one aggregate, and actions[0] is one already']);
  });

  it('round-trips through flags, param and param32, with the bits of the C header', () => {
    const c = cEnum('mf_op_policy');
    const forms: AggregateAction[] = [
      { type: 'aggregate', maxBytes: 1400, maxDelayUs: 500, prefix: 'u16', oversize: 'send' },
      { type: 'aggregate', maxBytes: 65507, maxDelayUs: 10_000_000, prefix: 'u32', oversize: 'drop' },
    ];
    for (const f of forms) {
      const w = aggregateWire(f);
      expect(aggregateFromWire(w.flags, w.param, w.param32)).to.deep.equal(f);
    }
    expect(aggregateWire(forms[1]!)).to.deep.equal({ flags: c.get('MF_AGG_PREFIX32')! | c.get('MF_AGG_OVERSIZE_DROP')!, param: 65507, param32: 10_000_000 });
    expect(c.get('MF_ACTION_AGGREGATE')).to.equal(6);
    expect([...cEnum('mf_agg_flush').keys()]).to.deep.equal([...AGGREGATE_FLUSH_REASONS]);
  });

  it('encodes maxBytes in param and maxDelayUs in param32 of its action, and decodes them back', () => {
    const p: Policy = { id: 'agg', match: { protocol: 'udp', dst: '198.18.0.1', dstPort: 4000 },
      actions: [{ type: 'aggregate', maxBytes: 1200, maxDelayUs: 70000, prefix: 'u32', oversize: 'drop' }, redirect as Policy['actions'][number]] };
    const ports = [{ name: 'p0', id: 0 }, { name: 'p1', id: 1 }];
    const e = encodePolicy(p, ports);
    // action 0 at offset 64, 16 bytes: type, flags, param (u16), n_dests, param32
    expect([e.first.readUInt8(64), e.first.readUInt8(65), e.first.readUInt16LE(66), e.first.readUInt32LE(68), e.first.readUInt32LE(72)])
      .to.deep.equal([6, 0x03, 1200, 0, 70000]);
    expect(e.first.readUInt8(80)).to.equal(1); // then redirect
    const back = decodePolicy(e.first.subarray(0, 192), e.first.subarray(192), ports);
    expect(back.actions[0]).to.deep.equal(p.actions[0]);
  });
});

describe('aggregate: shell grammar', () => {
  it('parses `aggregate max-bytes N max-delay-us N [u16|u32] [send|drop]` and prints it back', () => {
    const line = 'policy create agg pattern ipv4 dst is 198.18.0.1 / udp dst is 4000 / end actions aggregate max-bytes 1400 max-delay-us 500 u32 drop / redirect to p1 198.18.1.2 5000 / end';
    const p = parsePolicyCreate(line);
    expect(p.actions[0]).to.deep.equal({ type: 'aggregate', maxBytes: 1400, maxDelayUs: 500, prefix: 'u32', oversize: 'drop' });
    expect(policyCreateText(p)).to.equal(line);
    const alone = parsePolicyCreate('policy create a2 pattern udp / end actions aggregate max-bytes 64 max-delay-us 1 / end');
    expect(alone.actions).to.deep.equal([{ type: 'aggregate', maxBytes: 64, maxDelayUs: 1 }]);
  });

  it('names the bad token', () => {
    expect(() => parsePolicyCreate('policy create a pattern udp / end actions aggregate max-bytes 8 max-delay-us 5 / end'))
      .to.throw(/bad token '8' .*<bytes> must be the largest UDP payload of a packed datagram, 16\.\.65507/);
    expect(() => parsePolicyCreate('policy create a pattern udp / end actions aggregate max-bytes 100 max-delay-us 0 / end'))
      .to.throw(/bad token '0' .*<us> must be .* 1\.\.10000000 microseconds/);
    expect(() => parsePolicyCreate('policy create a pattern udp / end actions aggregate max-delay-us 5 / end'))
      .to.throw(/bad token 'max-delay-us' .*expected max-bytes/);
    expect(() => parsePolicyCreate('policy create a pattern udp / end actions aggregate max-bytes 100 max-delay-us 5'))
      .to.throw(/incomplete: expected u16\|u32\|send\|drop\|\//);
  });
});

describe('aggregate: decoder and stats', () => {
  it('decodeAggregated gives back the packed messages in order, and FramedDecoder reads the same form', () => {
    const msgs = [Buffer.alloc(0), Buffer.from('hello'), Buffer.alloc(300, 9), Buffer.from([1, 2, 3])];
    for (const prefix of ['u16', 'u32'] as const) {
      const d = encodeFramed(msgs, prefix);
      expect(decodeAggregated(d, prefix).map((b) => b.toString('hex'))).to.deep.equal(msgs.map((b) => b.toString('hex')));
      expect(new FramedDecoder(prefix).push(d).map((b) => b.toString('hex'))).to.deep.equal(msgs.map((b) => b.toString('hex')));
    }
    expect(decodeAggregated(Buffer.alloc(0))).to.deep.equal([]);
    expect(() => decodeAggregated(Buffer.from([0, 5, 1, 2]))).to.throw(SplitDecodeError, /offset 0 says 5 bytes but 2 remain/);
    expect(() => decodeAggregated(Buffer.from([0, 1, 7, 0]))).to.throw(SplitDecodeError, /1 bytes at offset 3 are too few for a u16/);
  });

  it('holdQuantileUs reads the log2 histogram; aggregateStatsText says it in one line', () => {
    const hist = new Array<number>(24).fill(0);
    expect(holdQuantileUs(hist, 0.99)).to.equal(0);
    hist[0] = 50; hist[9] = 49; hist[11] = 1; // < 1 us, [256, 512) us, [1024, 2048) us
    expect(holdQuantileUs(hist, 0.5)).to.equal(1);
    expect(holdQuantileUs(hist, 0.99)).to.equal(512);
    expect(holdQuantileUs(hist, 1)).to.equal(2048);
    hist[23] = 100;
    expect(holdQuantileUs(hist, 0.99)).to.equal(Infinity);
    const text = aggregateStatsText({ messages: 100, packed: 98, datagrams: 7, oversize: 2, holdMaxNs: 1500000,
      flushes: { full: 5, timer: 1, update: 0, evict: 0, stop: 0 }, holdHistogramUs: hist });
    expect(text).to.equal('aggregate: 100 messages in, 98 out in 7 datagrams (flushed: full 5, timer 1), oversize 2, held max 1500.0 us, p99 < inf us');
  });
});

describe('aggregate: the examples of docs/policies.md', () => {
  const doc = readFileSync(join(repoRoot(), 'docs', 'policies.md'), 'utf8');
  const section = doc.slice(doc.indexOf('## Aggregate'), doc.indexOf('## From TypeScript'));

  it('the one-line grammar example makes the JSON example before it', () => {
    const json = JSON.parse(/```json\n([\s\S]*?)```/.exec(section)![1]!) as Policy;
    const line = /```text\n(policy create [^\n]*)\n```/.exec(section)![1]!;
    expect(parsePolicyCreate(line)).to.deep.equal(json);
    expect(policyCreateText(json)).to.equal(line);
  });

  it('the payload shown decodes to the messages it names', () => {
    const m = /the payload `([0-9a-f ]+)` is three messages, `abc`, an\s+empty one and `hi`/.exec(section);
    expect(m, 'the decoding example').to.not.equal(null);
    const got = decodeAggregated(Buffer.from(m![1]!.replace(/ /g, ''), 'hex'), 'u16');
    expect(got.map((b) => b.toString())).to.deep.equal(['abc', '', 'hi']);
  });

  it('the counters line is what aggregateStatsText prints', () => {
    const line = /```\n(aggregate: [^\n]*)\n```/.exec(section)![1]!;
    const hist = new Array<number>(24).fill(0);
    hist[15] = 216; // [16384, 32768) us
    expect(aggregateStatsText({ messages: 3000, packed: 3000, datagrams: 216, oversize: 0, holdMaxNs: 20_431_000,
      flushes: { full: 164, timer: 52, update: 0, evict: 0, stop: 0 }, holdHistogramUs: hist })).to.equal(line);
  });
});
