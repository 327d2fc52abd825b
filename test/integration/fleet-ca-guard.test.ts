// The hub case of the fleet issue, with today's one-pair playbook: a hub migrated to one remote (eu) on API keys,
// then the same playbook run for a second remote (us) whose server certificates come from its own CA. Writing the
// hub's client CA file and block for us would take eu's trust away (it breaks at the hub's next restart, a connection
// that run did not set out to change). The second run is refused before it changes anything, naming eu; after a
// restart of the hub's node, eu is still connected with its API key.
import test from 'ava';
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { dump, load } from 'js-yaml';
import type { LabFile } from '../../lab/layout.js';
import { labHttp } from '../../lab/http-client.js';
import { bundleCli, runCli, ROOT } from './cli-bundle.js';
import { startLab } from '../helpers/lab.js';

let cli: { file: string; remove(): void };
let l: LabFile;
let down: () => Promise<void>;
test.before(async () => {
  cli = await bundleCli();
  ({ lab: l, down } = await startLab({
    prefix: 'ck-fleet-guard-',
    esVersion: '8.15.0',
    clusters: [
      { name: 'hub', nodes: 2 },
      { name: 'eu', nodes: 2 },
      { name: 'us', nodes: 2 },
    ],
    connections: [
      { local: 'hub', remote: 'eu', alias: 'eu' },
      { local: 'hub', remote: 'us', alias: 'us' },
    ],
  }));
});
test.after.always(async () => {
  await down?.();
  cli?.remove();
});

/** Today's form: an inventory per pair, groups `local` and `remote`, its own CA folder. */
function pairInventory(remote: 'eu' | 'us'): string {
  const inv = load(readFileSync(l.inventory, 'utf8')) as { all: { children: Record<string, unknown> } };
  const vars = load(readFileSync(join(l.dir, 'group_vars', 'all.yml'), 'utf8')) as Record<string, unknown>;
  const dir = join(l.dir, `pair-${remote}`);
  mkdirSync(dir, { recursive: true });
  const file = join(dir, 'inventory.yml');
  writeFileSync(
    file,
    dump({
      all: {
        vars: {
          ...vars,
          crosskey_alias: remote,
          crosskey_api_key_name: `crosskey-${remote}`,
          crosskey_ca_dir: join(l.dir, `ca-${remote}`),
        },
        children: { local: inv.all.children.hub, remote: inv.all.children[remote] },
      },
    }),
  );
  return file;
}

async function hubRemoteInfo(): Promise<Record<string, { connected: boolean; cluster_credentials?: string }>> {
  const hub = l.clusters.find((c) => c.name === 'hub')!;
  const r = await labHttp(
    { url: hub.url, user: hub.user, passwordFile: hub.passwordFile, caCert: l.caCert },
    'GET',
    '/_remote/info',
  );
  return r.json as Record<string, { connected: boolean; cluster_credentials?: string }>;
}

test.serial(
  'a second remote with its own CA on the same hub is refused before it takes the first one’s trust',
  async (t) => {
    const migrate = (inv: string) => runCli(cli.file, ['run', join(ROOT, 'playbooks', 'migrate.yml'), '-i', inv]);
    const eu = await migrate(pairInventory('eu'));
    t.is(eu.code, 0, eu.stdout.slice(-3000));
    t.is((await hubRemoteInfo()).eu?.cluster_credentials, '::es_redacted::');

    const hub = l.clusters.find((c) => c.name === 'hub')!.nodes[0]!;
    const caFile = join(hub.configDir, 'remote-cluster-ca.crt');
    const caBefore = readFileSync(caFile, 'utf8');
    const us = await migrate(pairInventory('us'));
    t.is(us.code, 2, us.stdout.slice(-3000));
    t.regex(us.stdout, /alias\(es\) eu of this cluster already use API keys/);
    t.regex(us.stdout, /remote-cluster-ca\.crt holds another CA/);
    t.is(readFileSync(caFile, 'utf8'), caBefore, 'the hub still trusts eu’s CA');

    execFileSync(join(hub.home, 'bin', 'elasticsearch-service'), ['restart'], { stdio: 'ignore' });
    let info: Awaited<ReturnType<typeof hubRemoteInfo>> = {};
    for (let i = 0; i < 60; i++) {
      try {
        info = await hubRemoteInfo();
        if (info.eu?.connected) break;
      } catch {
        /* the node is starting */
      }
      await new Promise((r) => setTimeout(r, 500));
    }
    t.true(info.eu?.connected, JSON.stringify(info.eu));
    t.is(info.eu?.cluster_credentials, '::es_redacted::');
  },
);
