// es_signing_certificate: the certificate and key a local cluster signs its cross-cluster requests with (9.3 strong
// identity, docs/es-9x.md §4). One pair per local cluster (CN `crosskey-signing.<cluster group>` unless `name` is
// given), issued on the controller from the crosskey CA and kept beside it (<ca_dir>/signing/<cn>.crt|.key, the key
// 0600), then put as PEM in every host's config dir (key 0600, certificate 0644, owner of the config dir). The
// settings name them relative to the config dir, as Elasticsearch resolves them. Reports the subject DN and the
// certificate_identity pattern that matches exactly it. Idempotent: files are put only when their digest differs;
// the pair is reissued only when missing, from another CA, or within renew_before_days of its end.
import { createHash, X509Certificate } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { Change, Resource } from '../contract.js';
import { ModuleError } from '../contract.js';
import { asSecret, secrets, type Secret } from '../../secrets.js';
import { issueCertAsync, loadCa } from '../../certs/index.js';
import { esFor, groupHosts } from './common.js';
import { getClusterSettings, putClusterSettings } from '../../elastic/api/cluster.js';
import { keystorePathOf } from './keystore-views.js';
import { performInOrder } from './apply-plan.js';
import { errorText } from '../../values.js';

export interface SigningCertArgs {
  ca_dir: string;
  ca_password?: Secret | string;
  cluster_group?: string;
  name?: string;
  cert_file: string;
  key_file: string;
  days: number;
  renew_before_days: number;
  /** The alias whose requests are signed with it: cluster.remote.<alias>.signing.{certificate,key} are set. */
  alias?: string;
}

interface HostFiles {
  host: string;
  config: string;
  certSha256?: string;
  keySha256?: string;
}

export interface SigningCertCurrent {
  cn: string;
  certPath: string;
  keyPath: string;
  /** Why the pair must be (re)issued on the controller; empty: the stored pair is good. */
  reissue: string[];
  stored?: { certPem: string; keyPem: string };
  hosts: HostFiles[];
  /** The alias's signing settings as the cluster has them (persistent). */
  aliasSettings?: Record<string, string | undefined>;
}

export type SigningCertOp =
  | { kind: 'issue'; certPath: string; keyPath: string; cn: string }
  | { kind: 'put'; host: string; path: string; which: 'certificate' | 'key' }
  | { kind: 'settings'; settings: Record<string, string> };

const sha = (s: string) => createHash('sha256').update(s).digest('hex');
/** The certificate_identity that matches exactly this single-CN subject (a Java regex, whole-string match). */
export const identityFor = (cn: string) => `^CN=${cn.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`;

