// The migration end to end, through the bundled CLI over real OpenSSH hosts against the lab:
// 8.15 (reload path) and 8.12 (restart path), idempotence, rollback, secrets, and a controller killed mid-switch
// that `crosskey resume` brings to the same end state. Restarts are counted from the nodes' own logs.
import test from 'ava';
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { labUp } from '../../lab/up.js';
import { labDown, labStatus } from '../../lab/ops.js';
import type { LabFile } from '../../lab/layout.js';
import { REMOTE_ALIAS } from '../../lab/setup/initial-state.js';
import { bundleCli, runCli, ROOT } from './cli-bundle.js';
import { journalEvents, sampleArgv } from '../helpers/lab.js';
import {
  changedCount,
  cluster,
  get,
  journals,
  lab,
  remoteInfo,
  runPlaybook,
  startsNow,
  startsOf,
} from '../helpers/migration.js';
import { encodedForms } from '../../controller/secrets.js';

let cli: { file: string; remove(): void };
test.before(async () => {
  cli = await bundleCli();
});
test.after.always(() => cli?.remove());

const run = (l: LabFile, playbook: string, ...extra: string[]) => runPlaybook(cli.file, l, playbook, ...extra);

/** The secrets of a lab: tool passwords, the certificate password, and the encoded API key from a local keystore. */
async function labSecrets(l: LabFile): Promise<string[]> {
  const creds = join(l.dir, 'credentials');
  const files = readdirSync(creds)
    .map((f) => readFileSync(join(creds, f), 'utf8').trim())
    .filter((s) => s.length >= 6);
  const n = cluster(l, 'local').nodes[0]!;
  const key = await new Promise<string>((res, rej) => {
    const p = spawn(
      join(n.home, 'bin', 'elasticsearch-keystore'),
      ['show', `cluster.remote.${REMOTE_ALIAS}.credentials`],
      { env: { ...process.env, ES_PATH_CONF: n.configDir, ES_HOME: n.home } },
    );
    let out = '';
    p.stdout.on('data', (d) => (out += d));
    p.on('error', rej);
    p.on('close', (code) => (code === 0 ? res(out.trim()) : rej(new Error(`keystore show exited ${code}`))));
  });
  const [id, apiKey] = Buffer.from(key, 'base64').toString('utf8').split(':');
  return [...files, key, apiKey!].filter((s) => s && s.length >= 6 && s !== id);
}

async function followerParameters(l: LabFile): Promise<unknown> {
  const info = await get(l, cluster(l, 'local'), '/leader-custom-follower/_ccr/info');
  return info.follower_indices[0];
}

/** Every file under `dir` whose name ends with `suffix` (the nodes' logs, state files). */
function filesUnder(dir: string, suffix: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile() && e.name.endsWith(suffix))
    .map((e) => join(e.parentPath, e.name));
}

// A certificate password an operator might really choose: quotes, a backslash, shell and URL metacharacters and a
// base64-looking tail — each one a form that a naive redaction (before JSON-escaping, or only the raw text) misses.
const HOSTILE_CERT_PASSWORD = `q"u\\o'te $HOME %41&x=<b> QUJDRA==+/`;
const SWEEP_TOKEN = 'first line\nsecond ünïcødé "quoted" \\ back QUJDREVGR0g=';

