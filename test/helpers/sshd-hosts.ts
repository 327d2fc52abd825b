// Test harness: N SSH hosts on loopback (real OpenSSH sshd, or the embedded ssh2 server), each on its own
// address 127.R.k.k port 22, with a generated client key and known_hosts. Everything is removed after the run,
// even when tests fail: pass `t` (registers t.teardown) and/or call stop(); a process exit hook is the last net.
import { mkdtempSync, rmSync, writeFileSync, chmodSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { dump } from 'js-yaml';
import { startOpenSshHost, type SshHost, type SshHostOptions } from '../../lab/hosts/openssh.js';
import { startEmbeddedHost } from '../../lab/hosts/embedded.js';
import { ensureKeyPair } from '../../lab/hosts/keys.js';

export type HostKind = 'openssh' | 'embedded';

export interface TestHost {
  name: string;
  address: string;
  port: number;
  /** Host folder (config, keys, logs); `home` is root's private HOME on this host. */
  dir: string;
  home: string;
  server: SshHost;
}

export interface StartHostsOptions {
  kind?: HostKind;
  maxSessions?: number;
  env?: (name: string) => Record<string, string>;
  /** ava's t: registers stop() with t.teardown. */
  t?: { teardown(fn: () => unknown): void };
  namePrefix?: string; // host names: `${prefix}${k}`, default "host"
}

export interface TestHosts {
  dir: string;
  hosts: TestHost[];
  knownHostsFile: string;
  clientKeyFile: string;
  clientPublicKey: string;
  /** Ansible YAML inventory: all hosts in group `group` (default "hosts") with ansible_* and crosskey_known_hosts vars. */
  inventoryYaml(opts?: { group?: string; vars?: Record<string, unknown> }): string;
  /** Restart host i (same address); with newHostKey its identity changes (known_hosts is NOT updated). */
  restart(i: number, opts?: { newHostKey?: boolean }): Promise<void>;
  stop(): Promise<void>;
}

const live = new Set<{ pids: Set<number>; dir: string }>();
let exitHookInstalled = false;
function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on('exit', () => {
    for (const run of live) {
      for (const pid of run.pids) {
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          /* gone */
        }
      }
      try {
        rmSync(run.dir, { recursive: true, force: true });
      } catch {
        /* best effort */
      }
    }
  });
}

function start(kind: HostKind, o: SshHostOptions): Promise<SshHost> {
  return kind === 'openssh' ? startOpenSshHost(o) : startEmbeddedHost(o);
}

export async function startHosts(n: number, options: StartHostsOptions = {}): Promise<TestHosts> {
  const kind = options.kind ?? 'openssh';
  const dir = mkdtempSync(join(tmpdir(), 'crosskey-hosts-'));
  chmodSync(dir, 0o755); // non-root login users must reach authorized_keys
  const run = { pids: new Set<number>(), dir };
  live.add(run);
  installExitHook();
  const client = ensureKeyPair(join(dir, 'client_key'), 'ed25519', 'crosskey-test');
  chmodSync(client.privateKeyFile, 0o600);
  const knownHostsFile = join(dir, 'known_hosts');
  const hosts: TestHost[] = [];
  const port = process.getuid?.() === 0 ? 22 : 0;
  const prefix = options.namePrefix ?? 'host';
  const optsFor = (k: number, address: string, p: number): SshHostOptions => {
    const name = `${prefix}${k}`;
    return {
      dir: join(dir, name),
      address,
      port: p,
      authorizedKeys: client.publicKey,
      maxSessions: options.maxSessions ?? 10,
      tieToParent: true,
      env: { CROSSKEY_TEST_HOST: name, ...(options.env?.(name) ?? {}) },
    };
  };
  const stop = async () => {
    await Promise.all(hosts.map((h) => h.server.stop()));
    live.delete(run);
    rmSync(dir, { recursive: true, force: true });
  };
  options.t?.teardown(stop);
  try {
    // A random second octet per run keeps parallel test files apart; a host that clashes retries on another one.
    const r = 100 + Math.floor(Math.random() * 100);
    const startOne = async (k: number): Promise<TestHost> => {
      for (let attempt = 0; ; attempt++) {
        const address = `127.${attempt === 0 ? r : 100 + Math.floor(Math.random() * 100)}.${k}.${k}`;
        const p = port || 20000 + Math.floor(Math.random() * 20000);
        const o = optsFor(k, address, p);
        try {
          const server = await start(kind, o);
          if (kind === 'openssh') run.pids.add(server.pid);
          return { name: `${prefix}${k}`, address, port: p, dir: o.dir, home: join(o.dir, 'root-home'), server };
        } catch (err) {
          if (attempt >= 5 || !/address already in use|EADDRINUSE|Bind to port|Cannot bind/i.test(String(err)))
            throw err;
          rmSync(o.dir, { recursive: true, force: true });
        }
      }
    };
    // A few at a time: 50 sshds starting at once on 2 shared cores only slow each other down.
    for (let k = 1; k <= n; k += 8) {
      const batch = await Promise.allSettled(Array.from({ length: Math.min(8, n - k + 1) }, (_, j) => startOne(k + j)));
      for (const b of batch) if (b.status === 'fulfilled') hosts.push(b.value);
      const failed = batch.find((b) => b.status === 'rejected');
      if (failed) throw (failed as PromiseRejectedResult).reason;
    }
  } catch (err) {
    await stop();
    throw err;
  }
  const writeKnownHosts = () =>
    writeFileSync(knownHostsFile, hosts.map((h) => h.server.knownHostsLine).join('\n') + '\n');
  writeKnownHosts();

  return {
    dir,
    hosts,
    knownHostsFile,
    clientKeyFile: client.privateKeyFile,
    clientPublicKey: client.publicKey,
    inventoryYaml({ group = 'hosts', vars = {} } = {}) {
      const hostVars = Object.fromEntries(
        hosts.map((h) => [
          h.name,
          {
            ansible_host: h.address,
            ansible_port: h.port,
            ansible_user: 'root',
            ansible_ssh_private_key_file: client.privateKeyFile,
            crosskey_known_hosts: knownHostsFile,
          },
        ]),
      );
      return dump({
        all: { children: { [group]: { hosts: hostVars, ...(Object.keys(vars).length ? { vars } : {}) } } },
      });
    },
    async restart(i, { newHostKey = false } = {}) {
      const h = hosts[i];
      await h.server.stop();
      run.pids.delete(h.server.pid);
      if (newHostKey) {
        for (const f of ['ssh_host_ed25519_key', 'ssh_host_ed25519_key.pub']) rmSync(join(h.dir, f), { force: true });
      }
      const k = i + 1;
      h.server = await start(kind, optsFor(k, h.address, h.port));
      if (kind === 'openssh') run.pids.add(h.server.pid);
    },
    stop,
  };
}
