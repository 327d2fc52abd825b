// The command table: name, one-line summary, and the module that implements it — loaded only when that command
// runs, so `crosskey inventory` does not compile the Elasticsearch client, the lab or the report renderer.
import type { CliCommand } from '../command.js';

export interface CommandEntry {
  name: string;
  summary: string;
  load(): Promise<CliCommand>;
}

export const commands: CommandEntry[] = [
  {
    name: 'run',
    summary: 'run a playbook against an inventory (Ansible-compatible flags)',
    load: async () => (await import('./run.js')).runCommand,
  },
  {
    name: 'inventory',
    summary: 'show the inventory (--list: ansible-inventory JSON, --graph: tree)',
    load: async () => (await import('./inventory.js')).inventoryCommand,
  },
  {
    name: 'runs',
    summary: 'list recorded runs (journal files) and how they ended',
    load: async () => (await import('./runs.js')).runsCommand,
  },
  {
    name: 'resume',
    summary: 'continue a stopped or failed run from the play where it stopped',
    load: async () => (await import('./resume.js')).resumeCommand,
  },
  {
    name: 'inspect',
    summary:
      'read-only picture of hosts and clusters: settings, keystore names, certificates, aliases, RCS1/RCS2 per node',
    load: async () => (await import('./inspect.js')).inspectCommand,
  },
  {
    name: 'report',
    summary: "a run's steps, restart timeline, changes and verification (text, --json or --html FILE)",
    load: async () => (await import('./report.js')).reportCommand,
  },
  {
    name: 'certs',
    summary: 'make a CA and node certificates (PKCS#12) like elasticsearch-certutil; inspect certificate files',
    load: async () => (await import('./certs.js')).certsCliCommand,
  },
  {
    name: 'lab',
    summary: 'the built-in lab: simulated Elasticsearch clusters behind real SSH hosts (up, status, fault, down)',
    load: async () => (await import('./lab.js')).labCliCommand,
  },
  {
    name: 'demo',
    summary: 'run the whole migration on the built-in lab and show every local node verified',
    load: async () => (await import('./demo.js')).demoCommand,
  },
];
