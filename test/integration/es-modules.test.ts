// The es_* cluster modules against a real lab (two simulated clusters over TLS, local connected to remote the
// certificate way, tasks reading through the alias): check mode changes nothing and shows the diff; apply then
// re-apply gives changed then ok; task discovery finds exactly the alias's tasks; a pause/resume round trip
// restores the custom follower parameters; the API key is never duplicated and its secret never printed.
import test from 'ava';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';
import { type Harness, startLab } from './es-modules-harness.js';
import { keystore } from '../../controller/modules/es/keystore.js';
import { esPreflight } from '../../controller/modules/es/es_preflight.js';
import { esRemoteCluster } from '../../controller/modules/es/es_remote_cluster.js';
import { esTasks } from '../../controller/modules/es/es_tasks.js';
import { esRoles } from '../../controller/modules/es/es_roles.js';
import { esCrossClusterApiKey } from '../../controller/modules/es/es_cross_cluster_api_key.js';
import { esReloadSecureSettings } from '../../controller/modules/es/es_reload_secure_settings.js';
import { esRemoteVerify } from '../../controller/modules/es/es_remote_verify.js';
import { getRemoteInfo, aliasSettingsFrom } from '../../controller/elastic/api/remote.js';
import { getClusterSettings } from '../../controller/elastic/api/cluster.js';
import {
  getFollowInfo,
  getTransformStats,
  getDatafeedStats,
  getJobStats,
  getAutoFollowPatterns,
} from '../../controller/elastic/api/tasks.js';
import { getApiKeysByName } from '../../controller/elastic/api/security.js';
import { getRoles } from '../../controller/elastic/api/roles.js';

let h: Harness;
let stop: (() => Promise<void>) | undefined;
let alias: string;

test.before(async () => {
  const lab = await startLab('esmod');
  h = lab.h;
  stop = lab.stop;
  alias = Object.keys(await getRemoteInfo(h.es('local')))[0]!;
  if (!alias) throw new Error('the lab has no remote alias');
});

test.after.always(async () => {
  await stop?.();
});

test.serial('es_preflight: facts of both clusters, changes nothing', async (t) => {
  const r = await h.run(esPreflight, { alias, check_keystores: false });
  t.is(r.status, 'ok');
  const facts = r.data.facts as Record<string, any>;
  t.is(facts.alias_kind, 'persistent');
  t.is(facts.alias_model, 'rcs1');
  t.false(facts.migrated);
  t.deepEqual(facts.problems, []);
  t.false(facts.local.mixed_versions);
  t.is(typeof facts.reload_supported, 'boolean');
  t.true(['enterprise', 'trial'].includes(facts.remote.license.type));
  t.deepEqual(r.changes, []);
});

test.serial('es_tasks: discovery finds exactly the tasks on the alias', async (t) => {
  const r = await h.run(esTasks, { alias, state: 'listed' });
  t.is(r.status, 'ok');
  // lab/setup/initial-state.ts: what reads through the alias, and a local-only transform that must not be found.
  const ids = (k: string, f: string) => (r.data[k] as Array<Record<string, string>>).map((x) => x[f]).sort();
  const all = (await getTransformStats(h.es('local'))).map((x) => x.id);
  t.true(all.includes('local-metrics-summary'));
  t.deepEqual(ids('transforms', 'id'), ['remote-logs-summary']);
  t.deepEqual(ids('datafeeds', 'datafeed_id'), ['datafeed-remote-logs-rate']);
  t.deepEqual(ids('auto_follow_patterns', 'name'), ['archive-pattern']);
  // the two manual followers, plus those the auto-follow pattern created from archive-* (also on the alias)
  const followers = ids('followers', 'index');
  t.deepEqual(
    followers.filter((f) => !/^archive-.*-follower$/.test(f)),
    ['leader-custom-follower', 'leader-index-follower'],
  );
  t.true((r.data.roles as string[]).length >= 1, 'roles of the tasks are reported for es_roles');
});

