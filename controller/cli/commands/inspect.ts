// `crosskey inspect -i INV [--json] [--html FILE] [--limit P] [--no-ssh]`: a read-only picture of every host (over SSH) and every
// cluster (over HTTP) of an inventory. Nothing is changed. Exit 0 when everything answered, 4 when some host or
// cluster could not be reached (the rest is still printed), 1 for bad input.
import { dirname, resolve } from 'node:path';
import { statSync, writeFileSync } from 'node:fs';
import type { CliCommand } from '../command.js';
import { parseCliArgs, UsageError } from '../command.js';
import { loadInventory } from '../../inventory/index.js';
import { Vault } from '../../input/vault.js';
import { createAgentProvider } from '../agents.js';
import { closeAllClients } from '../../elastic/client.js';
import { runInspect } from '../../inspect/index.js';
import { renderInspect } from '../../inspect/render.js';
import { renderInspectHtml } from '../../inspect/html.js';
import { secrets } from '../../secrets.js';

const usage = `usage: crosskey inspect -i INVENTORY [options]
  --json                  one JSON document on stdout
  --long                  every detail (settings, keystores, certificates, aliases, tasks) after the summary tables
  --html FILE             also write the compact view as one self-contained HTML file (a table per cluster and a
                          picture of the clusters with their aliases, coloured by model)
  -l, --limit PATTERN     only hosts matching PATTERN (clusters with a matching host are kept)
  --no-ssh                skip the host part (SSH); the cluster part needs only HTTP
  -f, --forks N           hosts inspected in parallel (default 10)
  --vault-password-file F decrypt ansible-vault files and values (or env CROSSKEY_VAULT_PASSWORD_FILE)
  --accept-new-hostkeys   trust unknown SSH host keys and record them (changed keys are still refused)
Per host: ES version, roles, RCS settings of elasticsearch.yml, keystore entry names (never values), certificate files
(SANs, expiry; a PKCS#12 needs its password in the var es_cert_passwords, else it shows "protected"), service, ports.
Per cluster (groups with es_url): health, license, aliases and where each is defined, every node's _remote/info and
model (RCS1 certificates / RCS2 API key), tasks reading through each alias.`;

export const inspectCommand: CliCommand = {
  name: 'inspect',
  usage,
  async run(argv, io) {
    const v = parseCliArgs({
      args: argv,
      options: {
        inventory: { type: 'string', short: 'i' },
        json: { type: 'boolean' },
        long: { type: 'boolean' },
        html: { type: 'string' },
        limit: { type: 'string', short: 'l' },
        'no-ssh': { type: 'boolean' },
        forks: { type: 'string', short: 'f' },
        'vault-password-file': { type: 'string' },
        'accept-new-hostkeys': { type: 'boolean' },
      },
    }).values;
    if (!v.inventory) throw new UsageError('-i INVENTORY is required');
    const forks = v.forks === undefined ? 10 : Number(v.forks);
    if (!Number.isInteger(forks) || forks < 1 || forks > 1000)
      throw new UsageError(`--forks must be an integer 1..1000, got '${v.forks}'`);
    const invPath = resolve(io.cwd, v.inventory);
    const vault = Vault.fromOptions(
      v['vault-password-file'] ? resolve(io.cwd, v['vault-password-file']) : undefined,
      io.env,
    );
    const inventory = loadInventory(invPath, vault ? { vault } : {});
    for (const h of inventory.hosts()) inventory.hostVars(h); // broken vars files fail here, before anything is asked
    if (v.limit && inventory.select(v.limit).length === 0)
      throw new UsageError(`--limit '${v.limit}' matches no host of ${invPath}`);
    if (v['accept-new-hostkeys']) {
      io.stderr.write(
        '[WARNING]: --accept-new-hostkeys: unknown SSH host keys will be trusted and recorded without verification (changed keys are still refused)\n',
      );
    }
    const agents = v['no-ssh']
      ? undefined
      : createAgentProvider({
          acceptNewHostKeys: !!v['accept-new-hostkeys'],
          warn: (m) => io.stderr.write(secrets.redact(`[WARNING]: ${m}\n`)),
        });
    let statDir: string;
    try {
      statDir = statSync(invPath).isDirectory() ? invPath : dirname(invPath);
    } catch {
      statDir = dirname(invPath);
    }
    try {
      const report = await runInspect({
        inventory,
        forks,
        ...(v.limit ? { limit: v.limit } : {}),
        ...(agents ? { openAgent: (host, vars) => agents.agent(host, vars) } : {}),
        es: { baseDir: statDir },
      });
      if (v.html) {
        const file = resolve(io.cwd, v.html);
        writeFileSync(file, renderInspectHtml(report), { mode: 0o600 });
        if (!v.json) io.stderr.write(`inspect written to ${file}\n`);
      }
      io.stdout.write(
        v.json ? secrets.redact(JSON.stringify(report, null, 2)) + '\n' : renderInspect(report, { long: !!v.long }),
      );
      const sshDown = !v['no-ssh'] && report.hosts.some((h) => !h.ssh.reachable);
      // Wrong credentials are a failure of the run (2, like a failed task), not an unreachable host (4).
      if (report.clusters.some((c) => c.authError)) return 2;
      const esDown =
        report.clusters.some((c) => c.error !== undefined) ||
        report.hosts.some((h) => h.node.error !== undefined && h.node.url !== undefined);
      return sshDown || esDown ? 4 : 0;
    } finally {
      await agents?.closeAll().catch(() => undefined);
      await closeAllClients().catch(() => undefined);
    }
  },
};
