// `crosskey inventory -i INV --list|--graph [GROUP]`: the inventory as ansible-inventory prints it.
import { resolve } from 'node:path';
import type { CliCommand } from '../command.js';
import { parseCliArgs, UsageError } from '../command.js';
import { loadInventory } from '../../inventory/index.js';
import { Vault } from '../../playbook/vault.js';
import { secrets } from '../../secrets.js';

const usage = `usage: crosskey inventory -i INVENTORY (--list | --graph [GROUP]) [--vault-password-file F] [--playbook-dir D]`;

export const inventoryCommand: CliCommand = {
  name: 'inventory',
  summary: 'show the inventory (--list: ansible-inventory JSON, --graph: tree)',
  usage,
  async run(argv, io) {
    const parsed = parseCliArgs({
      args: argv, allowPositionals: true,
      options: {
        inventory: { type: 'string', short: 'i' },
        list: { type: 'boolean' },
        graph: { type: 'boolean' },
        'vault-password-file': { type: 'string' },
        'playbook-dir': { type: 'string' },
      },
    });
    const v = parsed.values;
    if (!v.inventory) throw new UsageError('-i INVENTORY is required');
    if (!!v.list === !!v.graph) throw new UsageError('give exactly one of --list or --graph');
    const vault = Vault.fromOptions(v['vault-password-file'], io.env);
    const inv = loadInventory(resolve(io.cwd, v.inventory), {
      ...(v['playbook-dir'] ? { playbookDir: resolve(io.cwd, v['playbook-dir']) } : {}),
      ...(vault ? { vault } : {}),
    });
    if (v.list) io.stdout.write(secrets.redact(JSON.stringify(secrets.redactValue(inv.toAnsibleList()), null, 4)) + '\n');
    else io.stdout.write(secrets.redact(inv.toGraph(parsed.positionals[0] ?? 'all')) + '\n');
    return 0;
  },
};
