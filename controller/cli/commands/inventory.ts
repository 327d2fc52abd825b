// `crosskey inventory -i INV --list|--graph [GROUP]`: the inventory as ansible-inventory prints it.
import { resolve } from 'node:path';
import type { CliCommand } from '../command.js';
import { parseCliArgs, UsageError } from '../command.js';
import { loadInventory } from '../../inventory/index.js';
import { Vault } from '../../input/vault.js';
import { secrets } from '../../secrets.js';

const usage = `usage: crosskey inventory -i INVENTORY (--list | --graph [GROUP] | --host HOST) [--vault-password-file F] [--playbook-dir D]
  --host HOST   the host's merged variables (ansible-inventory --host), secrets masked`;

export const inventoryCommand: CliCommand = {
  name: 'inventory',
  usage,
  async run(argv, io) {
    const parsed = parseCliArgs({
      args: argv,
      allowPositionals: true,
      options: {
        inventory: { type: 'string', short: 'i' },
        list: { type: 'boolean' },
        graph: { type: 'boolean' },
        host: { type: 'string' },
        'vault-password-file': { type: 'string' },
        'playbook-dir': { type: 'string' },
      },
    });
    const v = parsed.values;
    if (!v.inventory) throw new UsageError('-i INVENTORY is required');
    if ([v.list, v.graph, v.host !== undefined].filter(Boolean).length !== 1)
      throw new UsageError('give exactly one of --list, --graph or --host HOST');
    const vault = Vault.fromOptions(v['vault-password-file'], io.env);
    const inv = loadInventory(resolve(io.cwd, v.inventory), {
      ...(v['playbook-dir'] ? { playbookDir: resolve(io.cwd, v['playbook-dir']) } : {}),
      ...(vault ? { vault } : {}),
    });
    if (v.host !== undefined) {
      if (!inv.hasHost(v.host)) throw new UsageError(`no host '${v.host}' in ${v.inventory}`);
      io.stdout.write(secrets.redact(JSON.stringify(secrets.redactValue(inv.hostVars(v.host)), null, 4)) + '\n');
    } else if (v.list)
      io.stdout.write(secrets.redact(JSON.stringify(secrets.redactValue(inv.toAnsibleList()), null, 4)) + '\n');
    else io.stdout.write(secrets.redact(inv.toGraph(parsed.positionals[0] ?? 'all')) + '\n');
    return 0;
  },
};