test.serial('es_tasks: check mode, pause, re-run ok, resume restores follower parameters', async (t) => {
  const es = h.es('local');
  const before = (await getFollowInfo(es)).filter((f) => f.remote_cluster === alias);
  const custom = before.find((f) => f.parameters && Object.keys(f.parameters).length);
  t.truthy(custom, 'the lab has a follower with parameters');

  const check = await h.run(esTasks, { alias, state: 'paused' }, { check: true });
  t.is(check.status, 'changed');
  t.true(check.changes.some((c) => c.target === `follower ${custom!.follower_index}`));
  t.deepEqual(
    (await getFollowInfo(es)).filter((f) => f.remote_cluster === alias).map((f) => f.status),
    before.map((f) => f.status),
    'check mode changed nothing',
  );

  const paused = await h.run(esTasks, { alias, state: 'paused' });
  t.is(paused.status, 'changed');
  const states = async () => ({
    transform: (await getTransformStats(es)).find((x) => x.id === 'remote-logs-summary')!.state,
    local_transform: (await getTransformStats(es)).find((x) => x.id === 'local-metrics-summary')!.state,
    datafeed: (await getDatafeedStats(es)).find((x) => x.datafeed_id === 'datafeed-remote-logs-rate')!.state,
    job: (await getJobStats(es)).find((x) => x.job_id === 'remote-logs-rate')!.state,
    pattern: (await getAutoFollowPatterns(es)).find((x) => x.name === 'archive-pattern')!.active,
    followers: (await getFollowInfo(es)).filter((f) => f.remote_cluster === alias).map((f) => f.status),
  });
  const p = await states();
  // (the auto-follow pattern may have created more followers since discovery: every one is paused)
  t.true(p.followers.length >= 2 && p.followers.every((x) => x === 'paused'));
  t.deepEqual(
    { ...p, local_transform: 'x', followers: [] },
    { transform: 'stopped', local_transform: 'x', datafeed: 'stopped', job: 'closed', pattern: false, followers: [] },
  );
  t.not(p.local_transform, 'stopped', 'the local-only transform keeps running');
  t.is((await h.run(esTasks, { alias, state: 'paused' })).status, 'ok');

  h.restart(); // resume from a new process: everything comes from saved state
  const resumed = await h.run(esTasks, { alias, state: 'resumed' });
  t.is(resumed.status, 'changed');
  const after = (await getFollowInfo(es)).find((f) => f.follower_index === custom!.follower_index)!;
  t.is(after.status, 'active');
  t.deepEqual(after.parameters, custom!.parameters);
  const r = await states();
  t.true(['started', 'indexing'].includes(r.transform));
  t.is(r.datafeed, 'started');
  t.is(r.job, 'opened');
  t.true(r.pattern);
  t.is((await h.run(esTasks, { alias, state: 'resumed' })).status, 'ok', 'never resumed twice');
});

test.serial('es_roles: derive remote_indices, check mode, apply, ok, revert', async (t) => {
  const check = await h.run(esRoles, { alias, remote_group: 'remote' }, { check: true });
  t.is(check.status, 'changed');
  const name = check.changes[0]!.target.replace('role ', '');
  const es = h.es('local');
  const orig = (await getRoles(es, [name]))[name]!;
  t.deepEqual(orig.remote_indices ?? [], [], 'check mode changed nothing');
  t.is((await h.run(esRoles, { alias, remote_group: 'remote' })).status, 'changed');
  const updated = (await getRoles(es, [name]))[name]!;
  t.true(updated.remote_indices!.some((e) => e.clusters.includes(alias)));
  t.deepEqual(updated.indices, orig.indices, 'local indices kept');
  t.is((await h.run(esRoles, { alias, remote_group: 'remote' })).status, 'ok');
  // an extra role named only when applying is reverted too (found through saved state)
  const extra = { cluster: [], indices: [{ names: ['audit-*'], privileges: ['read'] }] };
  await es.request({ method: 'PUT', path: '/_security/role/extra_role', body: extra });
  await h.es('remote').request({ method: 'PUT', path: '/_security/role/extra_role', body: extra });
  t.is((await h.run(esRoles, { alias, remote_group: 'remote', roles: ['extra_role'] })).status, 'changed');
  t.is((await getRoles(es, ['extra_role'])).extra_role!.remote_indices!.length, 1);
  t.is((await h.run(esRoles, { alias, remote_group: 'remote', state: 'reverted' })).status, 'changed');
  t.deepEqual((await getRoles(es, ['extra_role'])).extra_role!.remote_indices ?? [], []);
  t.deepEqual((await getRoles(es, [name]))[name]!.remote_indices ?? [], []);
  t.is((await h.run(esRoles, { alias, remote_group: 'remote', state: 'reverted' })).status, 'ok');
});

