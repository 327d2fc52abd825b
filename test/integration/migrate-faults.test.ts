// Faults during the migration, through the bundled CLI over real OpenSSH hosts against the lab:
// a remote node that fails to start mid-roll (restored, run stopped with exit 2, cluster green; resume completes
// after the fault is cleared), a remote node whose 9443 a firewall blocks (G5 fails: that node is restored before
// the next one goes down) and an SSH host that drops (run stops as unreachable, exit 4; resume completes).
// While the first test runs, every process's argv is sampled: no lab secret may appear in one.
import test from 'ava';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { labFault, labStatus } from '../../lab/ops.js';
import type { LabFile } from '../../lab/layout.js';
import { bundleCli, runCli, ROOT } from './cli-bundle.js';
import {
  activeKeys,
  clusterOf,
  followerInfo,
  journalEvents,
  journalText,
  labGet,
  labSecrets,
  remoteInfoPerNode,
  restartsFromJournal,
  sampleArgv,
  testLab,
} from '../helpers/lab.js';

let cli: { file: string; remove(): void };
test.before(async () => {
  cli = await bundleCli();
});
test.after.always(() => cli?.remove());

const run = (l: LabFile, ...extra: string[]) =>
  runCli(cli.file, ['run', join(ROOT, 'playbooks', 'migrate.yml'), '-i', l.inventory, ...extra]);
const resume = (l: LabFile) => runCli(cli.file, ['resume', '--state-dir', join(l.dir, '.crosskey')]);

async function assertMigrated(t: import('ava').ExecutionContext, l: LabFile, follower: unknown): Promise<void> {
  for (const [node, info] of Object.entries(await remoteInfoPerNode(l))) {
    t.true(info.connected, `${node} connected`);
    t.is(info.cluster_credentials, '::es_redacted::', `${node} uses the API key`);
  }
  t.is((await activeKeys(l)).length, 1, 'exactly one active cross-cluster API key');
  t.deepEqual(await followerInfo(l), follower, 'the custom follower is resumed with its parameters');
  const status = labStatus(l.dir);
  t.deepEqual(
    status.clusters.map((c) => [c.name, c.counters.disruptions]),
    [
      ['local', 0],
      ['remote', 0],
    ],
    JSON.stringify(status.clusters.map((c) => c.counters.disruption_log)),
  );
}

// The keystore the remote-server phase changes is restored with elasticsearch.yml (it holds the HTTP certificate's
// password: a node restored without it cannot start).
test.serial(
  'remote node fails to start mid-roll: restored, exit 2, green; resume after clearing completes; no secret in any argv',
  async (t) => {
    const argv = sampleArgv(50);
    const l = await testLab(t, { esVersion: '8.15.0' });
    const follower = await followerInfo(l);
    const remote = clusterOf(l, 'remote');
    const remote2 = remote.nodes.find((n) => n.name === 'remote-2')!;
    const ymlBefore = readFileSync(join(remote2.configDir, 'elasticsearch.yml'), 'utf8');

    const pre = await run(l, '--tags', 'preflight');
    t.is(pre.code, 0, pre.stderr + pre.stdout.slice(-2000));
    await labFault(l.dir, 'remote-2', 'fail-start', {});

    const roll = await run(l, '--tags', 'remote-server');
    t.is(roll.code, 2, roll.stderr + roll.stdout.slice(-3000));
    t.regex(roll.stdout + roll.stderr, /remote-2/);
    // Restored: the failed node runs again with the configuration it had, and the cluster is green.
    t.is(
      readFileSync(join(remote2.configDir, 'elasticsearch.yml'), 'utf8'),
      ymlBefore,
      'remote-2 elasticsearch.yml restored',
    );
    const health = await labGet(l, remote, '/_cluster/health');
    t.is(health.status, 'green');
    t.is(health.number_of_nodes, remote.nodes.length);

    await labFault(l.dir, 'remote-2', 'fail-start', { clear: true });
    const resumed = await resume(l);
    t.is(resumed.code, 0, resumed.stderr + resumed.stdout.slice(-3000));
    // The rest of the migration (the stopped run covered only remote-server).
    const rest = await run(l);
    t.is(rest.code, 0, rest.stderr + rest.stdout.slice(-3000));
    await assertMigrated(t, l, follower);
    // remote-1 restarted once; remote-2 once successfully (its failed start is a G2 without G3 in the first run).
    const restarts = restartsFromJournal(journalEvents(l));
    t.is(restarts['remote-1'], 1, JSON.stringify(restarts));
    t.is(restarts['remote-2'], 1, JSON.stringify(restarts));

    const seen = argv.stop();
    const secrets = await labSecrets(l);
    t.true(secrets.length >= 5, 'passwords, certificate password, encoded key, key secret');
    t.true(
      seen.some((a) => a.includes('lab-node.mjs')),
      'the sampler saw the lab nodes (it really sampled)',
    );
    for (const s of secrets) {
      t.false(
        seen.some((a) => a.includes(s)),
        'a secret appeared in a process argv',
      );
      t.false(
        (pre.stdout + roll.stdout + roll.stderr + resumed.stdout + rest.stdout + journalText(l)).includes(s),
        'a secret in output or journal',
      );
    }
  },
);

