// The real thing: the crosskey CLI (source entry) against 5 real OpenSSH sshd hosts on loopback.
// copy + template + command + handler; idempotence; --check --diff; an unreachable host; secrets.
import test from 'ava';
import {
  mkdtempSync,
  mkdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
  readdirSync,
  existsSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bundleCli, runCli, ROOT } from './cli-bundle.js';
import { createServer, type AddressInfo } from 'node:net';
import { load as loadYaml, dump as dumpYaml } from 'js-yaml';
import { startHosts } from '../helpers/sshd-hosts.js';
import { vaultPasswordFile } from '../helpers/secret-file.js';

const VAULT_DIR = join(ROOT, 'test/fixtures/vault');
const VAULT_SECRET = 's3cr3t-Passw0rd'; // db_password in vault-1.1.yml
const NO_LOG_SECRET = 'NoLogTokenValue-913';

let cli = '';
test.before(async () => {
  const b = await bundleCli();
  cli = b.file;
  process.once('exit', b.remove);
});
test.after.always(() => rmSync(cli, { force: true }));
const crosskey = (args: string[]) => runCli(cli, args);

const recap = (out: string): Record<string, Record<string, number>> => {
  const r: Record<string, Record<string, number>> = {};
  const at = out.lastIndexOf('PLAY RECAP');
  for (const line of out.slice(at).split('\n').slice(1)) {
    const m = /^(\S+)\s+:\s+(.*)$/.exec(line);
    if (!m) continue;
    r[m[1]!] = Object.fromEntries(
      m[2]!
        .trim()
        .split(/\s+/)
        .map((kv) => {
          const [k, v] = kv.split('=');
          return [k!, Number(v)];
        }),
    );
  }
  return r;
};

function playbook(dir: string, base: string): string {
  mkdirSync(join(dir, 'templates'), { recursive: true });
  mkdirSync(join(dir, 'files'), { recursive: true });
  writeFileSync(join(dir, 'files', 'data.bin.txt'), 'x'.repeat(2048) + '\n');
  writeFileSync(
    join(dir, 'templates', 'app.yml.hbs'),
    'app:\n  host: {{ inventory_hostname }}\n  port: {{ app_port }}\n  db_password_set: {{ has_password }}\n',
  );
  const pb = `
- name: core modules
  hosts: all
  gather_facts: false
  vars_files:
    - ${join(VAULT_DIR, 'vault-1.1.yml')}
  vars:
    app_port: 8080
    has_password: true
    dir: "${base}/{{ inventory_hostname }}"
  tasks:
    - name: make dir
      command:
        argv: [mkdir, -p, "{{ dir }}"]
        creates: "{{ dir }}"
    - name: copy data
      copy:
        src: data.bin.txt
        dest: "{{ dir }}/data.txt"
        mode: "0640"
      notify: restart app
    - name: render config
      template:
        src: app.yml.hbs
        dest: "{{ dir }}/app.yml"
        mode: "0600"
      notify: restart app
    - name: secret file from the vault
      copy:
        content: "password={{ db_password }}\\n"
        dest: "{{ dir }}/secret.conf"
        mode: "0600"
    - name: a no_log command
      command:
        argv: [echo, "${NO_LOG_SECRET}"]
      no_log: true
      changed_when: false
    - name: read back
      command:
        cmd: cat {{ dir }}/app.yml
      register: app
      changed_when: false
      check_mode: false   # a read-only command runs in --check too (as in Ansible)
    - name: check
      assert:
        that:
          - "'port: 8080' in app.stdout"
  handlers:
    - name: restart app
      command:
        argv: [sh, -c, "echo restarted >> {{ dir }}/restarts"]
`;
  writeFileSync(join(dir, 'site.yml'), pb);
  return join(dir, 'site.yml');
}