test.serial('es_cross_cluster_api_key: create once, ok, drift update, resume rule, invalidate', async (t) => {
  const args = { name: 'crosskey-it', alias, access: { search: [{ names: ['logs*'] }] }, local_group: 'local' };
  const remote = h.es('remote');
  const check = await h.run(esCrossClusterApiKey, args, { group: 'remote', check: true });
  t.deepEqual(
    check.changes.map((c) => c.action),
    ['create'],
  );
  t.deepEqual(await getApiKeysByName(remote, 'crosskey-it'), []);

  const created = await h.run(esCrossClusterApiKey, args, { group: 'remote' });
  t.is(created.status, 'changed');
  const encoded = created.data.encoded as { reveal(): string };
  t.is(JSON.stringify(created.data).includes(encoded.reveal()), false, 'encoded is masked in data');
  t.is((await h.run(esCrossClusterApiKey, args, { group: 'remote' })).status, 'ok');
  t.is((await getApiKeysByName(remote, 'crosskey-it')).length, 1);

  const drift = await h.run(
    esCrossClusterApiKey,
    { ...args, access: { search: [{ names: ['logs*', 'metrics*'] }] } },
    { group: 'remote' },
  );
  t.is(drift.status, 'changed');
  const [k] = await getApiKeysByName(remote, 'crosskey-it');
  t.is(k!.id, (created.data as { id: string }).id, 'access updated in place');

  // A new process that never staged the key: it cannot know the secret → one new key, the old one invalidated.
  h.restart();
  const rot = await h.run(
    esCrossClusterApiKey,
    { ...args, access: { search: [{ names: ['logs*', 'metrics*'] }] } },
    { group: 'remote' },
  );
  t.is(rot.status, 'changed');
  const active = await getApiKeysByName(remote, 'crosskey-it');
  t.is(active.length, 1);
  t.not(active[0]!.id, k!.id);

  t.is((await h.run(esCrossClusterApiKey, { ...args, state: 'absent' }, { group: 'remote' })).status, 'changed');
  t.deepEqual(await getApiKeysByName(remote, 'crosskey-it'), []);
  t.false(
    h.events.some((e) => JSON.stringify(e).includes(encoded.reveal())),
    'no secret in journal events',
  );
});

test.serial('es_remote_cluster: save, absent, present (rcs2 target from remote group), restored', async (t) => {
  const es = h.es('local');
  const orig = aliasSettingsFrom((await getClusterSettings(es)).persistent, alias);
  t.is((await h.run(esRemoteCluster, { alias, state: 'saved' })).status, 'changed');
  t.is((await h.run(esRemoteCluster, { alias, state: 'saved' })).status, 'ok');

  const check = await h.run(esRemoteCluster, { alias, state: 'absent' }, { check: true });
  t.deepEqual(
    check.changes.map((c) => c.action),
    ['delete'],
  );
  t.deepEqual(aliasSettingsFrom((await getClusterSettings(es)).persistent, alias), orig);
  t.is((await h.run(esRemoteCluster, { alias, state: 'absent' })).status, 'changed');
  t.deepEqual(aliasSettingsFrom((await getClusterSettings(es)).persistent, alias), {});
  t.is((await h.run(esRemoteCluster, { alias, state: 'absent' })).status, 'ok');

  const present = { alias, state: 'present', mode: 'proxy', remote_group: 'remote', port: 9443 };
  t.is((await h.run(esRemoteCluster, present)).status, 'changed');
  const now = aliasSettingsFrom((await getClusterSettings(es)).persistent, alias);
  t.is(now.mode, 'proxy');
  t.regex(String(now.proxy_address), /:9443$/);
  t.is(now.skip_unavailable, orig.skip_unavailable, 'skip_unavailable carried over');
  t.is((await h.run(esRemoteCluster, present)).status, 'ok');

  t.is((await h.run(esRemoteCluster, { alias, state: 'restored' })).status, 'changed');
  t.deepEqual(aliasSettingsFrom((await getClusterSettings(es)).persistent, alias), orig);
  t.is((await h.run(esRemoteCluster, { alias, state: 'restored' })).status, 'ok');
});

