// `manifold send` and `manifold lateness` on the command line, and the JSON-lines form of a
// batch (apps/send/jsonl.ts): destinations gathered, payload encodings, every problem named by
// line and field, core reasons told as lines.
import { expect } from 'chai';
import { parseSendLines } from '../../apps/send/jsonl.js';
import { SendValidationError } from '../../apps/send/validate.js';
import { withLines } from '../../apps/cli/impl/send.js';
import { reportText } from '../../apps/send/format.js';
import { SEND_DROP_REASONS } from '../../ffi/send-abi.js';
import type { SendReport } from '../../ffi/send-report.js';
import { parseCli, usageError } from '../support/cli-parse.js';

function problems(text: string): string[] {
  try {
    parseSendLines(text, 'f.jsonl', 0n);
  } catch (e) {
    expect(e).to.be.instanceOf(SendValidationError);
    return (e as SendValidationError).problems;
  }
  throw new Error('accepted');
}

describe('manifold send (command line)', () => {
  it('parses send FILE, send -, --json, --timeout, and lateness', () => {
    expect(parseCli(['send', 'b.jsonl', '--name', 'x']).argv).to.deep.include({ file: 'b.jsonl', name: 'x', json: false, timeout: 60 });
    expect(parseCli(['send', '-', '--json', '--timeout', '5']).argv).to.deep.include({ file: '-', json: true, timeout: 5 });
    expect(parseCli(['lateness', '--json']).command).to.equal('lateness');
    expect(usageError(['send'])).to.match(/Not enough non-option arguments|file/);
    expect(usageError(['send', 'b.jsonl', '--timeout', '0'])).to.match(/--timeout must be a number of seconds above 0/);
  });

  it('reads settings, then messages with inline destinations gathered into one table', () => {
    const { batch, lineOf } = parseSendLines([
      '{"timing":"delay"}',
      '{"to":"198.18.1.2:5000","data":"hello","time":0}',
      '',
      '{"to":"198.18.1.2:5001","hex":"00ff10","time":"1ms"}',
      '{"to":"198.18.1.2:5000","base64":"aGk=","time":"2ms"}',
      '{"to":"198.18.1.2:5000","data":"x","time":"3ms","srcIp":"198.18.1.1"}',
    ].join('\n'), 'f', 0n);
    expect(batch.timing).to.equal('delay');
    expect(batch.length).to.equal(4);
    expect(batch.destinations, 'same to, other srcIp: another destination').to.equal(3);
    expect(lineOf).to.deep.equal([2, 4, 5, 6]);
    const c = batch.chunks()[0]!.input;
    expect(c.includes(Buffer.from([0, 0xff, 0x10]))).to.equal(true);
    expect(c.includes(Buffer.from('hi'))).to.equal(true);
  });

  it('names the line and the field of every problem', () => {
    const p = problems([
      '{"timing":"at","colour":1}',
      '{"to":"198.18.1.2","data":"x","time":"+1ms"}',
      '{"to":"198.18.1.2:5000","hex":"zz","time":5}',
      '{"to":"198.18.1.2:5000","data":"x","base64":"eA=="}',
      'not json',
      '{"data":"x"}',
      '{"to":"198.18.1.2:70000","data":"x","time":1,"mac":"nope"}',
    ].join('\n'));
    expect(p).to.deep.equal([
      'line 1: colour: unknown field; known fields are timing, start, end, interval, bestEffort, frames',
      'line 2: to: "198.18.1.2" is not a destination; write it as "198.18.1.2:5000"',
      'line 3: hex: "zz" is not hex; write bytes as pairs of 0-9a-f, e.g. "00ff10"',
      'line 4: data, base64: give exactly one of "data" (text), "hex" or "base64"',
      `line 4: time: timing 'at' needs a time on every message (e.g. "+5ms")`,
      p[5]!,
      'line 6: to: a message needs its destination, e.g. "to": "198.18.1.2:5000" (settings go on the first line only)',
      'line 7: to: must be a UDP port 1..65535, not 70000',
      'line 7: mac: "nope" is not a MAC address; write it as 02:00:00:00:00:01',
    ]);
    expect(p[5]).to.match(/^line 5: not JSON/);
    expect(problems('\n\n')).to.deep.equal(['f.jsonl holds no message; write one per line, e.g. {"to": "198.18.1.2:5000", "data": "hello"}']);
    expect(problems('{"frames":true,"interval":"10ms"}\n{"to":"198.18.1.2:1","data":"a","frame":{"id":1,"type":"I"}}\n{"to":"198.18.1.2:1","data":"b","frame":{"id":1,"type":"P"}}'))
      .to.deep.equal(['line 3: frame 1 is type P here but began as I; a frame has one type']);
  });

  it("tells the core's message indexes as file lines, and prints a report", () => {
    expect(withLines('message 1: dest 9 is past the 4 destinations', [2, 4, 5])).to.equal('line 4 (message 1): dest 9 is past the 4 destinations');
    expect(withLines('message 7: x', [2])).to.equal('message 7: x');
    const dropped = Object.fromEntries(SEND_DROP_REASONS.map((r) => [r, 0])) as SendReport['dropped'];
    dropped.frame = 4;
    const text = reportText({ batch: 3, messages: 10, sent: 6, late: 1, dropped, firstTxNs: 1000n, lastTxNs: 2_001_000n,
      lateness: { p50Ns: 0, p99Ns: 1500, maxNs: 2500 }, skipped: 0, framesDropped: 1,
      frames: [{ id: 1, type: 'I', outcome: 'sent', messages: 6 }, { id: 2, type: 'B', outcome: 'dropped', messages: 4 }] });
    expect(text).to.equal([
      'batch 3: 10 messages, sent 6, late 1, dropped 4 (frame 4)',
      'departures over 2.0 ms; lateness p50 0 ns, p99 1.5 us, max 2.5 us',
      'frames: 2, dropped 1',
      '  sent: 1I',
      '  dropped: 2B',
    ].join('\n'));
  });
});
