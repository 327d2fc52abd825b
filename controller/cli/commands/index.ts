// The command table. Other commands (lab, certs, inspect, report, demo) add one line each here,
// implemented in their own file under controller/cli/commands/.
import type { CliCommand } from '../command.js';
import { runCommand } from './run.js';
import { inventoryCommand } from './inventory.js';
import { runsCommand } from './runs.js';
import { resumeCommand } from './resume.js';
import { inspectCommand } from './inspect.js';
import { reportCommand } from './report.js';
import { certsCliCommand } from './certs.js';
import { labCliCommand } from './lab.js';
import { demoCommand } from './demo.js';

export const commands: CliCommand[] = [
  runCommand,
  inventoryCommand,
  runsCommand,
  resumeCommand,
  inspectCommand,
  reportCommand,
  certsCliCommand,
  labCliCommand,
  demoCommand,
];
