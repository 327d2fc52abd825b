// `crosskey certs ca|cert|inspect` — what elasticsearch-certutil does, without a JDK on the controller.
// Passwords come from files (--pass-file, --ca-pass-file), never from argv.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { mkdirSync } from 'node:fs';
import {
  CertError,
  assertCaCurrentlyValid,
  createCa,
  inspect,
  issueCert,
  loadCa,
  toPkcs12,
  validityOf,
  writeCa,
  type CertInfo,
} from '../../certs/index.js';
import { SecretFileError, allowLooseSecretFiles, readSecretFile } from '../../secret-files.js';

export interface CommandIo {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  /** For CROSSKEY_ALLOW_LOOSE_SECRET_FILES (default: process.env). */
  env?: NodeJS.ProcessEnv;
}
const defaultIo: CommandIo = {
  stdout: (t) => process.stdout.write(t),
  stderr: (t) => process.stderr.write(t),
};

export const certsUsage = `usage:
  crosskey certs ca --out DIR [--pass-file F] [--days N] [--keysize N] [--dn DN]
  crosskey certs cert --ca DIR [--ca-pass-file F] --out FILE.p12 --pass-file F [--dns NAME]... [--ip ADDR]...
                      [--name N] [--days N] [--keysize N] [--transport]
  crosskey certs inspect FILE [--pass-file F] [--json]
`;

class UsageError extends Error {}

interface Parsed {
  flags: Map<string, string[]>;
  positional: string[];
}

const VALUE_FLAGS: Record<string, string[]> = {
  ca: ['out', 'pass-file', 'days', 'keysize', 'dn'],
  cert: ['ca', 'ca-pass-file', 'out', 'pass-file', 'dns', 'ip', 'name', 'days', 'keysize'],
  inspect: ['pass-file'],
};
const BOOL_FLAGS: Record<string, string[]> = { ca: [], cert: ['transport'], inspect: ['json'] };
const REPEATABLE = new Set(['dns', 'ip']);

function parse(sub: string, args: string[]): Parsed {
  const flags = new Map<string, string[]>();
  const positional: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (!a.startsWith('--')) {
      positional.push(a);
      continue;
    }
    let name = a.slice(2);
    let value: string | undefined;
    const eq = name.indexOf('=');
    if (eq >= 0) {
      value = name.slice(eq + 1);
      name = name.slice(0, eq);
    }
    if (BOOL_FLAGS[sub].includes(name)) {
      flags.set(name, ['true']);
      continue;
    }
    if (!VALUE_FLAGS[sub].includes(name)) throw new UsageError(`unknown option --${name} for "certs ${sub}"`);
    if (value === undefined) {
      value = args[++i];
      if (value === undefined) throw new UsageError(`--${name} needs a value`);
    }
    // certutil takes comma-separated lists too (--dns a,b).
    const values = REPEATABLE.has(name)
      ? value
          .split(',')
          .map((v) => v.trim())
          .filter(Boolean)
      : [value];
    if (!REPEATABLE.has(name) && flags.has(name)) throw new UsageError(`--${name} given twice`);
    flags.set(name, [...(flags.get(name) ?? []), ...values]);
  }
  return { flags, positional };
}

const one = (p: Parsed, name: string) => p.flags.get(name)?.[0];
function need(p: Parsed, name: string): string {
  const v = one(p, name);
  if (v === undefined) throw new UsageError(`--${name} is required`);
  return v;
}
function int(p: Parsed, name: string): number | undefined {
  const v = one(p, name);
  if (v === undefined) return undefined;
  if (!/^\d+$/.test(v)) throw new UsageError(`--${name} must be a whole number, got "${v}"`);
  return Number(v);
}
/**
 * First line of a password file (a trailing newline is not part of the password). Like every secret file on the
 * controller, one that group or others can read is refused (SecretFileError) unless loose files are allowed.
 */
export function readPassFile(path: string, env: NodeJS.ProcessEnv = process.env): string {
  return readSecretFile(path, 'password file', allowLooseSecretFiles(undefined, env)).split(/\r?\n/)[0]!;
}

/** One line for the certificate's validity: "EXPIRED …", "not yet valid …", "expires in N days" or "valid …". */
function validityLine(info: CertInfo, now: Date): string {
  return validityOf(info.notBefore, info.notAfter, now).text;
}

/** The --json form: CertInfo plus its validity (status, expired, notYetValid, daysLeft), CAs included. */
function withValidity(info: CertInfo, now: Date): Record<string, unknown> {
  const v = validityOf(info.notBefore, info.notAfter, now);
  return {
    ...info,
    status: v.status,
    expired: v.expired,
    notYetValid: v.notYetValid,
    daysLeft: v.daysLeft,
    validity: v.text,
    ...(info.cas ? { cas: info.cas.map((c) => withValidity(c, now)) } : {}),
  };
}

