// The plain-object form of a send (apps/send/validate.ts): every problem at once, each naming
// its field and what would be right; times as ns, durations, or "+5ms" from now.
import { expect } from 'chai';
import { SendValidationError, batchFromObject, parseTime } from '../../apps/send/validate.js';

function problems(obj: unknown): string[] {
  try {
    batchFromObject(obj, 1_000_000_000n);
  } catch (e) {
    expect(e).to.be.instanceOf(SendValidationError);
    return (e as SendValidationError).problems;
  }
  throw new Error('accepted');
}

describe('send batch validation (plain objects)', () => {
  it('accepts a good batch and builds it', () => {
    const b = batchFromObject({
      timing: 'delay',
      destinations: [{ ip: '198.18.1.2', port: 5000 }, { ip: '198.18.2.2', port: 5001, mac: '02:00:00:00:00:01' }],
      messages: [{ dest: 0, payload: 'a', time: 0 }, { dest: 1, payload: new Uint8Array([1, 2]), time: '1ms' }],
    }, 0n);
    expect(b.timing).to.equal('delay');
    expect([b.length, b.destinations]).to.deep.equal([2, 2]);
  });

  it('names every bad field at once', () => {
    const p = problems({
      timing: 'window',
      colour: 'red',
      destinations: [{ ip: '198.18.1', port: 70000 }, { ip: '198.18.1.2', port: 5, srcPort: 0, mac: 'x' }],
      messages: [{ dest: 2, payload: 5 }, { dest: 0, payload: 'x'.repeat(9000), time: 5 }, 'no'],
    });
    expect(p).to.include('colour: unknown field; known fields are timing, start, end, interval, bestEffort, frames, destinations, messages');
    expect(p).to.include(`timing: 'window' needs start and end, e.g. "start": "+10ms", "end": "+60ms"`);
    expect(p).to.include('destinations[0].ip: "198.18.1" is not an IPv4 address; write it as 198.18.1.2');
    expect(p).to.include('destinations[0].port: must be a UDP port 1..65535, not 70000');
    expect(p).to.include('destinations[1].srcPort: must be a UDP port 1..65535, not 0');
    expect(p).to.include('destinations[1].mac: "x" is not a MAC address; write it as 02:00:00:00:00:01');
    expect(p).to.include('messages[0].dest: 2 is not an index of destinations; use 0..1');
    expect(p).to.include('messages[0].payload: must be a string (sent as UTF-8) or a Uint8Array');
    expect(p).to.include('messages[1].payload: 9000 bytes; a message carries at most 8192');
    expect(p).to.include("messages[1].time: only for timing at, delay or seq; this batch is 'window'");
    expect(p).to.include('messages[2]: must be an object { dest, payload }');
  });

  it('times: each timing says what its messages need', () => {
    expect(problems({ timing: 'at', destinations: [{ ip: '198.18.1.2', port: 1 }], messages: [{ dest: 0, payload: 'a' }] }))
      .to.deep.equal([`messages[0].time: timing 'at' needs a time on every message (e.g. "+5ms")`]);
    expect(problems({ timing: 'seq', destinations: [{ ip: '198.18.1.2', port: 1 }], messages: [{ dest: 0, payload: 'a', time: '1ms' }] }))
      .to.deep.equal([`interval: timing 'seq' needs it: the time between two sequence numbers, e.g. "100us"`,
        `messages[0].time: with timing 'seq' it is a sequence number, a whole number >= 0, not "1ms"`]);
    expect(problems({ timing: 'delay', destinations: [{ ip: '198.18.1.2', port: 1 }], messages: [{ dest: 0, payload: 'a', time: '+1ms' }] }))
      .to.deep.equal([`messages[0].time: "+1ms": "+" (from now) is only for absolute times (start, end, and time with timing 'at'); here write "1ms"`]);
    expect(problems({ start: '+20ms', end: '+10ms', destinations: [{ ip: '198.18.1.2', port: 1 }], messages: [{ dest: 0, payload: 'a' }] }))
      .to.deep.equal(['end: must be after start']);
  });

  it('frames: every message of a framed batch needs one, kept adjacent', () => {
    expect(problems({ destinations: [{ ip: '198.18.1.2', port: 1 }], messages: [{ dest: 0, payload: 'a', frame: { id: 1, type: 'I' } }] }))
      .to.deep.equal(['messages[0].frame: only for batches with "frames": true']);
    expect(problems({ frames: true, interval: '1ms', destinations: [{ ip: '198.18.1.2', port: 1 }], messages: [{ dest: 0, payload: 'a', frame: { id: -1, type: 'X' } }, { dest: 0, payload: 'b' }] }))
      .to.deep.equal(['messages[0].frame.id: must be a whole number 0..4294967295, not -1', 'messages[0].frame.type: must be "I", "P" or "B", not "X"',
        'messages[1].frame: this batch has "frames": true, so every message needs { "id", "type" }']);
    expect(problems({ frames: true, interval: '1ms', destinations: [{ ip: '198.18.1.2', port: 1 }], messages: [
      { dest: 0, payload: 'a', frame: { id: 1, type: 'I' } }, { dest: 0, payload: 'b', frame: { id: 2, type: 'B' } }, { dest: 0, payload: 'c', frame: { id: 1, type: 'I' } }] }))
      .to.deep.equal(["messages[2]: frame 1 was already closed by other messages; a frame's messages must be added one after another"]);
  });

  it('parseTime: ns, units, fractions, from now', () => {
    const p: string[] = [];
    expect(parseTime(1500, 'x', p, false, 0n)).to.equal(1500n);
    expect(parseTime('1500', 'x', p, false, 0n)).to.equal(1500n);
    expect(parseTime('1.5ms', 'x', p, false, 0n)).to.equal(1_500_000n);
    expect(parseTime('250us', 'x', p, false, 0n)).to.equal(250_000n);
    expect(parseTime('2s', 'x', p, false, 0n)).to.equal(2_000_000_000n);
    expect(parseTime('+5ms', 'x', p, true, 1000n)).to.equal(5_001_000n);
    expect(p).to.deep.equal([]);
    expect(parseTime('5 parsecs', 'start', p, true, 0n)).to.equal(undefined);
    expect(parseTime(1.5, 'x', p, false, 0n)).to.equal(undefined);
    expect(p[0]).to.equal('start: "5 parsecs" is not a time; write ns as a whole number or a string like "1500us", "1.5ms", or "+5ms" for 5 ms from now');
    expect(p).to.have.length(2);
  });
});
