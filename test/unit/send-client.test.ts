// The client side of a send (ffi/send.ts) against a fake core that speaks the SEND ops from
// the ABI: chunks submitted in order with the id of the opening one, a failed chunk aborts the
// batch, backpressure is a typed error that waitForRoom waits out, and reports resolve the
// right promises, many per reap.
import { expect } from 'chai';
import type { Manifold, Reply, RequestInput, RequestOptions } from '../../ffi/client.js';
import { ARENA_SLOT_SIZE, BULK_SLOT_SIZE } from '../../ffi/structs.js';
import { RequestRejectedError, SendBackpressureError, errnoNumber } from '../../ffi/errors.js';
import { SO, SendFlag, SendOp } from '../../ffi/send-abi.js';
import { SendBatch } from '../../ffi/send-batch.js';
import { Sender } from '../../ffi/send.js';

interface Submitted { op: number; batch: number; flags: number; nMsgs: number; nDests: number; bulk: boolean; bytes: number }

/** A core in miniature: takes chunks, finishes a batch `doneAfter` reaps after its commit. */
class FakeCore {
  readonly log: Submitted[] = [];
  readonly aborted: number[] = [];
  reaps = 0;
  nextId = 41;
  /** status to answer the nth SUBMIT with (by submit count, 1-based) */
  failAt = new Map<number, { errno: string; reason: string }>();
  private submits = 0;
  private readonly open = new Map<number, { msgs: number }>();
  readonly done: { id: number; msgs: number; reapsLeft: number }[] = [];
  doneAfter = 1;
  /** per batch id, overriding doneAfter */
  readonly doneAfterById = new Map<number, number>();
  /** the reply to a committing chunk comes this late (the batch is done meanwhile) */
  commitReplyDelayMs = 0;

  request = (op: number, args?: Uint8Array, input?: RequestInput, opts: RequestOptions = {}): Promise<Reply> => {
    const a = Buffer.from(args ?? new Uint8Array(0));
    const reply = (data: Buffer): Promise<Reply> => new Promise((r) => setImmediate(() => r({ op, status: 0, reason: '', data })));
    const reject = (errno: string, reason: string): Promise<Reply> => Promise.reject(new RequestRejectedError({ errno: -errnoNumber(errno), status: -errnoNumber(errno), reason, op: `op ${op}` }));
    if (op === SendOp.SEND_SUBMIT) {
      this.submits++;
      // a chunk comes as parts (views of the batch's buffers), sent back to back
      const inp = Buffer.concat(input instanceof Uint8Array ? [input] : [...input!]);
      let batch = a.readUInt32LE(SO.arg.batch);
      const flags = a.readUInt16LE(SO.arg.flags);
      const nMsgs = inp.readUInt32LE(SO.chunk.n_msgs);
      this.log.push({ op, batch, flags, nMsgs, nDests: inp.readUInt16LE(SO.chunk.n_dests), bulk: opts.bulk === true, bytes: inp.length });
      const fail = this.failAt.get(this.submits);
      if (fail) {
        if (batch !== 0) this.open.delete(batch);
        return reject(fail.errno, fail.reason);
      }
      if (batch === 0) {
        batch = this.nextId++;
        this.open.set(batch, { msgs: 0 });
      }
      const b = this.open.get(batch);
      if (!b) return reject('ENOENT', `no open batch ${batch}`);
      b.msgs += nMsgs;
      if (flags & SendFlag.COMMIT) {
        this.open.delete(batch);
        this.done.push({ id: batch, msgs: b.msgs, reapsLeft: this.doneAfterById.get(batch) ?? this.doneAfter });
      }
      const r = Buffer.alloc(SO.reply.size);
      r.writeUInt32LE(batch, SO.reply.batch);
      r.writeUInt32LE(b.msgs, SO.reply.n_msgs);
      if (flags & SendFlag.COMMIT && this.commitReplyDelayMs > 0)
        return new Promise((res) => setTimeout(() => res(reply(r)), this.commitReplyDelayMs));
      return reply(r);
    }
    if (op === SendOp.SEND_REAP) {
      this.reaps++;
      for (const d of this.done) d.reapsLeft--;
      const ready = this.done.filter((d) => d.reapsLeft <= 0);
      const out = Buffer.alloc(SO.reapHdr.size + ready.length * SO.report.size);
      out.writeUInt32LE(ready.length, SO.reapHdr.count);
      out.writeUInt32LE(this.done.length - ready.length + this.open.size, SO.reapHdr.pending);
      ready.forEach((d, i) => {
        const at = SO.reapHdr.size + i * SO.report.size;
        out.writeUInt32LE(d.id, at + SO.report.batch);
        out.writeUInt32LE(d.msgs, at + SO.report.n_msgs);
        out.writeUInt32LE(d.msgs, at + SO.report.sent);
      });
      for (const d of ready) this.done.splice(this.done.indexOf(d), 1);
      return reply(out);
    }
    if (op === SendOp.SEND_ABORT) {
      this.aborted.push(a.readUInt32LE(SO.reapArg.batch));
      return reply(Buffer.alloc(0));
    }
    return reject('EOPNOTSUPP', `op ${op}`);
  };

  get closed(): boolean {
    return false;
  }

  sender(): Sender {
    return new Sender(this as unknown as Manifold);
  }
}

function bigBatch(msgs: number, dests = 10): SendBatch {
  const b = new SendBatch();
  const ds = Array.from({ length: dests }, (_, i) => b.dest({ ip: '198.18.1.2', port: 1000 + i }));
  const p = new Uint8Array(200);
  for (let i = 0; i < msgs; i++) b.add(ds[i % dests]!, p);
  return b;
}

