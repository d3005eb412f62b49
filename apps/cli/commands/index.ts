// Every command of `manifold`, in the order `manifold --help` lists them.
import { demoCommand } from './demo.js';
import { startCommand } from './start.js';
import { statsCommand } from './stats.js';
import { statusCommand } from './status.js';
import { stopCommand } from './stop.js';

export const commands = [startCommand, statusCommand, statsCommand, stopCommand, demoCommand] as const;
