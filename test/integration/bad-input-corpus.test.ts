// The bad-input corpus: every hostile or mistaken input gets a clear error naming the file and line (or the host,
// flag or step), exit 1, and nothing is contacted (a TCP tripwire stands in for every host's SSH port and every
// cluster's HTTP port) and nothing is written (no journal, no lab). Two sources: the loader's fixtures in
// test/fixtures/bad-input/cases.json, and the cases below, which need a work folder (inventories with the
// tripwire's port, files with given modes). Add a case whenever a new bad input is found.
import test from 'ava';
import {
  chmodSync,
  existsSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
  mkdirSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { ROOT } from './cli-bundle.js';
import { inProcess, tripwire } from '../helpers/cli-io.js';

interface CliCase {
  id: string;
  /** Files to create in the work folder: text, or text with a mode. `{port}` becomes the tripwire's port, `{d}` the folder. */
  files?: Record<string, string | { text: string; mode: number }>;
  /** The command line; `{d}` is the work folder. */
  args: string[];
  /** What stderr must say (the file:line, host or flag, and the reason). */
  expect: RegExp;
  env?: Record<string, string>;
}

const PB_DEBUG = `- hosts: all\n  gather_facts: false\n  tasks:\n    - name: hello\n      debug: { msg: hi }\n      tags: [greet]\n`;
const PB_CLUSTER = `- hosts: local\n  gather_facts: false\n  tasks:\n    - name: read the cluster\n      es_preflight: { local_group: local, alias: my_remote }\n`;
const INV = `all:\n  hosts:\n    h1: { ansible_host: 127.0.0.1, ansible_port: {port} }\n`;
const clusterInv = (vars: string, extraHost = '') =>
  `all:\n  children:\n    local:\n      vars:\n${vars}      hosts:\n        l1: { ansible_host: 127.0.0.1, ansible_port: {port} }\n${extraHost}`;
const GOOD_CLUSTER_VARS = `        es_url: https://127.0.0.1:{port}\n        es_user: tool\n        es_password_file: {d}/pw.txt\n`;
const PW = { text: 'a-long-password\n', mode: 0o600 };

const CASES: CliCase[] = [
  // ---- CLI flags of run
  {
    id: 'flag/forks-negative',
    files: { 'pb.yml': PB_DEBUG, 'inv.yml': INV },
    args: ['run', 'pb.yml', '-i', 'inv.yml', '--forks', '-1'],
    expect: /--forks must be an integer 1\.\.1000, got '-1'/,
  },
  {
    id: 'flag/forks-word',
    files: { 'pb.yml': PB_DEBUG, 'inv.yml': INV },
    args: ['run', 'pb.yml', '-i', 'inv.yml', '-f', 'many'],
    expect: /--forks must be an integer 1\.\.1000, got 'many'/,
  },
  {
    id: 'flag/limit-bad-regex',
    files: { 'pb.yml': PB_DEBUG, 'inv.yml': INV },
    args: ['run', 'pb.yml', '-i', 'inv.yml', '--limit', '~['],
    expect: /^ERROR: invalid regular expression in host pattern '~\['/m,
  },
  {
    id: 'flag/state-dir-is-a-file',
    files: { 'pb.yml': PB_DEBUG, 'inv.yml': INV, afile: 'x' },
    args: ['run', 'pb.yml', '-i', 'inv.yml', '--state-dir', '{d}/afile'],
    expect: /state directory .*afile: .*afile exists and is not a directory/,
  },
  {
    id: 'flag/state-dir-under-a-file',
    files: { 'pb.yml': PB_DEBUG, 'inv.yml': INV },
    args: ['run', 'pb.yml', '-i', 'inv.yml', '--state-dir', '/etc/passwd'],
    expect: /\/etc\/passwd exists and is not a directory/,
  },
  {
    id: 'flag/unknown-tag',
    files: { 'pb.yml': PB_DEBUG, 'inv.yml': INV },
    args: ['run', 'pb.yml', '-i', 'inv.yml', '--tags', 'nosuchtag'],
    expect: /--tags: no task of .*pb\.yml is tagged 'nosuchtag'; its tags are: greet/,
  },
  {
    id: 'flag/unknown-skip-tag',
    files: { 'pb.yml': PB_DEBUG, 'inv.yml': INV },
    args: ['run', 'pb.yml', '-i', 'inv.yml', '--skip-tags', 'gret'],
    expect: /--skip-tags: no task .* tagged 'gret'/,
  },
  {
    id: 'flag/step-without-terminal',
    files: { 'pb.yml': PB_DEBUG, 'inv.yml': INV },
    args: ['run', 'pb.yml', '-i', 'inv.yml', '--step'],
    expect: /--step asks before each task on the terminal, but standard input is not a terminal/,
  },
  {
    id: 'flag/step-with-json',
    files: { 'pb.yml': PB_DEBUG, 'inv.yml': INV },
    args: ['run', 'pb.yml', '-i', 'inv.yml', '--step', '--json'],
    expect: /--step cannot be combined with --json/,
  },
  {
    id: 'flag/window-end-garbage',
    files: { 'pb.yml': PB_DEBUG, 'inv.yml': INV },
    args: ['run', 'pb.yml', '-i', 'inv.yml', '--window-end', 'teatime'],
    expect: /--window-end: /,
  },
  {
    id: 'flag/unknown-option',
    files: { 'pb.yml': PB_DEBUG, 'inv.yml': INV },
    args: ['run', 'pb.yml', '-i', 'inv.yml', '--chek'],
    expect: /unknown option '--chek' \(did you mean '--check'\?\)/,
  },
  {
    id: 'flag/two-playbooks',
    files: { 'pb.yml': PB_DEBUG, 'inv.yml': INV },
    args: ['run', 'pb.yml', 'pb.yml', '-i', 'inv.yml'],
    expect: /one playbook expected/,
  },
  {
    id: 'flag/extra-vars-file-missing',
    files: { 'pb.yml': PB_DEBUG, 'inv.yml': INV },
    args: ['run', 'pb.yml', '-i', 'inv.yml', '-e', '@nothere.yml'],
    expect: /extra vars file not found/,
  },
  {
    id: 'flag/resume-unknown-run',
    files: { 'inv.yml': INV },
    args: ['resume', 'nosuchrun', '-i', 'inv.yml'],
    expect: /no runs recorded in .*runs \(give -i INVENTORY or --state-dir/,
  },
  {
    id: 'flag/resume-no-runs-here',
    files: { 'inv.yml': INV, '.crosskey/runs/20260101T000000Z-abcdef.jsonl': '' },
    args: ['resume', 'nosuchrun', '-i', 'inv.yml'],
    expect: /no run nosuchrun in .*runs \(crosskey runs lists them\)/,
  },
  {
    id: 'flag/report-no-runs',
    files: { 'inv.yml': INV },
    args: ['report', '--state-dir', '{d}/.crosskey'],
    expect: /no runs recorded in .*\.crosskey\/runs \(give -i INVENTORY or --state-dir where the runs are\)/,
  },
  {
    id: 'flag/inventory-no-mode',
    files: { 'inv.yml': INV },
    args: ['inventory', '-i', 'inv.yml'],
    expect: /--list|--graph/,
  },
  {
    id: 'flag/inventory-missing',
    args: ['inventory', '-i', 'nothere.yml', '--list'],
    expect: /nothere\.yml.*inventory not found/,
  },
  { id: 'flag/inspect-no-inventory', args: ['inspect'], expect: /-i/ },
  { id: 'flag/unknown-command', args: ['migrate-everything'], expect: /unknown command 'migrate-everything'/ },
  // ---- inventories: clusters
  {
    id: 'inventory/host-in-two-clusters',
    files: {
      'pb.yml': PB_DEBUG,
      'pw.txt': PW,
      'inv.yml': `all:\n  children:\n    local:\n      vars: { es_url: "https://10.0.0.1:9200" }\n      hosts:\n        shared1: { ansible_host: 127.0.0.1, ansible_port: {port} }\n    remote:\n      vars: { es_url: "https://10.0.0.2:9200" }\n      hosts:\n        shared1:\n`,
    },
    args: ['run', 'pb.yml', '-i', 'inv.yml'],
    expect:
      /inv\.yml:6: host shared1 is in two cluster groups, "local" \(es_url https:\/\/10\.0\.0\.1:9200\) and "remote" \(es_url https:\/\/10\.0\.0\.2:9200\)/,
  },
  {
    id: 'inventory/cluster-without-es_url',
    files: { 'pb.yml': PB_CLUSTER, 'pw.txt': PW, 'inv.yml': clusterInv('        es_user: tool\n') },
    args: ['run', 'pb.yml', '-i', 'inv.yml'],
    expect: /inv\.yml:7: host l1 \(play "local"\): es_url is not set/,
  },
  {
    id: 'inventory/es_url-plain-http',
    files: { 'pb.yml': PB_CLUSTER, 'pw.txt': PW, 'inv.yml': clusterInv(GOOD_CLUSTER_VARS.replace('https:', 'http:')) },
    args: ['run', 'pb.yml', '-i', 'inv.yml', '--check'],
    expect:
      /host l1 .*es_url "http:\/\/127\.0\.0\.1:\d+" is plain http: the credentials would travel unencrypted\. Use https, or set es_allow_http: true/,
  },
  {
    id: 'inventory/es_url-not-a-url',
    files: {
      'pb.yml': PB_CLUSTER,
      'pw.txt': PW,
      'inv.yml': clusterInv(GOOD_CLUSTER_VARS.replace('https://127.0.0.1:{port}', 'es-prod-1')),
    },
    args: ['run', 'pb.yml', '-i', 'inv.yml'],
    expect: /host l1 .*es_url "es-prod-1" is not a URL/,
  },
  {
    id: 'inventory/es_url-ftp',
    files: { 'pb.yml': PB_CLUSTER, 'pw.txt': PW, 'inv.yml': clusterInv(GOOD_CLUSTER_VARS.replace('https:', 'ftp:')) },
    args: ['run', 'pb.yml', '-i', 'inv.yml'],
    expect: /host l1 .*scheme must be https/,
  },
  {
    id: 'inventory/no-es_user',
    files: { 'pb.yml': PB_CLUSTER, 'inv.yml': clusterInv('        es_url: https://127.0.0.1:{port}\n') },
    args: ['run', 'pb.yml', '-i', 'inv.yml'],
    expect: /host l1 .*es_user is not set/,
  },
  {
    id: 'inventory/password-file-missing',
    files: { 'pb.yml': PB_CLUSTER, 'inv.yml': clusterInv(GOOD_CLUSTER_VARS) },
    args: ['run', 'pb.yml', '-i', 'inv.yml'],
    expect: /host l1 .*es_password_file .*pw\.txt.*ENOENT/,
  },
  {
    id: 'inventory/password-file-loose',
    files: {
      'pb.yml': PB_CLUSTER,
      'pw.txt': { text: 'pw-for-everyone\n', mode: 0o644 },
      'inv.yml': clusterInv(GOOD_CLUSTER_VARS),
    },
    args: ['run', 'pb.yml', '-i', 'inv.yml'],
    expect: /host l1 .*es_password_file .*pw\.txt is readable by others \(mode 0644\): run 'chmod 600/,
  },
  {
    id: 'inventory/fingerprint-bad',
    files: {
      'pb.yml': PB_CLUSTER,
      'pw.txt': PW,
      'inv.yml': clusterInv(GOOD_CLUSTER_VARS + '        es_ca_fingerprint: "AB:CD"\n'),
    },
    args: ['run', 'pb.yml', '-i', 'inv.yml'],
    expect: /host l1 .*es_ca_fingerprint must be a SHA-256 fingerprint/,
  },
  {
    id: 'inventory/ca-cert-not-pem',
    files: {
      'pb.yml': PB_CLUSTER,
      'pw.txt': PW,
      'ca.crt': 'not a certificate',
      'inv.yml': clusterInv(GOOD_CLUSTER_VARS + '        es_ca_cert: {d}/ca.crt\n'),
    },
    args: ['run', 'pb.yml', '-i', 'inv.yml'],
    expect: /host l1 .*es_ca_cert: .*ca\.crt is not a readable PEM certificate/,
  },
  {
    id: 'inventory/ansible_port-bad',
    files: {
      'pb.yml': PB_DEBUG,
      'inv.yml': `all:\n  hosts:\n    h1: { ansible_host: 127.0.0.1, ansible_port: 70000 }\n`,
    },
    args: ['run', 'pb.yml', '-i', 'inv.yml'],
    expect: /inv\.yml:3: host h1: ansible_port must be a port number \(1-65535\), got 70000/,
  },
  {
    id: 'inventory/ansible_become-bad',
    files: {
      'pb.yml': PB_DEBUG,
      'inv.yml': `all:\n  hosts:\n    h1: { ansible_host: 127.0.0.1, ansible_port: {port}, ansible_become: perhaps }\n`,
    },
    args: ['run', 'pb.yml', '-i', 'inv.yml'],
    expect: /inv\.yml:3: host h1: ansible_become must be a boolean/,
  },
  // ---- playbooks: secrets on command lines
  {
    id: 'playbook/secret-var-in-cmd',
    files: {
      'inv.yml': INV,
      'pb.yml': `- hosts: all\n  gather_facts: false\n  tasks:\n    - name: bad\n      command: { cmd: "curl -u elastic:{{ es_password }} https://x" }\n`,
    },
    args: ['run', 'pb.yml', '-i', 'inv.yml', '-e', 'es_password=hunter2hunter2'],
    expect: /pb\.yml:5: command: argument 'cmd' would put the secret variable 'es_password' on the command line/,
  },
  {
    id: 'playbook/secret-file-in-argv',
    files: {
      'inv.yml': INV,
      'pb.yml': `- hosts: all\n  gather_facts: false\n  tasks:\n    - name: bad\n      command:\n        argv: [tool, '{{ secret_file "/etc/hostname" }}']\n`,
    },
    args: ['run', 'pb.yml', '-i', 'inv.yml'],
    expect: /pb\.yml:6: command: argument 'argv' would put a secret_file on the command line/,
  },
  // ---- playbooks: variables nobody defines (found before the run, with the task's line and the host)
  {
    id: 'playbook/undefined-variable',
    files: {
      'inv.yml': INV,
      'pb.yml': `- hosts: all\n  gather_facts: false\n  tasks:\n    - name: first\n      debug: { msg: fine }\n    - name: uses a forgotten variable\n      debug: { msg: "alias {{ crosskey_alais }}" }\n`,
    },
    args: ['run', 'pb.yml', '-i', 'inv.yml'],
    expect:
      /pb\.yml:6: host h1: task 'uses a forgotten variable': undefined variable 'crosskey_alais'.* — define it in the inventory, group_vars or -e/,
  },
  // ---- lab flags (nothing may start: the lab folder stays empty)
  {
    id: 'lab/nodes-zero',
    args: ['lab', 'up', '--dir', '{d}/lab', '--nodes', '0'],
    expect: /--nodes 0: must be 1\.\.9/,
  },
  {
    id: 'lab/nodes-ten',
    args: ['lab', 'up', '--dir', '{d}/lab', '--nodes', '10'],
    expect: /--nodes 10: must be 1\.\.9/,
  },
  {
    id: 'lab/nodes-word',
    args: ['lab', 'up', '--dir', '{d}/lab', '--nodes', 'three'],
    expect: /--nodes three: expected a non-negative integer/,
  },
  {
    id: 'lab/version-7',
    args: ['lab', 'up', '--dir', '{d}/lab', '--es-version', '7.17.0'],
    expect: /--es-version 7\.17\.0/,
  },
  {
    id: 'lab/version-format',
    args: ['lab', 'up', '--dir', '{d}/lab', '--es-version', 'latest'],
    expect: /--es-version latest: expected MAJOR\.MINOR\.PATCH/,
  },
  {
    id: 'lab/ssh-kind',
    args: ['lab', 'up', '--dir', '{d}/lab', '--ssh', 'telnet'],
    expect: /--ssh telnet: expected one of openssh, embedded/,
  },
  {
    id: 'lab/license',
    args: ['lab', 'up', '--dir', '{d}/lab', '--license', 'gold'],
    expect: /--license gold: expected one of trial, basic/,
  },
  {
    id: 'lab/unknown-option',
    args: ['lab', 'up', '--dir', '{d}/lab', '--nodez', '3'],
    expect: /unknown option --nodez/,
  },
  { id: 'lab/value-missing', args: ['lab', 'up', '--dir'], expect: /--dir needs a value/ },
  { id: 'lab/unknown-subcommand', args: ['lab', 'sideways', '--dir', '{d}/lab'], expect: /unknown command sideways/ },
  {
    id: 'lab/fault-needs-kind',
    args: ['lab', 'fault', 'local-1', '--dir', '{d}/lab'],
    expect: /fault needs NODE and KIND/,
  },
];

test('the corpus: every case exits 1 with its message, nothing contacted, nothing written', async (t) => {
  const wire = await tripwire(t);
  const base = mkdtempSync(join(tmpdir(), 'ck-corpus-'));
  t.teardown(() => rmSync(base, { recursive: true, force: true }));
  const failures: string[] = [];
  for (const c of CASES) {
    const d = join(base, c.id.replace(/\//g, '_'));
    mkdirSync(d);
    for (const [name, f] of Object.entries(c.files ?? {})) {
      const { text, mode } = typeof f === 'string' ? { text: f, mode: 0o644 } : f;
      mkdirSync(dirname(join(d, name)), { recursive: true });
      writeFileSync(join(d, name), text.replaceAll('{port}', String(wire.port)).replaceAll('{d}', d));
      chmodSync(join(d, name), mode);
    }
    const runsDir = join(d, '.crosskey', 'runs');
    const journalsBefore = existsSync(runsDir) ? readdirSync(runsDir).length : 0;
    const args = c.args.map((a) => a.replaceAll('{d}', d));
    const r = await inProcess(args, d, { ...process.env, CROSSKEY_ALLOW_LOOSE_SECRET_FILES: '', ...c.env });
    const problems = [
      r.code !== 1 && `exit ${r.code}`,
      !c.expect.test(r.stderr) && `stderr does not match ${c.expect}`,
      /\n\s+at .*:\d+:\d+\)?/.test(r.stderr) && 'a stack trace instead of a message',
      existsSync(runsDir) && readdirSync(runsDir).length > journalsBefore && 'a journal was written',
      existsSync(join(d, 'lab', 'lab.json')) && 'a lab was started',
    ].filter(Boolean);
    if (problems.length)
      failures.push(
        `${c.id}: ${problems.join('; ')}\n    ${(r.stderr + r.stdout).trim().split('\n').slice(0, 4).join('\n    ')}`,
      );
  }
  t.deepEqual(failures, [], failures.join('\n'));
  t.is(wire.count(), 0, 'no host or cluster was contacted');
});

test('the corpus covers at least 80 bad inputs (with the loader fixtures of cases.json)', (t) => {
  const loader = JSON.parse(readFileSync(join(ROOT, 'test/fixtures/bad-input/cases.json'), 'utf8')) as unknown[];
  t.log(`${CASES.length} CLI cases + ${loader.length} loader cases`);
  t.true(CASES.length + loader.length >= 80, `${CASES.length + loader.length} cases`);
});
