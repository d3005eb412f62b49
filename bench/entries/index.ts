// Every benchmark entry, in the order `npm run bench` runs them.
import { controlRoundTrip } from './control-roundtrip.js';
import { ioForwarding } from './io-forwarding.js';
import type { BenchEntry } from '../harness.js';

export const entries: BenchEntry[] = [controlRoundTrip, ioForwarding];
