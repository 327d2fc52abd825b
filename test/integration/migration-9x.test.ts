// The migration on Elasticsearch 9.3 (the lab's 9.x: deprecation log, keystore details in the reload answer),
// through the bundled CLI over real OpenSSH hosts: certificate trust refused while the deprecation logs show
// certificate connections and allowed after the switch; every node loaded exactly the keystore crosskey staged;
// rotation and rollback; a keystore that differs on one node, or a node that loaded another keystore file, stops the
// switch with the alias back on certificates.
import test from 'ava';
import { cpSync, readFileSync, writeFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import type { LabFile } from '../../lab/layout.js';
import { REMOTE_ALIAS } from '../../lab/setup/initial-state.js';
import { bundleCli, runCli, type CliResult } from './cli-bundle.js';
import { journalEvents } from '../helpers/lab.js';
import { changedCount, cluster, get, journals, lab, remoteInfo, runPlaybook } from '../helpers/migration.js';
import { labHttp } from '../../lab/http-client.js';
import { createCaAsync, issueCertAsync, loadCa } from '../../controller/certs/index.js';

let cli: { file: string; remove(): void };
test.before(async () => {
  cli = await bundleCli();
});
test.after.always(() => cli?.remove());

const run = (l: LabFile, playbook: string, ...extra: string[]) => runPlaybook(cli.file, l, playbook, ...extra);
const out = (r: CliResult) => r.stdout + r.stderr;
const CREDENTIALS = `cluster.remote.${REMOTE_ALIAS}.credentials`;

/** Every local node's keystore names, read with the lab's own keystore tool. */
function keystoreNames(l: LabFile): Record<string, string[]> {
  const names: Record<string, string[]> = {};
  for (const n of cluster(l, 'local').nodes)
    names[n.name] = execFileSync(join(n.home, 'bin', 'elasticsearch-keystore'), ['list'], {
      env: { ...process.env, ES_PATH_CONF: n.configDir, ES_HOME: n.home },
      encoding: 'utf8',
    })
      .split('\n')
      .filter(Boolean);
  return names;
}

async function onCertificates(t: import('ava').ExecutionContext, l: LabFile) {
  for (const [node, info] of Object.entries(await remoteInfo(l))) {
    t.true(info.connected, `${node} connected`);
    t.is(info.cluster_credentials, undefined, `${node} on certificates`);
  }
  for (const [node, names] of Object.entries(keystoreNames(l)))
    t.false(names.includes(CREDENTIALS), `${node}: no credential left in the keystore`);
}

test.serial(
  '9.3: trust removal refused before the switch; each node loaded the staged keystore; rotation; rollback; trust removal allowed after, then rollback refused',
  async (t) => {
    const l = await lab(t, '9.3.0');
    const refused = await run(l, 'disable-cert-trust.yml');
    t.is(refused.code, 2, out(refused));
    t.regex(out(refused), /local-1: certificate-based connection to my_remote at \S+ \(.*local_deprecation\.json\)/);
    t.regex(out(refused), /no switch to API keys on record/);

    const migrated = await run(l, 'migrate.yml', '--json');
    t.is(migrated.code, 0, out(migrated).slice(-3000));
    for (const [node, info] of Object.entries(await remoteInfo(l)))
      t.is(info.cluster_credentials, '::es_redacted::', node);
    const reload = journalEvents(l).find(
      (e) => e.kind === 'host_result' && e.module === 'es_reload_secure_settings' && e.status === 'changed',
    )!;
    const keystores = (
      reload.result as { keystores: Array<{ node: string; names: string[]; matches_staged: boolean }> }
    ).keystores;
    t.deepEqual(
      keystores.map((k) => k.node).sort(),
      cluster(l, 'local').nodes.map((n) => n.name),
    );
    for (const k of keystores) {
      t.true(k.matches_staged, `${k.node} loaded the file crosskey staged`);
      t.true(k.names.includes(CREDENTIALS), k.node);
    }

    const again = await run(l, 'migrate.yml', '--json');
    t.is(again.code, 0, out(again).slice(-3000));
    t.is(changedCount(again), 0);

    const activeKeys = async () =>
      (await get(l, cluster(l, 'remote'), '/_security/api_key?active_only=true')).api_keys
        .map((k: { id: string }) => k.id)
        .sort();
    const keyBefore = await activeKeys();
    const rotated = await run(l, 'rotate-key.yml');
    t.is(rotated.code, 0, out(rotated).slice(-3000));
    t.notDeepEqual(await activeKeys(), keyBefore);
    for (const [node, info] of Object.entries(await remoteInfo(l))) {
      t.true(info.connected, node);
      t.is(info.cluster_credentials, '::es_redacted::', node);
    }

    const back = await run(l, 'rollback.yml');
    t.is(back.code, 0, out(back).slice(-3000));
    await onCertificates(t, l);

    const remigrated = await run(l, 'migrate.yml');
    t.is(remigrated.code, 0, out(remigrated).slice(-3000));
    const removal = await run(l, 'disable-cert-trust.yml', '--json');
    t.is(removal.code, 0, out(removal).slice(-3000));
    const evidence = removal.stdout
      .split('\n')
      .filter((line) => line.includes('"es_cert_trust_evidence"') && line.includes('"host_result"'))
      .map((line) => JSON.parse(line).result)[0];
    t.like(evidence, { supported: true, problems: [] });
    t.is(evidence.nodes.length, 2);
    // Both nodes connected with certificates at their start, before the switch: seen, and older than the switch.
    for (const n of evidence.nodes) t.true(n.last_certificate_connection < evidence.rcs2_since, JSON.stringify(n));

    // With the transport port closed to other clusters a certificate-based alias cannot connect: rollback refuses.
    const settingsBefore = await get(l, cluster(l, 'local'), '/_cluster/settings?flat_settings=true');
    const noWayBack = await run(l, 'rollback.yml');
    t.is(noWayBack.code, 2, out(noWayBack).slice(-3000));
    t.regex(out(noWayBack), /denies transport connections from other clusters/);
    t.deepEqual(await get(l, cluster(l, 'local'), '/_cluster/settings?flat_settings=true'), settingsBefore);
    for (const [node, info] of Object.entries(await remoteInfo(l)))
      t.is(info.cluster_credentials, '::es_redacted::', node);
  },
);

test.serial(
  '9.3: a keystore that differs on one node stops the switch before the alias moves; fixed, resume completes',
  async (t) => {
    const l = await lab(t, '9.3.0');
    const odd = cluster(l, 'local').nodes[1]!;
    const ks = (args: string[], input?: string) =>
      execFileSync(join(odd.home, 'bin', 'elasticsearch-keystore'), args, {
        env: { ...process.env, ES_PATH_CONF: odd.configDir, ES_HOME: odd.home },
        ...(input !== undefined ? { input } : {}),
      });
    ks(['add', '--stdin', 's3.client.default.secret_key'], 'not-the-same-everywhere');
    const before = await get(l, cluster(l, 'local'), '/_cluster/settings?flat_settings=true');

    // inspect sees it first: the odd keystore named, and each 9.x node's certificate connections from its log.
    const seen = await runCli(cli.file, ['inspect', '-i', l.inventory, '--json']);
    t.is(seen.code, 0, out(seen).slice(-2000));
    const report = JSON.parse(seen.stdout);
    const local = report.clusters.find((c: { group: string }) => c.group === 'local');
    t.false(local.keystores.consistent);
    t.deepEqual(local.keystores.problems, [
      `${odd.name}: keystore has s3.client.default.secret_key that the other nodes do not`,
    ]);
    for (const h of report.hosts.filter((x: { cluster: string }) => x.cluster === 'local')) {
      t.true(h.ssh.certificateConnections.aliases[REMOTE_ALIAS].count >= 1, h.host);
      t.regex(h.ssh.keystore.sha256, /^[0-9a-f]{64}$/);
    }
    t.false(seen.stdout.includes('not-the-same-everywhere'));

    const r = await run(l, 'migrate.yml');
    t.is(r.code, 2, out(r).slice(-3000));
    t.true(
      out(r).includes(`${odd.name}: keystore has s3.client.default.secret_key that the other nodes do not`),
      out(r).slice(-3000),
    );
    t.false(out(r).includes('not-the-same-everywhere'));
    t.deepEqual(await get(l, cluster(l, 'local'), '/_cluster/settings?flat_settings=true'), before);
    await onCertificates(t, l);

    ks(['remove', 's3.client.default.secret_key']);
    const resumed = await runPlaybook(cli.file, l, 'migrate.yml');
    t.is(resumed.code, 0, out(resumed).slice(-3000));
    for (const [node, info] of Object.entries(await remoteInfo(l)))
      t.is(info.cluster_credentials, '::es_redacted::', node);
  },
);

test.serial(
  '9.3: a node that loaded another keystore file than the one staged stops the switch (keystore_digest)',
  async (t) => {
    const l = await lab(t, '9.3.0');
    const r1 = await run(l, 'migrate.yml', '--tags', 'preflight,remote-server,api-key,local-client,roles,stop-tasks');
    t.is(r1.code, 0, out(r1).slice(-3000));
    // The inventory now sends crosskey to a copy of the node's config folder: what it stages there, the node never loads.
    const odd = cluster(l, 'local').nodes[1]!;
    const copy = `${odd.configDir}-copy`;
    cpSync(odd.configDir, copy, { recursive: true });
    const inv = readFileSync(l.inventory, 'utf8');
    t.true(inv.includes(`es_config: ${odd.configDir}\n`));
    writeFileSync(l.inventory, inv.replace(`es_config: ${odd.configDir}\n`, `es_config: ${copy}\n`));

    const r = await run(l, 'migrate.yml', '--tags', 'switch');
    t.is(r.code, 2, out(r).slice(-3000));
    t.regex(out(r), new RegExp(`${odd.name}: keystore lacks ${CREDENTIALS.replaceAll('.', '\\.')}`));
    t.regex(
      out(r),
      new RegExp(
        `${odd.name}: Elasticsearch loaded keystore \\S+ \\(sha256 [0-9a-f]{12}…\\), not the file crosskey staged`,
      ),
    );
    await onCertificates(t, l);
  },
);

/** Cross-cluster search through the alias from one local node (size 0): the status and the text of the answer. */
async function searchThrough(l: LabFile, nodeAddress: string): Promise<{ status: number; text: string }> {
  const c = cluster(l, 'local');
  const r = await labHttp(
    { url: `https://${nodeAddress}:9200`, user: c.user, passwordFile: c.passwordFile, caCert: l.caCert },
    'GET',
    `/${REMOTE_ALIAS}:logs-*/_search?size=0`,
  );
  return { status: r.status, text: r.text };
}

test.serial(
  '9.3 strong identity: signed requests accepted; a foreign or wrongly named signing certificate refused; rotation keeps the identity',
  async (t) => {
    const l = await lab(t, '9.3.0');
    const on = ['-e', 'crosskey_strong_identity=true'];
    const r = await run(l, 'migrate.yml', ...on);
    t.is(r.code, 0, out(r).slice(-3000));
    for (const [node, info] of Object.entries(await remoteInfo(l)))
      t.is(info.cluster_credentials, '::es_redacted::', node);
    const keys = async () =>
      (await get(l, cluster(l, 'remote'), '/_security/api_key?active_only=true')).api_keys as Array<{
        id: string;
        certificate_identity?: string;
      }>;
    t.deepEqual(
      (await keys()).map((k) => k.certificate_identity),
      ['^CN=crosskey-signing\\.local$'],
    );
    const trust = await get(l, cluster(l, 'remote'), '/_cluster/settings?flat_settings=true');
    t.deepEqual(trust.persistent['cluster.remote.signing.certificate_authorities'], ['crosskey-signing-ca.crt']);
    const node = cluster(l, 'local').nodes[0]!;
    t.is((await searchThrough(l, node.address)).status, 200);

    const again = await run(l, 'migrate.yml', ...on, '--json');
    t.is(again.code, 0, out(again).slice(-3000));
    t.is(changedCount(again), 0);
    // The signing key never reaches an output or a journal (a line of its PEM body stands for it).
    const keyPem = readFileSync(join(l.dir, 'rcs-ca', 'signing', 'crosskey-signing.local.key'), 'utf8');
    const keyLine = keyPem.split('\n')[3]!;
    t.true(keyLine.length > 40);
    for (const [sink, text] of [
      ['migrate output', out(r)],
      ['second run --json', out(again)],
      ['journals', journals(l)],
    ] as const)
      t.false(text.includes(keyLine), `signing key in ${sink}`);

    // The node signs with a certificate from another CA (same name): the remote does not trust the signature.
    const certFile = join(node.configDir, 'crosskey-signing.crt');
    const keyFile = join(node.configDir, 'crosskey-signing.key');
    const foreignCa = await createCaAsync({ dn: 'CN=Someone Else CA' });
    const foreign = await issueCertAsync({ ca: foreignCa, name: 'crosskey-signing.local', serverAndClientAuth: true });
    writeFileSync(certFile, foreign.certPem);
    writeFileSync(keyFile, foreign.keyPem);
    const refused = await searchThrough(l, node.address);
    t.not(refused.status, 200, refused.text);
    t.regex(
      refused.text,
      /Failed to verify cross cluster api key signature certificate from \[\(CN=crosskey-signing\.local;X\.509;SHA1:[0-9a-f]{40}\)\]/,
    );

    // The right CA, another name: the key's certificate_identity does not match.
    const ca = loadCa(join(l.dir, 'rcs-ca'));
    const intruder = await issueCertAsync({ ca, name: 'intruder', serverAndClientAuth: true });
    writeFileSync(certFile, intruder.certPem);
    writeFileSync(keyFile, intruder.keyPem);
    const mismatch = await searchThrough(l, node.address);
    t.not(mismatch.status, 200);
    t.regex(
      mismatch.text,
      /DN from provided certificate \[CN=intruder\] does not match API Key certificate identity pattern/,
    );

    // A re-run puts the cluster's own signing files back.
    const repaired = await run(l, 'migrate.yml', ...on);
    t.is(repaired.code, 0, out(repaired).slice(-3000));
    t.is((await searchThrough(l, node.address)).status, 200);

    const rotated = await run(l, 'rotate-key.yml');
    t.is(rotated.code, 0, out(rotated).slice(-3000));
    t.deepEqual(
      (await keys()).map((k) => k.certificate_identity),
      ['^CN=crosskey-signing\\.local$'],
    );
    t.is((await searchThrough(l, node.address)).status, 200);

    const back = await run(l, 'rollback.yml', ...on);
    t.is(back.code, 0, out(back).slice(-3000));
    await onCertificates(t, l);
  },
);

test.serial('strong identity below 9.3 is refused before anything changes', async (t) => {
  const l = await lab(t, '9.1.0');
  const before = await get(l, cluster(l, 'remote'), '/_cluster/settings?flat_settings=true');
  const r = await run(l, 'migrate.yml', '-e', 'crosskey_strong_identity=true');
  t.is(r.code, 2, out(r).slice(-3000));
  t.regex(
    out(r),
    /crosskey_strong_identity needs Elasticsearch 9\.3\+ on both clusters \(local 9\.1\.0, remote 9\.1\.0\)/,
  );
  t.deepEqual(await get(l, cluster(l, 'remote'), '/_cluster/settings?flat_settings=true'), before);
  await onCertificates(t, l);
});