describe('Sender against a fake core', () => {
  it('opens with the first chunk, sends the rest in order under its id, commits with the last, in bulk slots', async () => {
    const core = new FakeCore();
    const b = bigBatch(12000); // 2.7 MB: three bulk-slot chunks
    const plans = b.plan(BULK_SLOT_SIZE).length;
    expect(plans).to.equal(3);
    const report = await core.sender().send(b);
    expect(report).to.deep.include({ batch: 41, messages: 12000, sent: 12000 });
    expect(core.log).to.have.length(plans);
    expect(core.log[0]!.batch).to.equal(0);
    expect(core.log.slice(1).every((s) => s.batch === 41)).to.equal(true);
    expect(core.log.map((s) => s.flags & SendFlag.COMMIT)).to.deep.equal(core.log.map((_, i) => (i === plans - 1 ? SendFlag.COMMIT : 0)));
    expect(core.log.reduce((s, c) => s + c.nMsgs, 0)).to.equal(12000);
    expect(core.log.every((s) => s.bulk && s.bytes <= BULK_SLOT_SIZE && s.bytes > ARENA_SLOT_SIZE)).to.equal(true);
  });

  it('a batch that fits one arena slot goes as one request there, not through a bulk slot', async () => {
    const core = new FakeCore();
    const report = await core.sender().send(bigBatch(20));
    expect(report).to.deep.include({ messages: 20, sent: 20 });
    expect(core.log.map((s) => [s.bulk, s.flags & SendFlag.COMMIT, s.nMsgs])).to.deep.equal([[false, SendFlag.COMMIT, 20]]);
  });

  it('a refused chunk aborts the batch and rejects with its reason and messages', async () => {
    const core = new FakeCore();
    core.failAt.set(2, { errno: 'EINVAL', reason: 'message 170: payload is bad' }); // a middle chunk of 3
    const b = bigBatch(12000);
    const err = await core.sender().send(b).catch((e: unknown) => e);
    expect(err).to.be.instanceOf(RequestRejectedError);
    expect((err as RequestRejectedError).op).to.equal('SEND_SUBMIT');
    expect((err as RequestRejectedError).reason).to.match(/^chunk 2 of 3 \(messages \d+\.\.\d+\): message 170: payload is bad$/);
    expect(core.aborted).to.deep.equal([41]);
  });

  it('backpressure is a SendBackpressureError; waitForRoom waits for our batches and retries', async () => {
    const core = new FakeCore();
    core.doneAfter = 3;
    const s = core.sender();
    const first = s.send(bigBatch(10));
    await new Promise((r) => setTimeout(r, 5));
    core.failAt.set(2, { errno: 'EAGAIN', reason: 'the batch table is full (64 batches); wait for batches to finish' });
    const err = await s.send(bigBatch(10)).catch((e: unknown) => e);
    expect(err).to.be.instanceOf(SendBackpressureError);
    expect((err as SendBackpressureError).code).to.equal('EAGAIN');
    core.failAt.set(3, { errno: 'ENOBUFS', reason: 'no mbufs' });
    const second = s.send(bigBatch(10), { waitForRoom: true });
    const [r1, r2] = await Promise.all([first, second]);
    expect(r1.batch).to.equal(41);
    expect(r2.batch, 'the retry opened a new batch').to.equal(42);
    expect(core.log.filter((l) => l.batch === 0)).to.have.length(4);
    await s.drained();
    expect(s.pending).to.equal(0);
  });

  it('many batches in flight resolve each with its own report, several per reap', async () => {
    const core = new FakeCore();
    core.doneAfter = 2;
    const s = core.sender();
    const sizes = [5, 50, 500, 7, 70];
    const reports = await Promise.all(sizes.map((n) => s.send(bigBatch(n))));
    expect(reports.map((r) => r.messages)).to.deep.equal(sizes);
    expect(new Set(reports.map((r) => r.batch)).size).to.equal(sizes.length);
    expect(core.reaps, 'reports were reaped together').to.be.below(sizes.length * 2 + 2);
  });

  it('a report the core hands out before its batch is registered still resolves that batch', async () => {
    const core = new FakeCore();
    const s = core.sender();
    core.doneAfterById.set(41, 1000); // A stays pending: the reaper keeps polling
    const a = s.send(bigBatch(3));
    await new Promise((r) => setTimeout(r, 20));
    core.doneAfterById.set(42, 0); // B is done at its commit, whose reply comes 50 ms late
    core.commitReplyDelayMs = 50;
    const reapsBefore = core.reaps;
    const b = await s.send(bigBatch(4));
    expect(core.reaps, 'reaps ran while the commit reply was late').to.be.above(reapsBefore);
    expect(b.batch).to.equal(42);
    expect(b.messages).to.equal(4);
    core.doneAfterById.set(41, 0);
    core.done.forEach((d) => { d.reapsLeft = 0; });
    expect((await a).messages).to.equal(3);
  });

  it('a batch the core no longer holds rejects instead of waiting forever', async () => {
    const core = new FakeCore();
    const s = core.sender();
    const real = core.request;
    // The core loses the batch: its reap answers say nothing pending.
    core.request = (op, args, input) => {
      if (op === SendOp.SEND_REAP) {
        const out = Buffer.alloc(SO.reapHdr.size);
        return Promise.resolve({ op, status: 0, reason: '', data: out });
      }
      return real(op, args, input);
    };
    const err = await s.send(bigBatch(3)).catch((e: unknown) => e);
    expect(String(err)).to.match(/the core has no batch 41 of this client/);
  });
});