test.serial(
  'copy + template + command + handler on 5 sshd hosts; idempotent; --check --diff; secrets never shown',
  async (t) => {
    const hosts = await startHosts(5, { kind: 'openssh' });
    t.teardown(() => hosts.stop());
    const dir = mkdtempSync(join(tmpdir(), 'ck-pb-'));
    t.teardown(() => rmSync(dir, { recursive: true, force: true }));
    const base = join(dir, 'out');
    const inv = join(dir, 'inventory.yml');
    writeFileSync(inv, hosts.inventoryYaml());
    const pb = playbook(dir, base);
    const stateDir = join(dir, 'state');
    const pw = vaultPasswordFile(); // 0600 copy: a password file others can read is refused
    t.teardown(pw.remove);
    const common = ['-i', inv, '--state-dir', stateDir, '--vault-password-file', pw.path];
    const names = hosts.hosts.map((h) => h.name);

    // 1. First run: everything changes, the handler runs once per host.
    const first = await crosskey(['run', pb, ...common]);
    t.is(first.code, 0, first.stdout + first.stderr);
    const r1 = recap(first.stdout);
    for (const h of names) {
      t.is(r1[h]!.failed, 0);
      t.is(r1[h]!.changed, 5, `${h}: mkdir, copy, template, secret copy, handler`);
      t.is(readFileSync(join(base, h, 'data.txt'), 'utf8'), 'x'.repeat(2048) + '\n');
      t.is(statSync(join(base, h, 'data.txt')).mode & 0o777, 0o640);
      t.is(
        readFileSync(join(base, h, 'app.yml'), 'utf8'),
        `app:\n  host: ${h}\n  port: 8080\n  db_password_set: true\n`,
      );
      t.is(statSync(join(base, h, 'app.yml')).mode & 0o777, 0o600);
      t.is(readFileSync(join(base, h, 'secret.conf'), 'utf8'), `password=${VAULT_SECRET}\n`);
      t.is(readFileSync(join(base, h, 'restarts'), 'utf8'), 'restarted\n');
    }
    t.regex(first.stdout, /PLAY \[core modules\]/);
    t.regex(first.stdout, /RUNNING HANDLER \[restart app\]/);

    // 2. Second run: changed=0 everywhere, handler not run.
    const second = await crosskey(['run', pb, ...common]);
    t.is(second.code, 0, second.stdout + second.stderr);
    for (const h of names) t.is(recap(second.stdout)[h]!.changed, 0);
    t.false(second.stdout.includes('RUNNING HANDLER'));
    for (const h of names) t.is(readFileSync(join(base, h, 'restarts'), 'utf8'), 'restarted\n');

    // 3. Drift on one host, then --check --diff: shows the diff, changes nothing.
    const drifted = names[2]!;
    writeFileSync(
      join(base, drifted, 'app.yml'),
      'app:\n  host: someone-else\n  port: 8080\n  db_password_set: true\n',
    );
    writeFileSync(join(base, drifted, 'secret.conf'), 'password=old\n');
    const check = await crosskey(['run', pb, ...common, '--check', '--diff']);
    t.is(check.code, 0, check.stdout + check.stderr);
    t.regex(check.stdout, /- {2}host: someone-else\n\+ {2}host: /);
    t.regex(check.stdout, /secret\.conf = \(sensitive\)/);
    t.is(
      readFileSync(join(base, drifted, 'app.yml'), 'utf8'),
      'app:\n  host: someone-else\n  port: 8080\n  db_password_set: true\n',
    );
    const rc = recap(check.stdout);
    t.is(rc[drifted]!.changed, 3); // template + secret file + the notified handler (reported, not run)
    for (const h of names.filter((n) => n !== drifted)) t.is(rc[h]!.changed, 0);
    // Handlers in check mode are reported but change nothing either.
    t.is(readFileSync(join(base, drifted, 'restarts'), 'utf8'), 'restarted\n');

    // 4. --json of a real run repairing the drift; then the secrets grep over every output and journal.
    const json = await crosskey(['run', pb, ...common, '--json', '--diff']);
    t.is(json.code, 0, json.stderr);
    const events = json.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { kind: string; host?: string; status?: string });
    t.true(events.some((e) => e.kind === 'host_result' && e.host === drifted && e.status === 'changed'));
    t.is(events.at(-1)!.kind, 'run_end');
    const journals = readdirSync(join(stateDir, 'runs'))
      .map((f) => readFileSync(join(stateDir, 'runs', f), 'utf8'))
      .join('\n');
    t.is(readdirSync(join(stateDir, 'runs')).length, 4);
    for (const [what, text] of [
      ['human', first.stdout + first.stderr + second.stdout + check.stdout + check.stderr],
      ['json', json.stdout + json.stderr],
      ['journal', journals],
    ] as const) {
      t.false(text.includes(VAULT_SECRET), `vault secret in ${what}`);
      t.false(text.includes(NO_LOG_SECRET), `no_log value in ${what}`);
    }
    t.true(journals.includes('"kind":"run_start"'));
  },
);

test.serial('an unreachable host is counted, the others finish, exit 4', async (t) => {
  const hosts = await startHosts(2, { kind: 'openssh' });
  t.teardown(() => hosts.stop());
  const dir = mkdtempSync(join(tmpdir(), 'ck-unr-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  // A port with nothing listening: bind, read the port, close.
  const srv = createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const deadPort = (srv.address() as AddressInfo).port;
  await new Promise<void>((r) => srv.close(() => r()));
  const inv = loadYaml(hosts.inventoryYaml({ group: 'web' })) as {
    all: { children: { web: { hosts: Record<string, unknown> } } };
  };
  inv.all.children.web.hosts['down-host'] = { ansible_host: '127.0.0.1', ansible_port: deadPort };
  writeFileSync(join(dir, 'inv.yml'), dumpYaml(inv));
  writeFileSync(
    join(dir, 'pb.yml'),
    `
- hosts: all
  gather_facts: true
  tasks:
    - name: write
      copy: { content: "hello\\n", dest: "${dir}/{{ inventory_hostname }}.txt" }
    - name: facts
      assert: { that: ["ansible_facts.hostname is defined", "ansible_facts.node is defined", "ansible_facts.user == 'root'"] }
    - name: after
      command: { argv: ["true"] }
`,
  );
  const r = await crosskey(['run', join(dir, 'pb.yml'), '-i', join(dir, 'inv.yml'), '--state-dir', join(dir, 's')]);
  t.is(r.code, 4, r.stdout + r.stderr);
  t.regex(r.stdout, /TASK \[Gathering Facts\][\s\S]*unreachable: \[down-host\] => /);
  const rc = recap(r.stdout);
  t.is(rc['down-host']!.unreachable, 1);
  for (const h of hosts.hosts) {
    t.is(rc[h.name]!.changed, 2);
    t.true(existsSync(join(dir, `${h.name}.txt`)));
  }
});
