// `manifold lateness`: the core's lateness histograms (SEND_LATENESS), per transmitting lcore
// and their sum; percentiles are bucket upper bounds (the histogram is log2).
import { latenessText } from '../../send/format.js';
import type { LatenessArgs } from '../commands/lateness.js';
import { withClient } from './attach.js';

export async function lateness(args: LatenessArgs): Promise<void> {
  await withClient(args.name, async (m) => {
    const r = await m.sendLateness();
    console.log(args.json ? JSON.stringify(r) : latenessText(r));
  });
}
