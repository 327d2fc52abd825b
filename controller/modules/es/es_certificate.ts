// es_certificate: one PKCS#12 per host (SANs from the inventory) or one wildcard certificate for all hosts,
// issued on the controller from a CA directory (created when missing, like `elasticsearch-certutil ca --pem`)
// and pushed with the agent (file.put, mode 0640, owner/group of the config dir, backup).
// Idempotent: the host's file is read back (base64) and opened with the password; it is kept when it has the
// wanted SANs, comes from this CA and is not within `renew_before_days` of expiry.
import { existsSync, readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { dirname, join } from 'node:path';
import { X509Certificate } from 'node:crypto';
import type { Change, Resource, TaskContext } from '../contract.js';
import { ModuleError } from '../contract.js';
import { backupArgs } from '../core/file-state.js';
import { scratchOf } from './run-secrets.js';
import { type Secret, asSecret } from '../../secrets.js';
import {
  assertCaCurrentlyValid,
  createCaAsync,
  writeCa,
  loadCa,
  issueCertAsync,
  toPkcs12,
  readPkcs12,
  certInfoFromPem,
  CertError,
  validateDns,
  validateIp,
  type CertAndKey,
} from '../../certs/index.js';

export interface CertificateArgs {
  ca_dir: string;
  ca_password?: Secret | string;
  ca_dn?: string;
  dest?: string;
  password: Secret | string;
  dns?: string[];
  ip?: string[];
  wildcard?: string;
  name?: string;
  days: number;
  renew_before_days: number;
  server_and_client_auth: boolean;
  mode: string;
  notify_restart: boolean;
}

export interface CertificateCurrent {
  dest: string;
  exists: boolean;
  /** Why the file must be (re)issued; empty when it is fine. */
  reasons: string[];
  before?: { subject: string; dns: string[]; ip: string[]; issuer: string; notAfter: string };
  want: { dns: string[]; ip: string[]; name: string };
  caExists: boolean;
}

/**
 * The one change: issue a certificate for CN=`name` with these SANs from the task's CA and put it at `dest` as a
 * PKCS#12 opened by `password`; `reissue` when it replaces a file there, for the reasons given.
 */
export interface CertificateOp {
  kind: 'issue';
  dest: string;
  name: string;
  dns: string[];
  ip: string[];
  password: Secret;
  reissue: boolean;
  reasons: string[];
}

const DAY = 86_400_000;

// One CA creation per directory and one wildcard certificate per run, even with hosts in parallel (the run's
// scratch holds them).
function caFor(ctx: TaskContext, args: CertificateArgs, create: boolean): Promise<CertAndKey> {
  const caLocks = scratchOf(ctx).certificateAuthorities;
  let p = caLocks.get(args.ca_dir);
  if (!p) {
    p = (async () => {
      const pass = asSecret(args.ca_password)?.reveal();
      if (!existsSync(join(args.ca_dir, 'ca.crt'))) {
        if (!create) throw new ModuleError(`es_certificate: no CA in ${args.ca_dir} yet`);
        writeCa(args.ca_dir, await createCaAsync({ dn: args.ca_dn }), pass);
      }
      return loadCa(args.ca_dir, pass);
    })();
    caLocks.set(args.ca_dir, p);
    p.catch(() => caLocks.delete(args.ca_dir));
  }
  return p;
}

/** SANs from the inventory: the host name, ansible_host and the host of es_node_url, split into DNS and IP. */
export function inventorySans(host: string, vars: Record<string, unknown>): { dns: string[]; ip: string[] } {
  const dns = new Set<string>();
  const ip = new Set<string>();
  const add = (v: unknown) => {
    if (typeof v !== 'string' || !v) return;
    if (isIP(v)) ip.add(v);
    else if (/^[A-Za-z0-9.*_-]+$/.test(v)) dns.add(v);
  };
  add(host);
  add(vars.ansible_host);
  if (typeof vars.es_node_url === 'string') {
    try {
      add(new URL(vars.es_node_url).hostname.replace(/^\[|\]$/g, ''));
    } catch {
      /* not a URL */
    }
  }
  return { dns: [...dns], ip: [...ip] };
}

function wanted(ctx: TaskContext, args: CertificateArgs): CertificateCurrent['want'] {
  if (args.wildcard)
    return {
      dns: [args.wildcard, ...(args.dns ?? [])],
      ip: args.ip ?? [],
      name: args.name ?? args.wildcard.replace(/^\*\./, ''),
    };
  const inv = inventorySans(ctx.host, ctx.vars);
  return { dns: args.dns ?? inv.dns, ip: args.ip ?? inv.ip, name: args.name ?? ctx.host };
}

function destOf(ctx: TaskContext, args: CertificateArgs): string {
  if (args.dest) return args.dest;
  const config = ctx.vars.es_config as string | undefined;
  if (!config) throw new ModuleError(`${ctx.host}: es_certificate: set dest, or es_config in the host's vars`);
  return join(config, 'remote-cluster-server.p12');
}

const sameSet = (a: string[], b: string[]) =>
  a.length === b.length && [...a].sort().join(',') === [...b].sort().join(',');

export const esCertificate: Resource<CertificateArgs, CertificateCurrent, CertificateOp> = {
  name: 'es_certificate',
  description:
    'Issue a PKCS#12 certificate per host (or one wildcard) from a controller-side CA and push it to the host',
  runsOn: 'host',
  changeNoun: ['certificate', 'certificates'],
  schema: {
    ca_dir: {
      type: 'string',
      required: true,
      description: 'CA directory on the controller (ca.crt, ca.key); created when missing',
    },
    ca_password: { type: 'string', secret: true, description: 'passphrase of ca.key' },
    ca_dn: { type: 'string', description: 'DN of a CA created here (default like certutil)' },
    dest: { type: 'string', description: 'path on the host (default {{es_config}}/remote-cluster-server.p12)' },
    password: { type: 'string', secret: true, required: true, description: 'PKCS#12 password' },
    dns: {
      type: 'list',
      elements: 'string',
      description: 'DNS SANs (default: inventory host name, ansible_host, es_node_url host)',
    },
    ip: { type: 'list', elements: 'string', description: 'IP SANs (default: from the inventory as for dns)' },
    wildcard: { type: 'string', description: 'one certificate for all hosts with this DNS SAN, e.g. *.es.example.com' },
    name: { type: 'string', description: 'CN (default: the host name)' },
    days: { type: 'number', default: 1095 },
    renew_before_days: { type: 'number', default: 30 },
    server_and_client_auth: {
      type: 'boolean',
      default: false,
      description: 'add EKU serverAuth+clientAuth (transport certificates)',
    },
    mode: { type: 'string', default: '0640' },
    notify_restart: {
      type: 'boolean',
      default: false,
      description: 'report the file as changed for es_rolling_restart (ES reloads certificate files by itself)',
    },
  },

  async read(ctx, args) {
    const dest = destOf(ctx, args);
    const want = wanted(ctx, args);
    // Bad SANs are refused before anything is read or written on the host.
    try {
      want.dns.forEach(validateDns);
      want.ip.forEach(validateIp);
    } catch (e) {
      throw new ModuleError(`${ctx.host}: es_certificate: ${(e as Error).message}`);
    }
    if (want.dns.length + want.ip.length === 0)
      throw new ModuleError(`${ctx.host}: es_certificate: no SANs (give dns/ip or set ansible_host)`);
    const caCertPath = join(args.ca_dir, 'ca.crt');
    const caExists = existsSync(caCertPath);
    // An expired or not-yet-valid CA fails the task here, on the controller, before the host is even contacted
    // (check mode too): whatever it issued is no longer trusted, and it cannot issue anything that would be.
    if (caExists) {
      try {
        assertCaCurrentlyValid(readFileSync(caCertPath, 'utf8'), caCertPath);
      } catch (e) {
        throw new ModuleError(`${ctx.host}: es_certificate: ${(e as Error).message}`);
      }
    }
    const agent = await ctx.agent();
    const f = await agent.call('file.read', { path: dest, encoding: 'base64' });
    const cur: CertificateCurrent = { dest, exists: f.exists, reasons: [], want, caExists };
    if (!f.exists || f.content === undefined) {
      cur.reasons.push('missing');
      return cur;
    }
    let p12;
    try {
      p12 = readPkcs12(Buffer.from(f.content, 'base64'), asSecret(args.password)!.reveal(), `${ctx.host}:${dest}`);
    } catch (e) {
      cur.reasons.push(e instanceof CertError ? e.message : `unreadable: ${(e as Error).message}`);
      return cur;
    }
    const info = certInfoFromPem(p12.certPem);
    cur.before = {
      subject: info.subject,
      dns: info.sans.dns,
      ip: info.sans.ip,
      issuer: info.issuer,
      notAfter: info.notAfter.toISOString(),
    };
    if (!sameSet(info.sans.dns, want.dns) || !sameSet(info.sans.ip, want.ip)) cur.reasons.push('SANs differ');
    if (info.notAfter.getTime() - Date.now() < args.renew_before_days * DAY)
      cur.reasons.push(`expires ${info.notAfter.toISOString()}`);
    if (!caExists) cur.reasons.push('CA not created yet');
    else {
      const ca = await caFor(ctx, args, false);
      const leaf = new X509Certificate(p12.certPem);
      if (!leaf.checkIssued(new X509Certificate(ca.certPem)) || !leaf.verify(new X509Certificate(ca.certPem).publicKey))
        cur.reasons.push('issued by another CA');
    }
    return cur;
  },

  diff(cur, args) {
    if (cur.reasons.length === 0) return [];
    const c: Change<CertificateOp> = {
      target: cur.dest,
      action: cur.exists ? 'update' : 'create',
      ...(cur.before ? { before: cur.before } : {}),
      after: { dns: cur.want.dns, ip: cur.want.ip, subject: `CN=${cur.want.name}`, reason: cur.reasons.join('; ') },
      op: {
        kind: 'issue',
        dest: cur.dest,
        name: cur.want.name,
        dns: cur.want.dns,
        ip: cur.want.ip,
        password: asSecret(args.password)!,
        reissue: cur.exists,
        reasons: cur.reasons,
      },
    };
    return [c];
  },

  report(cur) {
    return { path: cur.dest, sans: cur.want, ...(cur.before ? { not_after: cur.before.notAfter } : {}) };
  },

  async apply(ctx, args, plan) {
    // The plan is one change: this certificate issued and put on the host.
    const op = plan[0]!.op!;
    const ca = await caFor(ctx, args, true);
    const password = op.password.reveal();
    // The key is made on libuv's thread pool: hosts in parallel do not queue behind each other's keygen.
    // issueCertAsync refuses an expired CA and ends the leaf at the CA's notAfter when `days` would pass it
    // (with a warning, carried into msg and data.warnings).
    const make = async () => {
      const leaf = await issueCertAsync({
        ca,
        name: op.name,
        dns: op.dns,
        ip: op.ip,
        days: args.days,
        serverAndClientAuth: args.server_and_client_auth,
      });
      return {
        p12: toPkcs12({
          keyPem: leaf.keyPem,
          certPem: leaf.certPem,
          caPems: [ca.certPem],
          password,
          alias: 'instance',
        }),
        warnings: leaf.warnings,
      };
    };
    let made: { p12: Buffer; warnings: string[] };
    if (args.wildcard) {
      const key = `${args.ca_dir}|${op.dns.join(',')}|${op.ip.join(',')}`;
      const wildcardCache = scratchOf(ctx).wildcardCertificates;
      let p = wildcardCache.get(key);
      if (!p) wildcardCache.set(key, (p = make()));
      try {
        made = await p;
      } catch (e) {
        throw new ModuleError(`${ctx.host}: es_certificate: ${(e as Error).message}`);
      }
    } else {
      try {
        made = await make();
      } catch (e) {
        throw new ModuleError(`${ctx.host}: es_certificate: ${(e as Error).message}`);
      }
    }
    const { p12, warnings } = made;
    const agent = await ctx.agent();
    // The file belongs with the config it is used from: same owner and group as the config dir.
    const dirStat = await agent.call('file.stat', { path: dirname(op.dest) });
    if (!dirStat.exists)
      throw new ModuleError(`${ctx.host}: es_certificate: directory ${dirname(op.dest)} does not exist`);
    const r = await agent.call('file.put', {
      path: op.dest,
      content: p12.toString('base64'),
      encoding: 'base64',
      mode: args.mode,
      ...(dirStat.owner ? { owner: dirStat.owner } : {}),
      ...(dirStat.group ? { group: dirStat.group } : {}),
      backup: true,
      ...backupArgs(ctx),
    });
    return {
      applied: plan,
      msg: `${op.reissue ? 'reissued' : 'issued'} ${op.dest} (${op.reasons.join('; ')})${warnings.map((w) => `; WARNING: ${w}`).join('')}`,
      data: {
        path: op.dest,
        sans: { dns: op.dns, ip: op.ip, name: op.name },
        ...(warnings.length ? { warnings } : {}),
      },
      ...(args.notify_restart
        ? { changedFiles: [{ path: op.dest, ...(r.backupPath ? { backupPath: r.backupPath } : {}) }] }
        : {}),
    };
  },
};