test.serial('es_remote_verify: rcs1 verified on every node; rcs2 fails with per-node detail', async (t) => {
  const ok = await h.run(esRemoteVerify, { alias, expect: 'rcs1', timeout: 30 });
  t.is(ok.status, 'ok');
  t.is((ok.data.nodes as unknown[]).length, h.inv.select('local').length);
  const err = await t.throwsAsync(h.run(esRemoteVerify, { alias, expect: 'rcs2', timeout: 1 }));
  t.regex(err!.message, /not rcs2 on 2\/2 node\(s\)/);
  t.regex(err!.message, /local-1: .*cluster_credentials/);
});

test.serial('es_reload_secure_settings: runs only when forced or a keystore changed; ok after', async (t) => {
  t.is((await h.run(esReloadSecureSettings, {})).status, 'ok');
  const forced = await h.run(esReloadSecureSettings, { force: true });
  t.is(forced.status, 'changed');
  t.deepEqual((forced.data.nodes as string[]).length, h.inv.select('local').length);
  // Check mode: a keystore task that would write makes the reload show as a change too.
  t.is(
    (await h.run(keystore, { name: 'some.secure.setting', value: 'some-value' }, { check: true })).status,
    'changed',
  );
  t.is((await h.run(esReloadSecureSettings, {}, { check: true })).status, 'changed');
  h.restart();
  t.is((await h.run(esReloadSecureSettings, {}, { check: true })).status, 'ok');
  await h.state.set('keystore_pending_reload/local-1', { name: 'x' });
  t.is((await h.run(esReloadSecureSettings, {}, { check: true })).status, 'changed');
  t.is((await h.run(esReloadSecureSettings, {})).status, 'changed');
  t.is((await h.run(esReloadSecureSettings, {})).status, 'ok');
});

test.serial(
  'keystore: key staged on every local node from the run secret; ok re-run; absent; reload → rcs1 again',
  async (t) => {
    h.restart();
    const setting = `cluster.remote.${alias}.credentials`;
    const key = await h.run(
      esCrossClusterApiKey,
      { name: 'crosskey-ks', alias, access: { search: [{ names: ['logs*'] }] }, local_group: 'local' },
      { group: 'remote' },
    );
    t.is(key.status, 'changed');
    const encoded = (key.data.encoded as { reveal(): string }).reveal();
    const hosts = h.inv.select('local');
    const list = async (host: string) =>
      (
        await (
          await h.agentOf(host)
        ).call('keystore.list', { path: join(String(h.inv.hostVars(host).es_config), 'elasticsearch.keystore') })
      ).entries ?? [];

    const started = Date.now();
    const check = await h.run(keystore, { name: setting, value_from: setting }, { host: hosts[0], check: true });
    t.deepEqual(check.changes, [
      {
        target: `${join(String(h.inv.hostVars(hosts[0]!).es_config), 'elasticsearch.keystore')}: ${setting}`,
        action: 'create',
        secret: true,
      },
    ]);
    t.false((await list(hosts[0]!)).includes(setting), 'check mode wrote nothing');
    for (const host of hosts)
      t.is((await h.run(keystore, { name: setting, value_from: setting }, { host })).status, 'changed');
    for (const host of hosts) {
      t.true((await list(host)).includes(setting));
      t.is((await h.run(keystore, { name: setting, value_from: setting }, { host })).status, 'ok');
    }
    // the stored value is the key (compared through `elasticsearch-keystore show`, only on request)
    t.is(
      (await h.run(keystore, { name: setting, value_from: setting, compare_value: true }, { host: hosts[0] })).status,
      'ok',
    );
    t.log(`staging on ${hosts.length} nodes incl. checks: ${Date.now() - started} ms`);
    // Fully staged: a new process knows no secret, yet nothing is re-created.
    h.restart();
    const again = await h.run(
      esCrossClusterApiKey,
      { name: 'crosskey-ks', alias, access: { search: [{ names: ['logs*'] }] }, local_group: 'local' },
      { group: 'remote' },
    );
    t.is(again.status, 'ok');
    t.is((await getApiKeysByName(h.es('remote'), 'crosskey-ks')).length, 1);
    for (const host of hosts)
      t.is((await h.run(keystore, { name: setting, value_from: setting }, { host })).status, 'ok');
    t.false(JSON.stringify(h.events).includes(encoded), 'the key never reaches the journal');
    t.false(JSON.stringify(h.state.keys().map((k) => h.state.get(k))).includes(encoded), 'nor saved state');

    // Loaded while the alias still targets the transport port, the credential breaks certificate trust on every node
    // (docs/procedure.md §1.3 step 4) — which is why a rollback must remove it (Elastic's page forgets to, §1.2 #1).
    t.is((await h.run(esReloadSecureSettings, {})).status, 'changed');
    const broken = await t.throwsAsync(h.run(esRemoteVerify, { alias, expect: 'rcs1', timeout: 2 }));
    t.regex(broken!.message, /not rcs1 on 2\/2 node\(s\)/);
    // Rollback of the credential: removed everywhere, reloaded, every node back on certificate trust.
    for (const host of hosts)
      t.is((await h.run(keystore, { name: setting, state: 'absent' }, { host })).status, 'changed');
    for (const host of hosts) t.is((await h.run(keystore, { name: setting, state: 'absent' }, { host })).status, 'ok');
    t.is((await h.run(esReloadSecureSettings, {})).status, 'changed');
    t.is((await h.run(esReloadSecureSettings, {})).status, 'ok');
    const v0 = Date.now();
    t.is((await h.run(esRemoteVerify, { alias, expect: 'rcs1', timeout: 30 })).status, 'ok');
    t.log(`rcs1 verified ${Date.now() - v0} ms after the reload`);
    await h.run(
      esCrossClusterApiKey,
      { name: 'crosskey-ks', alias, state: 'absent', local_group: 'local' },
      { group: 'remote' },
    );
  },
);

