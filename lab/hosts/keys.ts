// Key material shared by the SSH host servers: host keys, client keys, known_hosts lines.
import ssh2 from 'ssh2'; // CommonJS: no named ESM exports

import { writeFileSync, readFileSync, existsSync } from 'node:fs';

export type HostKeyType = 'ed25519' | 'rsa';

export interface KeyPairFiles {
  privateKeyFile: string;
  publicKey: string; // "ssh-ed25519 AAAA…" (no comment)
}

/** Create (or reuse, so a restarted host keeps its identity) an OpenSSH-format key pair at `file` / `file.pub`. */
export function ensureKeyPair(file: string, type: HostKeyType = 'ed25519', comment = ''): KeyPairFiles {
  if (existsSync(file) && existsSync(file + '.pub')) {
    return { privateKeyFile: file, publicKey: stripComment(readFileSync(file + '.pub', 'utf8')) };
  }
  const pair =
    type === 'rsa'
      ? ssh2.utils.generateKeyPairSync('rsa', { bits: 2048, comment })
      : ssh2.utils.generateKeyPairSync('ed25519', { comment });
  // sshd refuses group/other-readable private keys, whatever StrictModes says.
  writeFileSync(file, pair.private, { mode: 0o600 });
  writeFileSync(file + '.pub', pair.public.trim() + '\n', { mode: 0o644 });
  return { privateKeyFile: file, publicKey: stripComment(pair.public) };
}

function stripComment(pub: string): string {
  const [type, b64] = pub.trim().split(/\s+/);
  return `${type} ${b64}`;
}

/** known_hosts host field: bare address on port 22, `[address]:port` otherwise (OpenSSH rule). */
export function knownHostsName(address: string, port: number): string {
  return port === 22 ? address : `[${address}]:${port}`;
}

export function knownHostsLine(address: string, port: number, publicKey: string): string {
  return `${knownHostsName(address, port)} ${stripComment(publicKey)}`;
}