test.serial(
  '9443 blocked on a remote node (G5): that node restored, the next one untouched, exit 2, green; resume after opening it completes',
  async (t) => {
    const l = await testLab(t, { esVersion: '8.15.0' });
    const follower = await followerInfo(l);
    const remote = clusterOf(l, 'remote');
    const pre = await run(l, '--tags', 'preflight');
    t.is(pre.code, 0, pre.stderr + pre.stdout.slice(-2000));
    // The first node the roll restarts (non-master-eligible first, the elected master last).
    const master = (await labGet(l, remote, '/_cat/master?format=json'))[0].node as string;
    const first = remote.nodes.map((n) => n.name).find((n) => n !== master)!;
    const ymlBefore = readFileSync(
      join(remote.nodes.find((n) => n.name === first)!.configDir, 'elasticsearch.yml'),
      'utf8',
    );
    await labFault(l.dir, first, 'block-rcs', {});

    const roll = await run(l, '--tags', 'remote-server');
    t.is(roll.code, 2, roll.stderr + roll.stdout.slice(-3000));
    t.regex(
      roll.stdout,
      new RegExp(`${first}: node ${first} came back but failed its check after the restart: .*:9443 does not answer`),
    );
    t.is(
      readFileSync(join(remote.nodes.find((n) => n.name === first)!.configDir, 'elasticsearch.yml'), 'utf8'),
      ymlBefore,
      `${first} elasticsearch.yml restored`,
    );
    const health = await labGet(l, remote, '/_cluster/health');
    t.is(health.status, 'green');
    t.is(health.number_of_nodes, remote.nodes.length);
    const failed = journalEvents(l).filter((e) => e.kind === 'rolling_restart.node_failed');
    t.deepEqual(
      failed.map((e) => [e.host, e.gate]),
      [[first, 'G5']],
    );
    t.false(master in restartsFromJournal(journalEvents(l)), 'the next node was not restarted');

    await labFault(l.dir, first, 'block-rcs', { clear: true });
    const resumed = await resume(l);
    t.is(resumed.code, 0, resumed.stderr + resumed.stdout.slice(-3000));
    const rest = await run(l);
    t.is(rest.code, 0, rest.stderr + rest.stdout.slice(-3000));
    await assertMigrated(t, l, follower);
  },
);

test.serial(
  'SSH dropped before the remote-server phase: run stops as unreachable (exit 4); resume after clearing completes',
  async (t) => {
    const l = await testLab(t, { esVersion: '8.15.0' });
    const follower = await followerInfo(l);
    const pre = await run(l, '--tags', 'preflight');
    t.is(pre.code, 0, pre.stderr + pre.stdout.slice(-2000));
    await labFault(l.dir, 'remote-2', 'drop-ssh', {});

    const stopped = await run(l);
    t.is(stopped.code, 4, stopped.stderr + stopped.stdout.slice(-3000));
    t.regex(stopped.stdout + stopped.stderr, /remote-2[\s\S]*unreachable|unreachable[\s\S]*remote-2/i);
    // Nothing on the local side moved yet: the alias is still certificate-based and connected.
    for (const [node, info] of Object.entries(await remoteInfoPerNode(l))) {
      t.true(info.connected, node);
      t.false('cluster_credentials' in info, node);
    }

    await labFault(l.dir, 'remote-2', 'drop-ssh', { clear: true });
    const resumed = await resume(l);
    t.is(resumed.code, 0, resumed.stderr + resumed.stdout.slice(-3000));
    await assertMigrated(t, l, follower);
  },
);