test.serial(
  '8.15: migrate (reload path), second run changes nothing, no secret in any form in any sink, rollback to certificates',
  async (t) => {
    const l = await lab(t, '8.15.0');
    writeFileSync(join(l.dir, 'credentials', 'rcs-cert-password'), HOSTILE_CERT_PASSWORD + '\n', { mode: 0o600 });
    const before = await followerParameters(l);
    t.like(before, { status: 'active' });
    const base = startsNow(l);

    const argv = sampleArgv(25);
    // A secret given on the command line (-e, JSON): a newline, unicode, quotes, a backslash and a base64-looking
    // tail. It is the operator's own argv, so only the other sinks are swept for it.
    const first = await run(l, 'migrate.yml', '--json', '-e', JSON.stringify({ crosskey_sweep_token: SWEEP_TOKEN }));
    t.is(first.code, 0, first.stderr + first.stdout.slice(-3000));
    for (const [node, info] of Object.entries(await remoteInfo(l))) {
      t.true(info.connected, node);
      t.is(info.cluster_credentials, '::es_redacted::', node);
    }
    const status = labStatus(l.dir);
    t.deepEqual(
      status.clusters.map((c) => [c.name, c.counters.disruptions]),
      [
        ['local', 0],
        ['remote', 0],
      ],
      JSON.stringify(status.clusters.map((c) => c.counters.disruption_log)),
    );
    t.deepEqual(await followerParameters(l), before, 'the follower with custom parameters is resumed with them');
    const transforms = await get(l, cluster(l, 'local'), '/_transform/_all/_stats');
    t.true(
      transforms.transforms.every((x: { state: string }) => x.state === 'started' || x.state === 'indexing'),
      JSON.stringify(transforms.transforms.map((x: { id: string; state: string }) => [x.id, x.state])),
    );
    for (const n of cluster(l, 'remote').nodes) t.is(startsOf(n) - base.get(n.name)!, 1, `${n.name} restarts`);
    for (const n of cluster(l, 'local').nodes) t.true(startsOf(n) - base.get(n.name)! <= 1, `${n.name} restarts`);
    // G5: every remote node's remote cluster server port answered before the next node went down.
    const g5 = journalEvents(l).filter((e) => e.kind === 'rolling_restart.gate' && e.gate === 'G5');
    t.deepEqual(
      g5.map((e) => e.host).sort(),
      cluster(l, 'remote')
        .nodes.map((n) => n.name)
        .sort(),
    );
    for (const e of g5) t.regex(String(e.checked), /:9443 answers$/);
    const keys = await get(
      l,
      cluster(l, 'remote'),
      `/_security/api_key?name=crosskey-${REMOTE_ALIAS}&active_only=true`,
    );
    t.is(keys.api_keys.length, 1);

    const second = await run(l, 'migrate.yml', '--json');
    t.is(second.code, 0, second.stderr);
    t.is(changedCount(second), 0, 'a second run changes nothing');

    const report = await runCli(cli.file, [
      'report',
      '--state-dir',
      join(l.dir, '.crosskey'),
      '--html',
      join(l.dir, 'report.html'),
    ]);
    t.is(report.code, 0, report.stderr);
    const reportJson = await runCli(cli.file, ['report', '--state-dir', join(l.dir, '.crosskey'), '--json']);
    t.is(reportJson.code, 0, reportJson.stderr);
    const secrets = await labSecrets(l);
    t.true(secrets.length >= 4);
    t.true(secrets.includes(HOSTILE_CERT_PASSWORD), 'the planted certificate password is among the secrets checked');

    const back = await run(l, 'rollback.yml');
    t.is(back.code, 0, back.stderr + back.stdout.slice(-3000));
    const processes = argv.stop();

    // The sweep: every sink, every form (as is, JSON-escaped once and twice, URL-encoded, hex, base64 and base64url at
    // each alignment) of every secret. Sinks: human output (rollback) and --json (migrations), the journals, the saved
    // state, the report as text, JSON and HTML, every node's log, and the argv of every process seen during the runs.
    const sinks: Record<string, string> = {
      'first run (--json)': first.stdout + first.stderr,
      'second run (--json)': second.stdout + second.stderr,
      'rollback (human)': back.stdout + back.stderr,
      journals: journals(l),
      'saved state': filesUnder(join(l.dir, '.crosskey'), '.json')
        .map((f) => readFileSync(f, 'utf8'))
        .join('\n'),
      'report (text)': report.stdout,
      'report (json)': reportJson.stdout,
      'report (html)': readFileSync(join(l.dir, 'report.html'), 'utf8'),
      'node logs': filesUnder(join(l.dir, 'clusters'), '.log')
        .map((f) => readFileSync(f, 'utf8'))
        .join('\n'),
      'process argv': processes.join('\n'),
    };
    t.true(sinks['node logs']!.length > 0 && processes.length > 10, 'the sinks were read');
    const leaks: string[] = [];
    for (const s of [...secrets, SWEEP_TOKEN]) {
      for (const form of encodedForms(s).filter((f) => f.length >= 6)) {
        for (const [sink, text] of Object.entries(sinks)) {
          if (s === SWEEP_TOKEN && sink === 'process argv') continue;
          if (text.includes(form)) leaks.push(`${sink}: a form of a secret (${form.length} chars)`);
        }
      }
    }
    t.deepEqual(leaks, [], 'a secret leaked');
    for (const [node, info] of Object.entries(await remoteInfo(l))) {
      t.true(info.connected, node);
      t.false('cluster_credentials' in info, node);
    }
    t.deepEqual(await followerParameters(l), before);
    t.deepEqual(
      labStatus(l.dir).clusters.map((c) => c.counters.disruptions),
      [0, 0],
    );
  },
);

test.serial('8.12: migrate (restart path): one restart per remote node, at most one per local node', async (t) => {
  const l = await lab(t, '8.12.2');
  const base = startsNow(l);
  const r = await run(l, 'migrate.yml');
  t.is(r.code, 0, r.stderr + r.stdout.slice(-3000));
  for (const [node, info] of Object.entries(await remoteInfo(l))) {
    t.true(info.connected, node);
    t.is(info.cluster_credentials, '::es_redacted::', node);
  }
  for (const n of cluster(l, 'remote').nodes) t.is(startsOf(n) - base.get(n.name)!, 1, `${n.name} restarts`);
  for (const n of cluster(l, 'local').nodes) t.is(startsOf(n) - base.get(n.name)!, 1, `${n.name} restarts`);
  t.deepEqual(
    labStatus(l.dir).clusters.map((c) => c.counters.disruptions),
    [0, 0],
  );
});

