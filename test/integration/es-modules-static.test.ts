// An alias defined in every local node's elasticsearch.yml (lab --static-remote): preflight says so and hands the
// playbook the settings that point it at the remote cluster server (and the originals for rollback);
// es_remote_cluster captures the yml definition per node and reports it instead of writing cluster settings.
import test from 'ava';
import { type Harness, startLab } from './es-modules-harness.js';
import { esPreflight } from '../../controller/modules/es/es_preflight.js';
import { esRemoteCluster } from '../../controller/modules/es/es_remote_cluster.js';

const ALIAS = 'my_remote';
let h: Harness;
let stop: (() => Promise<void>) | undefined;

test.before(async () => {
  const lab = await startLab('esstatic', ['--static-remote']);
  h = lab.h;
  stop = lab.stop;
});

test.after.always(async () => {
  await stop?.();
});

test.serial(
  'static alias: preflight facts, saved per node, absent changes nothing, settings for elasticsearch_yml',
  async (t) => {
    const pre = await h.run(esPreflight, { alias: ALIAS, check_keystores: false });
    const facts = pre.data.facts as Record<string, any>;
    t.is(facts.alias_kind, 'yml');
    t.deepEqual(facts.alias_definition.yml_nodes.sort(), ['local-1', 'local-2']);
    const remoteHosts = h.inv.select('remote').map((r) => String(h.inv.hostVars(r).ansible_host));
    t.deepEqual(facts.static_alias_settings_rcs2, {
      [`cluster.remote.${ALIAS}.seeds`]: remoteHosts.map((a) => `${a}:9443`),
    });
    const rcs1 = facts.static_alias_settings_rcs1 as Record<string, unknown>;
    t.is(rcs1[`cluster.remote.${ALIAS}.mode`], 'sniff');
    t.is(rcs1[`cluster.remote.${ALIAS}.skip_unavailable`], 'false');
    t.true((rcs1[`cluster.remote.${ALIAS}.seeds`] as string[]).every((s) => !s.endsWith(':9443')));

    const saved = await h.run(esRemoteCluster, { alias: ALIAS, state: 'saved' });
    t.is(saved.status, 'changed');
    t.deepEqual((saved.data.yml_nodes as string[]).sort(), ['local-1', 'local-2']);
    t.deepEqual(saved.data.kinds, ['yml']);
    const absent = await h.run(esRemoteCluster, { alias: ALIAS, state: 'absent' });
    t.is(absent.status, 'ok', "nothing dynamic to remove; the yml definition is the playbook's (templates + restart)");
  },
);
