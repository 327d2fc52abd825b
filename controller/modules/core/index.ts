// The core host modules (Ansible's names and arguments).
import type { AnyModule } from '../contract.js';
import { copyModule } from './copy.js';
import { templateModule } from './template.js';
import { commandModule } from './command.js';
import { serviceModule } from './service.js';
import { waitForModule } from './wait_for.js';
import { assertModule, debugModule, failModule } from './checks.js';

export const coreModules: AnyModule[] = [
  copyModule,
  templateModule,
  commandModule,
  serviceModule,
  waitForModule,
  assertModule,
  failModule,
  debugModule,
];
