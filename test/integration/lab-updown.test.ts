// `lab up` → real SSH hosts (OpenSSH sshd, then the embedded ssh2 server) running the node's bin/ scripts with
// strict host key checking, the drop-ssh fault, `lab status --json`, and `lab down` leaving no process and no
// listening port. Small labs (2 × 1 node), torn down always.
import test from 'ava';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { load } from 'js-yaml';
import { labCommand } from '../../lab/cli.js';
import { readLabFile, type LabFile } from '../../lab/layout.js';
import { SSHD_PATH } from '../../lab/hosts/openssh.js';

function ssh(lab: LabFile, host: string, command: string): Promise<{ code: number; out: string }> {
  return new Promise((resolve) => {
    const p = spawn(
      'ssh',
      ['-F', join(lab.dir, 'ssh_config'), '-o', 'BatchMode=yes', '-o', 'ConnectTimeout=10', host, command],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let out = '';
    p.stdout.on('data', (d) => (out += d));
    p.stderr.on('data', (d) => (out += d));
    p.on('close', (code) => resolve({ code: code ?? -1, out }));
  });
}

/** Processes whose command line mentions the lab dir (nodes, sshd, embedded daemon). */
function processesOf(dir: string): string[] {
  const found: string[] = [];
  for (const pid of readdirSync('/proc').filter((p) => /^\d+$/.test(p))) {
    try {
      const cmd = readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ');
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
      if (cmd.includes(dir) && state !== 'Z') found.push(`${pid} ${cmd}`);
    } catch {
      /* gone */
    }
  }
  return found;
}

/** Listening TCP sockets on 127.L.x.y (from /proc/net/tcp). */
function listeningOn(net: number): string[] {
  const out: string[] = [];
  for (const line of readFileSync('/proc/net/tcp', 'utf8').split('\n').slice(1)) {
    const f = line.trim().split(/\s+/);
    if (f[3] !== '0A') continue; // LISTEN
    const [hex, port] = f[1]!.split(':');
    const ip = [3, 2, 1, 0].map((i) => parseInt(hex!.slice(i * 2, i * 2 + 2), 16));
    if (ip[0] === 127 && ip[1] === net) out.push(`${ip.join('.')}:${parseInt(port!, 16)}`);
  }
  return out;
}

async function cli(args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await labCommand(args, { out: (s) => (out += s), err: (s) => (err += s) });
  return { code, out, err };
}

for (const mode of ['openssh', 'embedded'] as const) {
  test.serial(`lab up (${mode} ssh) → ssh to a node runs its bin/ scripts → lab down leaves nothing`, async (t) => {
    if (mode === 'openssh' && !existsSync(SSHD_PATH)) return t.pass('no sshd here');
    const dir = mkdtempSync(join(tmpdir(), `lab-updown-${mode}-`));
    let up = false;
    t.teardown(async () => {
      if (up) await cli(['down', '--dir', dir]);
      rmSync(dir, { recursive: true, force: true });
    });
    const r = await cli(['up', '--dir', dir, '--nodes', '1', '--ssh', mode, '--start-delay', '100']);
    t.is(r.code, 0, r.err);
    up = true;
    const lab = readLabFile(dir);
    t.is(lab.ssh, mode);

    // inventory: the shared variable names
    const inv = load(readFileSync(join(dir, 'inventory.yml'), 'utf8')) as any;
    const local = inv.all.children.local;
    t.deepEqual(Object.keys(local.vars).sort(), ['es_ca_cert', 'es_password_file', 'es_url', 'es_user', 'es_version']);
    const host = local.hosts['local-1'];
    for (const k of [
      'es_node_url',
      'es_home',
      'es_config',
      'es_service_command',
      'ansible_host',
      'ansible_port',
      'ansible_user',
      'ansible_ssh_private_key_file',
      'crosskey_known_hosts',
    ]) {
      t.true(k in host, k);
    }
    t.true(existsSync(local.vars.es_password_file));

    const list = await ssh(lab, 'local-1', '"$ES_HOME/bin/elasticsearch-keystore" list');
    t.is(list.code, 0, list.out);
    t.deepEqual(list.out.trim().split('\n'), [
      'keystore.seed',
      'xpack.security.http.ssl.keystore.secure_password',
      'xpack.security.transport.ssl.keystore.secure_password',
      'xpack.security.transport.ssl.truststore.secure_password',
    ]);
    const remoteHost = inv.all.children.remote.hosts['remote-1'];
    const status = await ssh(lab, 'remote-1', `${remoteHost.es_service_command[0]} status`);
    t.is(status.code, 0, status.out);

    await cli(['fault', 'local-1', 'drop-ssh', '--dir', dir]);
    let dropped = { code: 0, out: '' };
    for (let i = 0; i < 20 && dropped.code === 0; i++) {
      dropped = await ssh(lab, 'local-1', 'true');
      if (dropped.code === 0) await new Promise((res) => setTimeout(res, 200));
    }
    t.not(dropped.code, 0, 'drop-ssh: the host does not answer');
    const s = JSON.parse((await cli(['status', '--dir', dir, '--json'])).out);
    t.false(s.clusters[0].nodes[0].ssh);
    t.true(s.clusters[0].nodes[0].running, 'the node itself keeps running');
    await cli(['fault', 'local-1', 'drop-ssh', '--clear', '--dir', dir]);
    let back = { code: 1, out: '' };
    for (let i = 0; i < 20 && back.code !== 0; i++) {
      back = await ssh(lab, 'local-1', 'echo "$LAB_NODE"');
      if (back.code !== 0) await new Promise((res) => setTimeout(res, 200));
    }
    t.is(back.out.trim(), 'local-1');

    t.true(processesOf(dir).length > 0);
    const down = await cli(['down', '--dir', dir]);
    t.is(down.code, 0, down.err);
    up = false;
    t.deepEqual(processesOf(dir), [], 'no process left');
    t.deepEqual(listeningOn(lab.net), [], 'no listening port left');
  });
}
