// A real OpenSSH sshd serving one simulated host: own config, own ed25519 host key, key-only auth.
// Used by the lab (one per node, standard port 22 on the node's loopback address) and by integration tests.
import { spawn } from 'node:child_process';
import { mkdirSync, writeFileSync, readFileSync, existsSync, chmodSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { ensureKeyPair, knownHostsLine } from './keys.js';
import { stopPid, waitFor } from './process.js';

export const SSHD_PATH = '/usr/sbin/sshd';

export interface SshHostOptions {
  /** Folder for this host's config, keys, pid file and log (created; mode 0755 so non-root logins can read authorized_keys). */
  dir: string;
  address: string;
  port?: number; // 22
  /** Variables exported into every session (sshd SetEnv). */
  env?: Record<string, string>;
  /** authorized_keys content (one or more public key lines) accepted for every user. */
  authorizedKeys: string;
  maxSessions?: number; // sshd default is 10; the transport never opens more than 10 channels per connection
  /**
   * HOME for root sessions (default `<dir>/root-home`). A private, empty home keeps root's own rc files
   * (pyenv in ~/.bashrc costs ~140 ms per command here) out of the host and gives every host its own ~/.cache.
   */
  rootHome?: string;
  /**
   * Tests: stop sshd when this process dies, even by SIGKILL (a small sh keeps a pipe from us; EOF → kill).
   * The lab leaves it off: its hosts outlive `lab up` and are stopped by pid.
   */
  tieToParent?: boolean;
}

export interface SshHost {
  pid: number;
  address: string;
  port: number;
  hostKeyPub: string;
  knownHostsLine: string;
  logFile: string;
  stop(): Promise<void>;
}

function sshdConfig(
  o: Required<Pick<SshHostOptions, 'dir' | 'address' | 'port' | 'maxSessions' | 'rootHome'>> & {
    env: Record<string, string>;
  },
): string {
  const env = Object.entries(o.env);
  for (const [k, v] of env) {
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(k)) throw new Error(`sshd SetEnv: invalid variable name ${JSON.stringify(k)}`);
    if (/["\n]/.test(v)) throw new Error(`sshd SetEnv: value of ${k} must not contain quotes or newlines`);
  }
  const setEnv = (pairs: Array<[string, string]>) => pairs.map(([k, v]) => `"${k}=${v}"`).join(' ');
  const lines = [
    `ListenAddress ${o.address}:${o.port}`,
    `HostKey ${join(o.dir, 'ssh_host_ed25519_key')}`,
    `PidFile ${join(o.dir, 'sshd.pid')}`,
    `AuthorizedKeysFile ${join(o.dir, 'authorized_keys')}`,
    'StrictModes no',
    'PubkeyAuthentication yes',
    'PasswordAuthentication no',
    'KbdInteractiveAuthentication no',
    'PermitRootLogin prohibit-password',
    'UsePAM no',
    'UseDNS no',
    'PrintMotd no',
    'PrintLastLog no',
    'LogLevel INFO',
    `MaxSessions ${o.maxSessions}`,
    'MaxStartups 200:30:400',
    'Subsystem sftp internal-sftp',
  ];
  if (env.length) lines.push(`SetEnv ${setEnv(env)}`);
  // SetEnv in a Match block overrides the global one: repeat the host vars with root's private HOME.
  lines.push('Match User root', `  SetEnv ${setEnv([...env, ['HOME', o.rootHome]])}`);
  return lines.join('\n') + '\n';
}

async function startOpenSshHostOnce(opts: SshHostOptions): Promise<SshHost> {
  if (!existsSync(SSHD_PATH)) throw new Error(`${SSHD_PATH} not found (install openssh-server)`);
  const dir = resolve(opts.dir);
  const port = opts.port ?? 22;
  const rootHome = opts.rootHome ?? join(dir, 'root-home');
  mkdirSync(dir, { recursive: true });
  chmodSync(dir, 0o755);
  mkdirSync(rootHome, { recursive: true, mode: 0o700 });
  // The privilege-separation directory that systemd would normally create; sshd refuses to start without it.
  mkdirSync('/run/sshd', { recursive: true, mode: 0o755 });

  const hostKey = ensureKeyPair(join(dir, 'ssh_host_ed25519_key'), 'ed25519', `host@${opts.address}`);
  writeFileSync(join(dir, 'authorized_keys'), opts.authorizedKeys.trim() + '\n', { mode: 0o644 });
  const configFile = join(dir, 'sshd_config');
  writeFileSync(
    configFile,
    sshdConfig({
      dir,
      address: opts.address,
      port,
      maxSessions: opts.maxSessions ?? 10,
      rootHome,
      env: opts.env ?? {},
    }),
  );
  const pidFile = join(dir, 'sshd.pid');
  const logFile = join(dir, 'sshd.log');
  rmSync(pidFile, { force: true });

  // Detached + unref: the lab's `up` command exits while its hosts keep running (stopped later by pid).
  const sshdArgs = ['-D', '-f', configFile, '-E', logFile];
  const child = opts.tieToParent
    ? spawn('/bin/sh', ['-c', '"$0" "$@" & p=$!; read _; kill $p 2>/dev/null; wait $p', SSHD_PATH, ...sshdArgs], {
        detached: true,
        stdio: ['pipe', 'ignore', 'ignore'],
      })
    : spawn(SSHD_PATH, sshdArgs, { detached: true, stdio: 'ignore' });
  child.unref();
  (child.stdin as unknown as { unref?(): void } | null)?.unref?.();
  let exited: number | null | undefined;
  child.once('exit', (code) => {
    exited = code;
  });
  if (child.pid === undefined) throw new Error(`sshd for ${opts.address}:${port} did not start`);

  // sshd writes its PidFile once the listen socket is bound.
  const readPid = () => {
    try {
      const t = readFileSync(pidFile, 'utf8').trim();
      return /^[1-9]\d*$/.test(t) ? Number(t) : undefined;
    } catch {
      return undefined;
    }
  };
  const ok = await waitFor(() => exited !== undefined || readPid() !== undefined, 10_000);
  const pid = readPid();
  if (!ok || exited !== undefined || pid === undefined) {
    const log = existsSync(logFile) ? readFileSync(logFile, 'utf8').trim().split('\n').slice(-5).join('\n') : '';
    await stopPid(child.pid);
    throw new Error(
      `sshd for ${opts.address}:${port} failed to start${exited !== undefined ? ` (exit ${exited})` : ' (timeout)'}: ${log}`,
    );
  }
  return {
    pid,
    address: opts.address,
    port,
    hostKeyPub: hostKey.publicKey,
    knownHostsLine: knownHostsLine(opts.address, port, hostKey.publicKey),
    logFile,
    stop: () => stopPid(pid),
  };
}

/** Starts the host; a host key sshd cannot load (seen rarely under load: "error in libcrypto") is made anew once. */
export async function startOpenSshHost(
  opts: Parameters<typeof startOpenSshHostOnce>[0],
): ReturnType<typeof startOpenSshHostOnce> {
  try {
    return await startOpenSshHostOnce(opts);
  } catch (e) {
    if (!/Unable to load host key/.test((e as Error).message)) throw e;
    for (const f of ['ssh_host_ed25519_key', 'ssh_host_ed25519_key.pub']) rmSync(join(opts.dir, f), { force: true });
    return startOpenSshHostOnce(opts);
  }
}
