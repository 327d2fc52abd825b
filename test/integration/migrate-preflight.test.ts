// The migration's preflight against the lab: a transform whose remote read access comes only from a reserved role
// (viewer: reserved on both clusters, the remote's grants read on every index) would lose it under API keys, since
// a reserved role cannot be given remote_indices. The run stops in preflight naming the transform and the role,
// before anything changes (no certificate on the remote cluster, the alias as it was).
import test from 'ava';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { labHttp } from '../../lab/http-client.js';
import { bundleCli } from './cli-bundle.js';
import { cluster, get, lab, runPlaybook } from '../helpers/migration.js';

let cli: { file: string; remove(): void };
test.before(async () => {
  cli = await bundleCli();
});
test.after.always(() => cli?.remove());

test('a task that reads the remote cluster only through a reserved role stops the migration in preflight', async (t) => {
  const l = await lab(t, '8.15.0');
  const local = cluster(l, 'local');
  const target = { url: local.url, user: local.user, passwordFile: local.passwordFile, caCert: l.caCert };
  const made = await labHttp(target, 'PUT', '/_security/user/viewer-owner', {
    password: 'viewer-owner-password',
    roles: ['viewer', 'transform_admin'],
  });
  t.is(made.status, 200, made.text);
  const asOwner = { auth: `Basic ${Buffer.from('viewer-owner:viewer-owner-password').toString('base64')}` };
  const transform = await labHttp(
    target,
    'PUT',
    '/_transform/viewer-owned',
    {
      source: { index: ['my_remote:logs-*'] },
      dest: { index: 'viewer-owned' },
      pivot: {
        group_by: { host: { terms: { field: 'host.name' } } },
        aggregations: { events: { value_count: { field: '@timestamp' } } },
      },
    },
    asOwner,
  );
  t.is(transform.status, 200, transform.text);
  const settingsBefore = await get(l, local, '/_cluster/settings?flat_settings=true');

  const r = await runPlaybook(cli.file, l, 'migrate.yml');
  t.is(r.code, 2, r.stdout.slice(-3000));
  t.regex(r.stdout + r.stderr, /transform viewer-owned reads my_remote only through reserved role\(s\) viewer/);
  t.notRegex(r.stdout + r.stderr, /transform remote-logs-summary reads/);
  t.false(r.stdout.includes('TASK [remote cluster server certificate'), 'stopped in preflight');
  t.false(existsSync(join(cluster(l, 'remote').nodes[0]!.configDir, 'cross-cluster.p12')));
  const settingsAfter = await get(l, local, '/_cluster/settings?flat_settings=true');
  t.deepEqual(settingsAfter, settingsBefore);
});