// Kill points: a journal substring; the controller is killed (SIGKILL) as soon as it appears.
const KILL_POINTS: Array<[string, string]> = [
  ["in the remote cluster's rolling restart, a node stopped", '"gate":"G2"'],
  [
    'right after the API key was created (its secret dies with the process)',
    '"remote cluster client TLS settings in elasticsearch.yml"',
  ],
  [
    'while the tasks are being paused',
    '"pause transforms, datafeeds and jobs, auto-follow patterns and followers (state saved)"',
  ],
  ['between removing the alias and re-adding it', '"reload secure settings on every node"'],
  ['while the tasks are being resumed', '"resume transforms, jobs and datafeeds, auto-follow patterns and followers"'],
];

for (const [label, marker] of KILL_POINTS) {
  test.serial(`controller killed ${label}: resume reaches the same end state`, async (t) => {
    const l = await lab(t, '8.15.0');
    const before = await followerParameters(l);
    const runs = join(l.dir, '.crosskey', 'runs');
    const child = spawn(
      process.execPath,
      [cli.file, 'run', join(ROOT, 'playbooks', 'migrate.yml'), '-i', l.inventory, '--json'],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let output = '';
    child.stdout.on('data', (b: Buffer) => (output = (output + b.toString()).slice(-4000)));
    child.stderr.on('data', (b: Buffer) => (output = (output + b.toString()).slice(-4000)));
    const journalText = (): string =>
      existsSync(runs)
        ? readdirSync(runs)
            .map((f) => readFileSync(join(runs, f), 'utf8'))
            .join('')
        : '';
    await new Promise<void>((res, rej) => {
      const timer = setInterval(() => {
        if (journalText().includes(marker)) {
          clearInterval(timer);
          child.kill('SIGKILL');
          res();
        }
      }, 20);
      child.on('exit', (code) => {
        clearInterval(timer);
        // Say which way it went wrong: the run failed before the marker, or it passed the marker between two looks.
        const seen = journalText().includes(marker);
        rej(
          new Error(
            `the run ended (exit ${code}) before the kill point ${marker}; marker ${seen ? 'was' : 'was never'} written\n${output}`,
          ),
        );
      });
    });
    await new Promise((r) => child.once('close', r));
    if (marker === '"gate":"G2"') {
      // The killed controller may or may not have asked for the start already: make it the worse case, the node
      // left stopped (the resumed run must start it before planning around it).
      const host = journalEvents(l).find((e) => e.kind === 'rolling_restart.gate' && e.gate === 'G2')!.host as string;
      const node = cluster(l, 'remote').nodes.find((n) => n.name === host)!;
      execFileSync(join(node.home, 'bin', 'elasticsearch-service'), ['stop'], { stdio: 'ignore' });
      const other = cluster(l, 'remote').nodes.find((n) => n.name !== host)!;
      t.false(
        JSON.stringify(
          await get(l, cluster(l, 'remote'), '/_cat/nodes?format=json', `https://${other.address}:9200`),
        ).includes(`"${host}"`),
        `${host} is down`,
      );
    }
    const resumed = await runCli(cli.file, ['resume', '--state-dir', join(l.dir, '.crosskey')]);
    t.is(resumed.code, 0, resumed.stderr + resumed.stdout.slice(-3000));
    for (const [node, info] of Object.entries(await remoteInfo(l))) {
      t.true(info.connected, node);
      t.is(info.cluster_credentials, '::es_redacted::', node);
    }
    const keys = await get(
      l,
      cluster(l, 'remote'),
      `/_security/api_key?name=crosskey-${REMOTE_ALIAS}&active_only=true`,
    );
    t.is(keys.api_keys.length, 1, 'exactly one active key');
    t.deepEqual(await followerParameters(l), before, 'paused tasks resumed once, with their parameters');
    const transforms = await get(l, cluster(l, 'local'), '/_transform/_all/_stats');
    t.true(transforms.transforms.every((x: { state: string }) => x.state === 'started' || x.state === 'indexing'));
  });
}

test.serial('the static (elasticsearch.yml) alias migrates too', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'ck-migrate-static-'));
  t.teardown(async () => {
    if (existsSync(join(dir, 'lab.json'))) await labDown(dir).catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
  });
  const l = (await labUp({ dir, nodes: 2, staticRemote: true, ssh: 'openssh', startDelayMs: 300, recoveryMs: 300 }))
    .lab;
  const base = startsNow(l);
  const r = await run(l, 'migrate.yml');
  t.is(r.code, 0, r.stderr + r.stdout.slice(-3000));
  for (const [node, info] of Object.entries(await remoteInfo(l))) {
    t.true(info.connected, node);
    t.is(info.cluster_credentials, '::es_redacted::', node);
  }
  for (const n of cluster(l, 'local').nodes) {
    t.regex(
      readFileSync(join(n.configDir, 'elasticsearch.yml'), 'utf8'),
      /cluster\.remote\.my_remote\.seeds: \[[^\]]*:9443/,
    );
    t.is(startsOf(n) - base.get(n.name)!, 1, `${n.name} restarts`);
  }
  t.deepEqual(
    labStatus(l.dir).clusters.map((c) => c.counters.disruptions),
    [0, 0],
  );
  const again = await run(l, 'migrate.yml', '--json');
  t.is(changedCount(again), 0);
});