function formatInfo(info: CertInfo, now: Date, indent = ''): string {
  const lines = [
    `${indent}status:     ${validityLine(info, now)}`,
    `${indent}subject:    ${info.subject}`,
    `${indent}issuer:     ${info.issuer}`,
    `${indent}serial:     ${info.serial}`,
    `${indent}not before: ${info.notBefore.toISOString()}`,
    `${indent}not after:  ${info.notAfter.toISOString()}`,
    `${indent}SAN DNS:    ${info.sans.dns.join(', ') || '-'}`,
    `${indent}SAN IP:     ${info.sans.ip.join(', ') || '-'}`,
    `${indent}CA:         ${info.isCa ? 'yes' : 'no'}`,
    `${indent}sha256:     ${info.sha256}`,
  ];
  if (info.alias !== undefined) lines.unshift(`${indent}alias:      ${info.alias}`);
  for (const ca of info.cas ?? []) lines.push(`${indent}trusted CA:`, formatInfo(ca, now, indent + '  '));
  return lines.join('\n');
}

export async function certsCommand(argv: string[], io: CommandIo = defaultIo): Promise<number> {
  const [sub, ...rest] = argv;
  try {
    if (!sub || sub === '--help' || sub === '-h' || !(sub in VALUE_FLAGS)) {
      if (sub && !(sub in VALUE_FLAGS) && sub !== '--help' && sub !== '-h')
        throw new UsageError(`unknown certs command "${sub}"`);
      io.stdout(certsUsage);
      return 0;
    }
    const p = parse(sub, rest);
    const env = io.env ?? process.env;
    if (sub === 'ca') {
      if (p.positional.length) throw new UsageError(`unexpected argument "${p.positional[0]}"`);
      const out = need(p, 'out');
      const pass = one(p, 'pass-file') !== undefined ? readPassFile(need(p, 'pass-file'), env) : undefined;
      const ca = createCa({ dn: one(p, 'dn'), days: int(p, 'days'), keySize: int(p, 'keysize') });
      const { certPath, keyPath } = writeCa(out, ca, pass);
      io.stdout(`wrote ${certPath} and ${keyPath}${pass !== undefined ? ' (key encrypted, AES-128-CBC)' : ''}\n`);
      return 0;
    }
    if (sub === 'cert') {
      if (p.positional.length) throw new UsageError(`unexpected argument "${p.positional[0]}"`);
      const out = need(p, 'out');
      const password = readPassFile(need(p, 'pass-file'), env);
      if (existsSync(out)) throw new CertError(`output file '${out}' already exists; refusing to overwrite it`);
      const caDir = need(p, 'ca');
      // An expired (or not yet valid) CA is refused first — before its key is decrypted, a key is made or anything
      // is written — naming ca.crt and its dates. (A missing ca.crt is loadCa's message.)
      const caCertPath = join(caDir, 'ca.crt');
      if (existsSync(caCertPath)) assertCaCurrentlyValid(readFileSync(caCertPath, 'utf8'), caCertPath);
      const caPassFile = one(p, 'ca-pass-file');
      const caPass = caPassFile !== undefined ? readPassFile(caPassFile, env) : undefined;
      const ca = loadCa(caDir, caPass);
      if (caPassFile !== undefined && !ca.keyEncrypted) {
        io.stderr(`warning: --ca-pass-file given but CA key ${ca.keyPath} is not encrypted; ignored\n`);
      }
      const leaf = issueCert({
        ca,
        name: one(p, 'name'),
        dns: p.flags.get('dns'),
        ip: p.flags.get('ip'),
        days: int(p, 'days'),
        keySize: int(p, 'keysize'),
        serverAndClientAuth: p.flags.has('transport'),
      });
      for (const w of leaf.warnings) io.stderr(`warning: ${w}\n`);
      const p12 = toPkcs12({
        keyPem: leaf.keyPem,
        certPem: leaf.certPem,
        caPems: [ca.certPem],
        password,
        alias: one(p, 'name') ?? 'instance',
      });
      mkdirSync(dirname(out), { recursive: true });
      writeFileSync(out, p12, { mode: 0o600, flag: 'wx' });
      io.stdout(`wrote ${out} (valid until ${leaf.notAfter.toISOString()})\n`);
      return 0;
    }
    // inspect
    if (p.positional.length !== 1) throw new UsageError('certs inspect takes exactly one FILE');
    const pass = one(p, 'pass-file') !== undefined ? readPassFile(need(p, 'pass-file'), env) : undefined;
    const info = inspect(p.positional[0], pass);
    const now = new Date();
    io.stdout(
      p.flags.has('json') ? JSON.stringify(withValidity(info, now), null, 2) + '\n' : formatInfo(info, now) + '\n',
    );
    return 0;
  } catch (e) {
    if (e instanceof UsageError) {
      io.stderr(`crosskey certs: ${e.message}\n${certsUsage}`);
      return 1;
    }
    // A password file others can read (SecretFileError) is the operator's to fix: its message, exit 1.
    if (e instanceof CertError || e instanceof SecretFileError || (e as Error).name === 'DnError') {
      io.stderr(`crosskey certs ${sub}: ${(e as Error).message}\n`);
      return 1;
    }
    throw e;
  }
}

/** The `certs` entry of the CLI's command table (shape of controller/cli/command.ts CliCommand). */
export const certsCliCommand = {
  name: 'certs',
  usage: certsUsage,
  run(
    argv: string[],
    io: { stdout: NodeJS.WritableStream; stderr: NodeJS.WritableStream; env?: NodeJS.ProcessEnv },
  ): Promise<number> {
    return certsCommand(argv, {
      stdout: (t) => void io.stdout.write(t),
      stderr: (t) => void io.stderr.write(t),
      env: io.env,
    });
  },
};
