// A whole RCS1 → RCS2 → RCS1 round trip in the lab, driven by the es_* modules (8.13+ path: no restart at the
// switch). The remote cluster server and the local client CA are set up by hand first (certificates, yml and
// restarts belong to es_certificate, templates and es_rolling_restart): then preflight, save, roles, pause,
// key, keystore on every local node, null → reload → re-add on 9443, verify rcs2 per node (+ _resolve/cluster),
// resume — the tasks keep working under the API key model — and the rollback back to certificate trust.
import test from 'ava';
import { spawnSync } from 'node:child_process';
import { appendFileSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { type Harness, startLab } from './es-modules-harness.js';
import type { LabFile, LabNodeEntry } from '../../lab/layout.js';
import { createCa, issueCert, toPkcs12 } from '../../controller/certs/index.js';
import { keystore } from '../../controller/modules/es/keystore.js';
import { esPreflight } from '../../controller/modules/es/es_preflight.js';
import { esRemoteCluster } from '../../controller/modules/es/es_remote_cluster.js';
import { esTasks } from '../../controller/modules/es/es_tasks.js';
import { esRoles } from '../../controller/modules/es/es_roles.js';
import { esCrossClusterApiKey } from '../../controller/modules/es/es_cross_cluster_api_key.js';
import { esReloadSecureSettings } from '../../controller/modules/es/es_reload_secure_settings.js';
import { esRemoteVerify } from '../../controller/modules/es/es_remote_verify.js';
import { getFollowInfo, getTransformStats, getDatafeedStats } from '../../controller/elastic/api/tasks.js';
import { getApiKeysByName } from '../../controller/elastic/api/security.js';
import type { EsApi } from '../../controller/elastic/types.js';

const ALIAS = 'my_remote';
let h: Harness;
let lab: LabFile;
let stop: (() => Promise<void>) | undefined;

test.before(async () => {
  const started = await startLab('esrcs2');
  h = started.h;
  stop = started.stop;
  lab = JSON.parse(readFileSync(join(started.labDir, 'lab.json'), 'utf8')) as LabFile;
});

test.after.always(async () => {
  await stop?.();
});

function restartNode(n: LabNodeEntry): void {
  const r = spawnSync(join(n.home, 'bin', 'elasticsearch-service'), ['restart'], {
    encoding: 'utf8',
    timeout: 120_000,
  });
  if (r.status !== 0) throw new Error(`restart ${n.name}: ${r.stdout}${r.stderr}`);
}

async function waitGreen(es: EsApi, nodes: number): Promise<void> {
  await es.request({
    method: 'GET',
    path: '/_cluster/health',
    query: { wait_for_status: 'green', wait_for_nodes: nodes, timeout: '90s' },
    timeoutMs: 100_000,
  });
}

/** Remote cluster server on every remote node, the remote CA trusted by every local node (both restarted). */
async function prepareRcs2(): Promise<void> {
  const ca = createCa({ dn: 'CN=RemoteCluster CA' });
  const remote = lab.clusters.find((c) => c.name === 'remote')!;
  const local = lab.clusters.find((c) => c.name === 'local')!;
  for (const n of remote.nodes) {
    const leaf = issueCert({ ca, ip: [n.address], dns: [n.name] });
    writeFileSync(
      join(n.configDir, 'cross-cluster.p12'),
      toPkcs12({ keyPem: leaf.keyPem, certPem: leaf.certPem, caPems: [ca.certPem], password: 'rcs-p12-pass' }),
      { mode: 0o660 },
    );
    appendFileSync(
      join(n.configDir, 'elasticsearch.yml'),
      'remote_cluster_server.enabled: true\nxpack.security.remote_cluster_server.ssl.keystore.path: cross-cluster.p12\n',
    );
    // The p12 password through the keystore module (host module on the remote node).
    const r = await h.run(
      keystore,
      { name: 'xpack.security.remote_cluster_server.ssl.keystore.secure_password', value: 'rcs-p12-pass' },
      { host: n.name, group: 'remote' },
    );
    if (r.status !== 'changed') throw new Error(`keystore on ${n.name}: ${r.status}`);
  }
  for (const n of remote.nodes) {
    restartNode(n);
    await waitGreen(h.es('remote'), remote.nodes.length);
  }
  for (const n of local.nodes) {
    writeFileSync(join(n.configDir, 'remote-cluster-ca.crt'), ca.certPem);
    appendFileSync(
      join(n.configDir, 'elasticsearch.yml'),
      'xpack.security.remote_cluster_client.ssl.certificate_authorities: [ "remote-cluster-ca.crt" ]\n',
    );
  }
  for (const n of local.nodes) {
    restartNode(n);
    await waitGreen(h.es('local'), local.nodes.length);
  }
}

/** The lab's counters of the local cluster (disruptions: task reads that failed). */
function counters(): { disruptions?: number } {
  return (
    JSON.parse(readFileSync(join(lab.clusters.find((c) => c.name === 'local')!.dir, 'state.json'), 'utf8')).counters ??
    {}
  );
}

const keyArgs = {
  name: 'crosskey-my_remote',
  alias: ALIAS,
  local_group: 'local',
  access: { search: [{ names: ['logs-*'] }], replication: [{ names: ['leader-*', 'archive-*'] }] },
};
const setting = `cluster.remote.${ALIAS}.credentials`;

test.serial('RCS1 → RCS2 with the modules, tasks working under the API key, then rollback to RCS1', async (t) => {
  const localHosts = h.inv.select('local');
  const es = h.es('local');
  // Tasks paused first: the lab's tasks fail on the connection resets of the restarts below, and a failed task
  // must not be mistaken for one the migration stopped.
  t.is((await h.run(esTasks, { alias: ALIAS, state: 'paused' })).status, 'changed');
  const t0 = Date.now();
  await prepareRcs2();
  t.log(`remote cluster server + client CA with restarts: ${Date.now() - t0} ms`);
  const disruptionsBefore = counters().disruptions ?? 0;

  const pre = await h.run(esPreflight, { alias: ALIAS });
  const facts = pre.data.facts as {
    reload_supported: boolean;
    alias_kind: string;
    keystore_password_protected: Record<string, boolean>;
  };
  t.true(facts.reload_supported);
  t.is(facts.alias_kind, 'persistent');
  t.deepEqual(
    Object.values(facts.keystore_password_protected),
    localHosts.map(() => false),
  );

  t.is((await h.run(esRemoteCluster, { alias: ALIAS, state: 'saved' })).status, 'changed');
  t.is(
    (await h.run(esRoles, { alias: ALIAS, roles: ['remote_replication'], remote_group: 'remote' })).status,
    'changed',
  );
  t.is((await h.run(esTasks, { alias: ALIAS, state: 'paused' })).status, 'ok', 'already paused');
  t.is((await h.run(esCrossClusterApiKey, keyArgs, { group: 'remote' })).status, 'changed');
  for (const host of localHosts)
    t.is((await h.run(keystore, { name: setting, value_from: setting }, { host })).status, 'changed');

  // The switch: the outage window is the time between these three calls.
  const s0 = Date.now();
  t.is((await h.run(esRemoteCluster, { alias: ALIAS, state: 'absent' })).status, 'changed');
  t.is((await h.run(esReloadSecureSettings, {})).status, 'changed');
  t.is(
    (
      await h.run(esRemoteCluster, {
        alias: ALIAS,
        state: 'present',
        mode: 'sniff',
        remote_group: 'remote',
        port: 9443,
      })
    ).status,
    'changed',
  );
  const verified = await h.run(esRemoteVerify, { alias: ALIAS, expect: 'rcs2', expected_nodes: 2, timeout: 60 });
  t.log(`switch (null → reload → re-add → verified on every node): ${Date.now() - s0} ms`);
  t.is(verified.status, 'ok');
  for (const n of verified.data.nodes as Array<{
    host: string;
    ok: boolean;
    info: { cluster_credentials?: string; seeds?: string[] };
  }>) {
    t.true(n.ok, n.host);
    t.is(n.info.cluster_credentials, '::es_redacted::');
    t.true(n.info.seeds!.every((s) => s.endsWith(':9443')));
  }

  const after = (await h.run(esPreflight, { alias: ALIAS })).data.facts as { alias_model: string; migrated: boolean };
  t.deepEqual([after.alias_model, after.migrated], ['rcs2', true]);
  t.is((await h.run(esTasks, { alias: ALIAS, state: 'resumed' })).status, 'changed');
  // The tasks read through the alias with the derived remote_indices ∩ the key's access: still running after ticks.
  await new Promise((r) => setTimeout(r, 2500));
  const tr = (await getTransformStats(es)).find((x) => x.id === 'remote-logs-summary')!;
  t.not(tr.state, 'failed', tr.reason);
  const df = await es.request({ method: 'GET', path: '/_ml/datafeeds/datafeed-remote-logs-rate/_stats' });
  t.is(
    (await getDatafeedStats(es)).find((x) => x.datafeed_id === 'datafeed-remote-logs-rate')!.state,
    'started',
    JSON.stringify({ df: df.body, counters: counters() }),
  );
  t.is(counters().disruptions ?? 0, disruptionsBefore, 'no task failed from the switch on');
  t.true((await getFollowInfo(es)).filter((f) => f.remote_cluster === ALIAS).every((f) => f.status === 'active'));

  // Everything re-run: ok (a new controller process: secrets gone, key fully staged → no new key).
  h.restart();
  for (const [m, args, opts] of [
    [esRoles, { alias: ALIAS, roles: ['remote_replication'], remote_group: 'remote' }, {}],
    [esCrossClusterApiKey, keyArgs, { group: 'remote' }],
    [esRemoteCluster, { alias: ALIAS, state: 'present', mode: 'sniff', remote_group: 'remote', port: 9443 }, {}],
    [esReloadSecureSettings, {}, {}],
    [esTasks, { alias: ALIAS, state: 'resumed' }, {}],
  ] as const) {
    t.is((await h.run(m as never, args as never, opts)).status, 'ok', m.name);
  }
  for (const host of localHosts)
    t.is((await h.run(keystore, { name: setting, value_from: setting }, { host })).status, 'ok');
  t.is((await getApiKeysByName(h.es('remote'), keyArgs.name)).length, 1);

  // Rotation without outage (playbooks/rotate-key.yml): new key, staged, reloaded, verified, old one invalidated.
  const oldKey = (await getApiKeysByName(h.es('remote'), keyArgs.name))[0]!.id;
  t.is((await h.run(esCrossClusterApiKey, { ...keyArgs, state: 'rotated' }, { group: 'remote' })).status, 'changed');
  t.is(
    (await h.run(esCrossClusterApiKey, { ...keyArgs, state: 'rotated' }, { group: 'remote' })).status,
    'ok',
    'one rotation per run',
  );
  t.is((await getApiKeysByName(h.es('remote'), keyArgs.name)).length, 2, 'the old key stays valid meanwhile');
  for (const host of localHosts)
    t.is((await h.run(keystore, { name: setting, value_from: setting }, { host })).status, 'changed');
  t.is((await h.run(esReloadSecureSettings, {})).status, 'changed');
  t.is((await h.run(esRemoteVerify, { alias: ALIAS, expect: 'rcs2', expected_nodes: 2, timeout: 60 })).status, 'ok');
  t.is(
    (await h.run(esCrossClusterApiKey, { ...keyArgs, invalidate_previous: true }, { group: 'remote' })).status,
    'changed',
  );
  const keys = await getApiKeysByName(h.es('remote'), keyArgs.name);
  t.is(keys.length, 1);
  t.not(keys[0]!.id, oldKey);
  t.is(
    (await h.run(esRemoteVerify, { alias: ALIAS, expect: 'rcs2', expected_nodes: 2, timeout: 60 })).status,
    'ok',
    'still connected with the new key',
  );

  // Rollback (playbooks/rollback.yml): pause, null, credential removed everywhere, reload, roles and alias back.
  t.is((await h.run(esTasks, { alias: ALIAS, state: 'paused' })).status, 'changed');
  t.is((await h.run(esRemoteCluster, { alias: ALIAS, state: 'absent' })).status, 'changed');
  for (const host of localHosts)
    t.is((await h.run(keystore, { name: setting, state: 'absent' }, { host })).status, 'changed');
  t.is((await h.run(esReloadSecureSettings, {})).status, 'changed');
  t.is(
    (await h.run(esRoles, { alias: ALIAS, roles: ['remote_replication'], remote_group: 'remote', state: 'reverted' }))
      .status,
    'changed',
  );
  t.is((await h.run(esRemoteCluster, { alias: ALIAS, state: 'restored' })).status, 'changed');
  t.is((await h.run(esRemoteVerify, { alias: ALIAS, expect: 'rcs1', timeout: 60 })).status, 'ok');
  t.is((await h.run(esTasks, { alias: ALIAS, state: 'resumed' })).status, 'changed');
  t.true((await getFollowInfo(es)).filter((f) => f.remote_cluster === ALIAS).every((f) => f.status === 'active'));
});

test.serial(
  'a key whose access has a DLS query: a second run changes nothing (ES answers the query as a string)',
  async (t) => {
    const dlsArgs = {
      name: 'crosskey-dls-check',
      alias: 'dls_check',
      local_group: 'local',
      access: { search: [{ names: ['logs-*'], query: { bool: { filter: [{ term: { category: 'shared' } }] } } }] },
    };
    t.is((await h.run(esCrossClusterApiKey, dlsArgs, { group: 'remote' })).status, 'changed');
    const again = await h.run(esCrossClusterApiKey, dlsArgs, { group: 'remote' });
    t.is(again.status, 'ok', JSON.stringify(again.changes));
    t.deepEqual(again.changes, []);
    t.is((await h.run(esCrossClusterApiKey, { ...dlsArgs, state: 'absent' }, { group: 'remote' })).status, 'changed');
  },
);