export const esSigningCertificate: Resource<SigningCertArgs, SigningCertCurrent, SigningCertOp> = {
  name: 'es_signing_certificate',
  description: "Issue the local cluster's request-signing certificate (9.3 strong identity) and put it on every node",
  runsOn: 'controller',
  changeNoun: ['signing certificate change', 'signing certificate changes'],
  schema: {
    ca_dir: { type: 'string', required: true },
    ca_password: { type: 'string', secret: true },
    cluster_group: { type: 'string', description: 'the local cluster (default: the play hosts)' },
    name: { type: 'string', description: 'CN of the certificate (default crosskey-signing.<cluster group>)' },
    cert_file: { type: 'string', default: 'crosskey-signing.crt', description: 'file name in each config dir' },
    key_file: { type: 'string', default: 'crosskey-signing.key', description: 'file name in each config dir' },
    days: { type: 'number', default: 1095 },
    renew_before_days: { type: 'number', default: 30 },
    alias: { type: 'string', description: "sign this alias's requests (cluster.remote.<alias>.signing.* settings)" },
  },

  async read(ctx, args) {
    const hosts = args.cluster_group ? groupHosts(ctx, args.cluster_group) : ctx.playHosts;
    const cn = args.name ?? `crosskey-signing.${args.cluster_group ?? 'local'}`;
    if (!/^[A-Za-z0-9._-]+$/.test(cn))
      throw new ModuleError(`es_signing_certificate: name "${cn}" may hold letters, digits, '.', '_' and '-' only`);
    const dir = join(args.ca_dir, 'signing');
    const certPath = join(dir, `${cn}.crt`);
    const keyPath = join(dir, `${cn}.key`);
    const reissue: string[] = [];
    let stored: SigningCertCurrent['stored'];
    if (!existsSync(certPath) || !existsSync(keyPath)) reissue.push('not issued yet');
    else {
      stored = { certPem: readFileSync(certPath, 'utf8'), keyPem: readFileSync(keyPath, 'utf8') };
      secrets.register(stored.keyPem); // the private key never reaches an output, a journal or a report
      const cert = new X509Certificate(stored.certPem);
      const caPem = existsSync(join(args.ca_dir, 'ca.crt')) ? readFileSync(join(args.ca_dir, 'ca.crt'), 'utf8') : '';
      if (!caPem || !cert.verify(new X509Certificate(caPem).publicKey)) reissue.push('not issued by this CA');
      const left = (Date.parse(cert.validTo) - Date.now()) / 86_400_000;
      if (left < args.renew_before_days) reissue.push(`${Math.floor(left)} day(s) left`);
    }
    const files = await Promise.all(
      hosts.map(async (host): Promise<HostFiles> => {
        const config = dirname(keystorePathOf(ctx, host));
        try {
          const agent = await ctx.agentFor(host);
          const [c, k] = await Promise.all([
            agent.call('file.stat', { path: join(config, args.cert_file), checksum: true }),
            agent.call('file.stat', { path: join(config, args.key_file), checksum: true }),
          ]);
          return {
            host,
            config,
            ...(c.sha256 ? { certSha256: c.sha256 } : {}),
            ...(k.sha256 ? { keySha256: k.sha256 } : {}),
          };
        } catch (e) {
          throw new ModuleError(`${host}: signing certificate files not read: ${errorText(e)}`);
        }
      }),
    );
    let aliasSettings: Record<string, string | undefined> | undefined;
    if (args.alias) {
      const persistent = (await getClusterSettings(esFor(ctx, args.cluster_group))).persistent;
      aliasSettings = Object.fromEntries(
        Object.keys(signingSettings(args.alias, args)).map((k) => [k, persistent[k] as string | undefined]),
      );
    }
    return {
      cn,
      certPath,
      keyPath,
      reissue,
      ...(stored ? { stored } : {}),
      hosts: files,
      ...(aliasSettings ? { aliasSettings } : {}),
    };
  },

  diff(current, args) {
    const changes: Change<SigningCertOp>[] = [];
    if (current.reissue.length)
      changes.push({
        target: `controller ${current.certPath}`,
        action: current.stored ? 'update' : 'create',
        after: { subject: `CN=${current.cn}`, reasons: current.reissue },
        op: { kind: 'issue', certPath: current.certPath, keyPath: current.keyPath, cn: current.cn },
      });
    const want = current.reissue.length ? undefined : current.stored;
    for (const h of current.hosts) {
      for (const which of ['certificate', 'key'] as const) {
        const have = which === 'certificate' ? h.certSha256 : h.keySha256;
        const wanted = want ? sha(which === 'certificate' ? want.certPem : want.keyPem) : undefined;
        if (wanted !== undefined && have === wanted) continue;
        const path = join(h.config, which === 'certificate' ? args.cert_file : args.key_file);
        changes.push({
          target: `${h.host}:${path}`,
          action: have ? 'update' : 'create',
          after: which === 'certificate' ? { subject: `CN=${current.cn}` } : { key: '(private key, 0600)' },
          op: { kind: 'put', host: h.host, path, which },
        });
      }
    }
    if (args.alias && current.aliasSettings) {
      const want = signingSettings(args.alias, args);
      const differ = Object.entries(want).filter(([k, v]) => current.aliasSettings![k] !== v);
      if (differ.length)
        changes.push({
          target: `cluster settings cluster.remote.${args.alias}.signing.*`,
          action:
            differ.length === 2 && differ.every(([k]) => current.aliasSettings![k] === undefined) ? 'create' : 'update',
          before: current.aliasSettings,
          after: want,
          op: { kind: 'settings', settings: want },
        });
    }
    return changes;
  },

  async apply(ctx, args, plan, current) {
    let pair = current.stored;
    const applied = await performInOrder(plan, async (op) => {
      if (op.kind === 'issue') {
        const ca = loadCa(args.ca_dir, asSecret(args.ca_password)?.reveal());
        const made = await issueCertAsync({ ca, name: op.cn, days: args.days, serverAndClientAuth: true });
        mkdirSync(dirname(op.certPath), { recursive: true, mode: 0o700 });
        writeFileSync(op.keyPath, made.keyPem, { mode: 0o600 });
        chmodSync(op.keyPath, 0o600);
        writeFileSync(op.certPath, made.certPem, { mode: 0o644 });
        secrets.register(made.keyPem);
        pair = { certPem: made.certPem, keyPem: made.keyPem };
        return;
      }
      if (op.kind === 'settings') {
        // After the files are on every node: Elasticsearch checks that the files exist.
        await putClusterSettings(esFor(ctx, args.cluster_group), { persistent: op.settings });
        return;
      }
      if (!pair) throw new ModuleError('es_signing_certificate: no signing pair to put (planned in check mode?)');
      const agent = await ctx.agentFor(op.host);
      const dirStat = await agent.call('file.stat', { path: dirname(op.path) });
      await agent.call('file.put', {
        path: op.path,
        content: op.which === 'certificate' ? pair.certPem : pair.keyPem,
        mode: op.which === 'certificate' ? '0644' : '0600',
        ...(dirStat.owner ? { owner: dirStat.owner } : {}),
        ...(dirStat.group ? { group: dirStat.group } : {}),
      });
    });
    return { applied, msg: `signing certificate CN=${current.cn}`, data: report(current, args) };
  },

  report(current, args) {
    return report(current, args);
  },
};

/** The alias's signing settings: file names relative to the config dir, as Elasticsearch resolves them. */
function signingSettings(alias: string, args: SigningCertArgs): Record<string, string> {
  return {
    [`cluster.remote.${alias}.signing.certificate`]: args.cert_file,
    [`cluster.remote.${alias}.signing.key`]: args.key_file,
  };
}

function report(current: SigningCertCurrent, args: SigningCertArgs): Record<string, unknown> {
  return {
    subject: `CN=${current.cn}`,
    certificate_identity: identityFor(current.cn),
    cert_file: args.cert_file,
    key_file: args.key_file,
  };
}
