// Every shell command, in the order `help` lists them. A family adds a file of its own here
// once its client calls exist in ffi/.
import type { ShellCommand } from '../session.js';
import { captureCommands } from './capture.js';
import { fwdCommands } from './fwd.js';
import { latenessCommands } from './lateness.js';
import { lcoreCommands } from './lcores.js';
import { neighCommands } from './neigh.js';
import { policyCommands } from './policy.js';
import { portCommands } from './port.js';
import { sessionCommands } from './session.js';
import { traceCommands } from './trace.js';

export const COMMANDS: readonly ShellCommand[] = [
  ...portCommands,
  ...fwdCommands,
  ...lcoreCommands,
  ...latenessCommands,
  ...neighCommands,
  ...policyCommands,
  ...captureCommands,
  ...traceCommands,
  ...sessionCommands,
];
