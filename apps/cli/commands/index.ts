// Every command of `manifold`, in the order `manifold --help` lists them.
import { demoCommand } from './demo.js';
import { latenessCommand } from './lateness.js';
import { neighCommand } from './neigh.js';
import { policyCommand } from './policy.js';
import { reloadCommand } from './reload.js';
import { sendCommand } from './send.js';
import { shellCommand } from './shell.js';
import { startCommand } from './start.js';
import { statsCommand } from './stats.js';
import { statusCommand } from './status.js';
import { stopCommand } from './stop.js';

export const commands = [startCommand, statusCommand, statsCommand, policyCommand, sendCommand, latenessCommand, neighCommand, shellCommand, reloadCommand, stopCommand, demoCommand] as const;
