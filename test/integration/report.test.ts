// `crosskey report` on a real run: `crosskey run` (the CLI, in-process) runs a small playbook against a lab
// (2 simulated nodes per cluster, real OpenSSH hosts): verify RCS1, a health-gated rolling restart of the local
// cluster (real service restarts over SSH), verify again. The report is then made from the journal by the CLI:
// every play, task and host, a restart per node with health, both verifications, and no lab password anywhere.
import test from 'ava';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { labCommand } from '../../lab/cli.js';
import { readKeystore } from '../../agent/keystore/format.js';
import { main } from '../../controller/cli/main.js';
import type { RunReport } from '../../controller/report/model.js';
import { closeAllClients } from '../../controller/elastic/client.js';

let labDir = '';
const quiet = { out: () => {}, err: (s: string) => process.stderr.write(s) };

async function crosskey(argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const out = new PassThrough();
  const err = new PassThrough();
  let stdout = '';
  let stderr = '';
  out.on('data', (d) => (stdout += d));
  err.on('data', (d) => (stderr += d));
  const code = await main(argv, { stdout: out, stderr: err, stdin: new PassThrough(), env: {}, cwd: labDir });
  return { code, stdout, stderr };
}

function labSecrets(): string[] {
  const creds = join(labDir, 'credentials');
  const list = readdirSync(creds).map((f) => readFileSync(join(creds, f), 'utf8').trim());
  const ks = readKeystore(readFileSync(join(labDir, 'clusters/local/local-1/config/elasticsearch.keystore')));
  for (const [name, v] of ks.entries) if (name.endsWith('secure_password')) list.push(v.toString('utf8'));
  return list.filter((s) => s.length >= 4);
}

const PLAYBOOK = `
- name: preflight
  hosts: local
  gather_facts: false
  tasks:
    - name: every local node uses certificates
      es_remote_verify:
        alias: my_remote
        expect: rcs1
        timeout: 30
      run_once: true

- name: restart the local cluster
  hosts: local
  gather_facts: false
  tasks:
    - name: rolling restart of the local nodes
      es_rolling_restart:
        force: true
        min_status: green
      run_once: true
    - name: still certificates after the restart
      es_remote_verify:
        alias: my_remote
        expect: rcs1
        timeout: 60
      run_once: true
`;

test.before(async () => {
  labDir = mkdtempSync(join(tmpdir(), 'ck-report-'));
  const rc = await labCommand(['up', '--dir', labDir, '--nodes', '2'], quiet);
  if (rc !== 0) throw new Error(`lab up failed (${rc})`);
  writeFileSync(join(labDir, 'restart.yml'), PLAYBOOK);
});

test.after.always(async () => {
  await closeAllClients().catch(() => undefined);
  if (labDir && existsSync(join(labDir, 'lab.json'))) await labCommand(['down', '--dir', labDir], quiet);
  if (labDir) rmSync(labDir, { recursive: true, force: true });
});

test.serial('report of a real rolling-restart run: steps, per-node restarts with health, verification, no secret', async (t) => {
  const inv = join(labDir, 'inventory.yml');
  const run = await crosskey(['run', join(labDir, 'restart.yml'), '-i', inv, '--diff']);
  t.is(run.code, 0, run.stdout + run.stderr);

  const json = await crosskey(['report', '-i', inv, '--json']);
  t.is(json.code, 0, json.stderr);
  const r = JSON.parse(json.stdout) as RunReport;
  t.is(r.status, 'ok');
  t.deepEqual(r.plays.map((p) => p.name), ['preflight', 'restart the local cluster']);
  t.deepEqual(r.plays.flatMap((p) => p.tasks.map((x) => x.name)),
    ['every local node uses certificates', 'rolling restart of the local nodes', 'still certificates after the restart']);
  t.deepEqual(r.hosts.sort(), ['local-1', 'local-2']);

  // One restart per local node, each done, green before and after, in order (one node at a time).
  t.deepEqual(r.restarts.map((x) => x.host).sort(), ['local-1', 'local-2']);
  for (const x of r.restarts) {
    t.is(x.outcome, 'done', `${x.host}: ${x.note ?? ''}`);
    t.is(x.healthBefore, 'green');
    t.is(x.healthAfter, 'green');
    t.true(x.awayMs! >= 0 && x.totalMs! >= x.awayMs!);
  }
  const [a, b] = r.restarts;
  t.true(Date.parse(a!.greenAt!) <= Date.parse(b!.stopAt!), 'the second node stops only after the first is green again');
  t.true(r.changes.some((c) => c.action === 'restart' && /local-1/.test(c.target)));

  // Both verifications, every local node RCS1 and connected.
  t.is(r.verifications.length, 2);
  for (const v of r.verifications) {
    t.is(v.status, 'ok');
    t.deepEqual(v.nodes.map((n) => `${n.host}:${n.ok}:${n.model}:${n.connected}`).sort(), ['local-1:true:RCS1:true', 'local-2:true:RCS1:true']);
  }

  // Human text and the HTML file: every task and host; no lab password in any of them, nor in the journal.
  const htmlFile = join(labDir, 'change-record.html');
  const text = await crosskey(['report', '-i', inv, '--html', htmlFile]);
  t.is(text.code, 0);
  const html = readFileSync(htmlFile, 'utf8');
  for (const out of [text.stdout, html]) {
    for (const s of ['every local node uses certificates', 'rolling restart of the local nodes', 'still certificates after the restart', 'local-1', 'local-2', 'RCS1']) {
      t.true(out.includes(s), `report shows ${s}`);
    }
  }
  t.false(/<script|<link|\bsrc=|\bhref=/i.test(html), 'self-contained HTML');
  const journals = readdirSync(join(labDir, '.crosskey', 'runs')).map((f) => readFileSync(join(labDir, '.crosskey', 'runs', f), 'utf8'));
  for (const s of labSecrets()) {
    for (const out of [run.stdout, run.stderr, json.stdout, text.stdout, html, ...journals]) {
      t.false(out.includes(s), 'no lab password');
      t.false(out.includes(Buffer.from(s).toString('base64')), 'no lab password in base64');
    }
  }
});
