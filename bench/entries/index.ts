// Every benchmark entry, in the order `npm run bench` runs them.
import { controlRoundTrip } from './control-roundtrip.js';
import { ioForwarding } from './io-forwarding.js';
import { policyAggregate } from './policy-aggregate.js';
import { policyRedirect } from './policy-redirect.js';
import { policyReplicate } from './policy-replicate.js';
import { policySplit } from './policy-split.js';
import { policyUpdates } from './policy-updates.js';
import { sendLateness } from './send-lateness.js';
import { sendRate } from './send-rate.js';
import { udp } from './udp.js';
import type { BenchEntry } from '../harness.js';

export const entries: BenchEntry[] = [controlRoundTrip, ioForwarding, udp, policyRedirect, policyReplicate, policyUpdates, policySplit, policyAggregate, sendRate, sendLateness];