test.serial('keystore: password-protected keystore, password and value on stdin only', async (t) => {
  const host = h.inv.select('local')[0]!;
  const vars = h.inv.hostVars(host);
  const conf = mkdtempSync(join(tmpdir(), 'ck-ks-conf-'));
  t.teardown(() => rmSync(conf, { recursive: true, force: true }));
  execFileSync(join(String(vars.es_home), 'bin', 'elasticsearch-keystore'), ['create', '-p'], {
    input: 'ks-pass-123\nks-pass-123\n',
    env: { ...process.env, ES_PATH_CONF: conf },
  });
  const args = {
    name: 'xpack.security.remote_cluster_server.ssl.keystore.secure_password',
    value: 'p12-pass-value',
    keystore_password: 'ks-pass-123',
    es_config: conf,
  };
  h.agentCalls.length = 0;
  await t.throwsAsync(h.run(keystore, { ...args, keystore_password: undefined }, { host }), {
    message: /password-protected: set keystore_password/,
  });
  t.is((await h.run(keystore, args, { host })).status, 'changed');
  t.is((await h.run(keystore, args, { host })).status, 'ok');
  t.is((await h.run(keystore, { ...args, compare_value: true }, { host })).status, 'ok');
  t.is((await h.run(keystore, { ...args, value: 'another-value', compare_value: true }, { host })).status, 'changed');
  const ls = await (await h.agentOf(host)).call('keystore.list', {
    path: join(conf, 'elasticsearch.keystore'),
    password: 'ks-pass-123',
  });
  t.true(ls.hasPassword);
  t.true(ls.entries!.includes(args.name));
  const wrong = await t.throwsAsync(
    h.run(keystore, { ...args, keystore_password: 'wrong-pass', state: 'absent' }, { host }),
  );
  t.false(wrong!.message.includes('wrong-pass'));
  // What reached the host: argv never holds the password or a value; stdin holds the password first, then the value.
  const commands = h.agentCalls.filter((c) => c.op === 'command');
  t.true(commands.length >= 3);
  for (const c of commands) {
    const argv = (c.args.argv as string[]).join(' ');
    for (const secret of ['ks-pass-123', 'p12-pass-value', 'another-value', 'wrong-pass'])
      t.false(argv.includes(secret), argv);
    t.is(c.args.runAsOwnerOf !== undefined, true);
  }
  const add = commands.find((c) => (c.args.argv as string[]).includes('add'))!;
  t.deepEqual((add.args.argv as string[]).slice(1), ['add', '-f', '-x', args.name]);
  t.is(add.args.stdin, 'ks-pass-123\np12-pass-value\n');
});
