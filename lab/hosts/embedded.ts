// An SSH host served by an embedded ssh2 Server (for machines without OpenSSH's sshd).
// Same contract as openssh.ts: key-only auth against the authorized keys, exec channels run `/bin/sh -c <cmd>`
// as the current user with the host's env, streaming stdin/stdout/stderr, exit status. No SFTP, no PTY.
import ssh2 from 'ssh2'; // CommonJS: no named ESM exports
import type { Connection, ServerChannel, ParsedKey } from 'ssh2';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, writeFileSync, chmodSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { timingSafeEqual } from 'node:crypto';
import { userInfo } from 'node:os';
import { ensureKeyPair, knownHostsLine, type HostKeyType } from './keys.js';
import type { SshHost, SshHostOptions } from './openssh.js';

export interface EmbeddedHostOptions extends SshHostOptions {
  hostKeyType?: HostKeyType; // ed25519 (default) or rsa
}

export interface EmbeddedHost extends SshHost {
  /** Most sessions (channels) ever open at once on one connection, as the server saw them. */
  peakSessions(): number;
  /** Session opens refused because the connection already had maxSessions. */
  refusedSessions(): number;
}

const STD_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

function parseAuthorizedKeys(text: string): ParsedKey[] {
  const keys: ParsedKey[] = [];
  for (const [i, raw] of text.split('\n').entries()) {
    const line = raw.trim();
    if (!line || line.startsWith('#')) continue;
    const parsed = ssh2.utils.parseKey(line);
    if (parsed instanceof Error) throw new Error(`authorized_keys line ${i + 1}: ${parsed.message}`);
    keys.push(Array.isArray(parsed) ? parsed[0] : parsed);
  }
  if (!keys.length) throw new Error('authorized_keys: no key');
  return keys;
}

function sameBytes(a: Buffer, b: Buffer): boolean {
  return a.length === b.length && timingSafeEqual(a, b);
}

export async function startEmbeddedHost(opts: EmbeddedHostOptions): Promise<EmbeddedHost> {
  const dir = resolve(opts.dir);
  const port = opts.port ?? 22;
  const maxSessions = opts.maxSessions ?? 10;
  const home = opts.rootHome ?? join(dir, 'root-home');
  mkdirSync(dir, { recursive: true });
  chmodSync(dir, 0o755);
  mkdirSync(home, { recursive: true, mode: 0o700 });
  const keyType = opts.hostKeyType ?? 'ed25519';
  const hostKey = ensureKeyPair(join(dir, `ssh_host_${keyType}_key`), keyType, `host@${opts.address}`);
  writeFileSync(join(dir, 'authorized_keys'), opts.authorizedKeys.trim() + '\n', { mode: 0o644 });
  const allowed = parseAuthorizedKeys(opts.authorizedKeys);
  const me = userInfo();
  const sessionEnv: Record<string, string> = {
    PATH: STD_PATH,
    HOME: home,
    USER: me.username,
    LOGNAME: me.username,
    SHELL: '/bin/sh',
    ...(opts.env ?? {}),
  };
  const logFile = join(dir, 'embedded.log');
  const log = (msg: string) => {
    try {
      writeFileSync(logFile, `${new Date().toISOString()} ${msg}\n`, { flag: 'a' });
    } catch {
      /* log is best effort */
    }
  };

  const connections = new Set<Connection>();
  let peak = 0;
  let refused = 0;
  const children = new Set<ChildProcess>();

  const server = new ssh2.Server({ hostKeys: [readFileSync(hostKey.privateKeyFile)] }, (conn, info) => {
    connections.add(conn);
    conn.on('close', () => connections.delete(conn));
    conn.on('error', () => {
      /* client vanished; 'close' follows */
    });
    conn.on('authentication', (ctx) => {
      if (ctx.method !== 'publickey' || ctx.username !== me.username) return ctx.reject(['publickey']);
      const key = allowed.find((k) => k.type === ctx.key.algo && sameBytes(k.getPublicSSH(), ctx.key.data));
      if (!key) return ctx.reject(['publickey']);
      // Without a signature the client only asks whether the key would be accepted.
      if (ctx.signature && ctx.blob && key.verify(ctx.blob, ctx.signature, ctx.hashAlgo) !== true)
        return ctx.reject(['publickey']);
      if (ctx.signature) log(`Accepted publickey for ${ctx.username} from ${info.ip} port ${info.port}`);
      ctx.accept();
    });
    let sessions = 0;
    conn.on('ready', () => {
      conn.on('session', (acceptSession, rejectSession) => {
        if (sessions >= maxSessions) {
          refused++;
          return rejectSession();
        } // like sshd's MaxSessions
        sessions++;
        peak = Math.max(peak, sessions);
        const session = acceptSession();
        let released = false;
        const release = () => {
          if (!released) {
            released = true;
            sessions--;
          }
        };
        session.on('close', release);
        session.on('env', (accept) => accept?.()); // accepted but ignored, like sshd without AcceptEnv
        session.on('exec', (accept, _reject, req) => {
          const stream = accept();
          runExec(stream, req.command, sessionEnv, home, children);
        });
        session.on('shell', (_accept, reject) => reject());
        session.on('pty', (_accept, reject) => reject?.());
        session.on('sftp', (_accept, reject) => reject());
        session.on('subsystem', (_accept, reject) => reject());
      });
    });
  });

  await new Promise<void>((res, rej) => {
    server.once('error', rej);
    server.listen(port, opts.address, () => {
      server.off('error', rej);
      res();
    });
  });
  let stopped: Promise<void> | undefined;
  return {
    pid: process.pid,
    address: opts.address,
    port,
    hostKeyPub: hostKey.publicKey,
    knownHostsLine: knownHostsLine(opts.address, port, hostKey.publicKey),
    logFile,
    peakSessions: () => peak,
    refusedSessions: () => refused,
    stop: () =>
      (stopped ??= new Promise<void>((res) => {
        for (const c of children) c.kill('SIGKILL');
        for (const c of connections) c.end();
        server.close(() => res());
      })),
  };
}

function runExec(
  stream: ServerChannel,
  command: string,
  env: Record<string, string>,
  cwd: string,
  children: Set<ChildProcess>,
): void {
  const child = spawn('/bin/sh', ['-c', command], { env, cwd, stdio: ['pipe', 'pipe', 'pipe'] });
  children.add(child);
  child.stdout.pipe(stream, { end: false });
  child.stderr.pipe(stream.stderr, { end: false });
  stream.pipe(child.stdin);
  child.stdin.on('error', () => {
    /* the command may exit before reading its stdin */
  });
  let outputsOpen = 2;
  let exit: { code: number | null; signal: NodeJS.Signals | null } | undefined;
  // Send exit status only after all output is flushed, then close the channel.
  const finish = () => {
    if (outputsOpen > 0 || !exit) return;
    if (exit.code !== null) stream.exit(exit.code);
    else stream.exit(String(exit.signal ?? 'KILL').replace(/^SIG/, ''), false, '');
    stream.end();
  };
  child.stdout.on('end', () => {
    outputsOpen--;
    finish();
  });
  child.stderr.on('end', () => {
    outputsOpen--;
    finish();
  });
  child.on('error', (err) => {
    stream.stderr.write(`${err.message}\n`);
    exit = { code: 127, signal: null };
    outputsOpen = 0;
    finish();
  });
  child.on('exit', (code, signal) => {
    children.delete(child);
    exit = { code, signal };
    finish();
  });
  // Client closed the channel early: the command goes too.
  stream.on('close', () => {
    if (!exit) child.kill('SIGTERM');
  });
}
