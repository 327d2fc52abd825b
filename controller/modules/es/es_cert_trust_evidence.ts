// es_cert_trust_evidence: may certificate trust go? On 9.x each local node's deprecation log says when it last
// opened a certificate-based connection for the alias (controller/modules/es/cert-evidence.ts). Refused (fails)
// while any node shows one after the alias was verified on API keys on every node (es_remote_verify records that
// time), or shows one and no such verification is on record. 8.x nodes write no such line: the check reports
// that and leaves the decision to _remote/info (es_remote_verify). Never changes anything.
import { ModuleError, readOnly } from '../contract.js';
import { getInfo } from '../../elastic/api/cluster.js';
import { versionAtLeast } from '../../version.js';
import { esFor, groupHosts, MIN_VERSIONS, stateKey } from './common.js';
import { readCertEvidence, type NodeCertEvidence } from './cert-evidence.js';

export interface CertTrustEvidenceArgs {
  alias: string;
  cluster_group?: string;
  hosts?: string[];
  fail: boolean;
}

export interface CertTrustEvidence {
  alias: string;
  version: string;
  /** false below 9.0: no deprecation line exists to read. */
  supported: boolean;
  /** When the alias was last verified on API keys on every node (saved state), if ever. */
  rcs2_since?: string;
  nodes: Array<{ node: string; log: string; last_certificate_connection?: string; count: number }>;
  problems: string[];
}

/** The saved-state key of "verified on API keys on every local node since". */
export const rcs2SinceKey = (clusterUuid: string, alias: string) =>
  stateKey('remote_cluster', clusterUuid, alias, 'rcs2_verified_at');

export function certTrustProblems(alias: string, evidence: NodeCertEvidence[], rcs2Since?: string): string[] {
  const problems: string[] = [];
  for (const n of evidence) {
    const seen = n.aliases[alias];
    if (!seen?.last) continue;
    if (!rcs2Since)
      problems.push(
        `${n.node}: certificate-based connection to ${alias} at ${seen.last} (${n.logFile}) and no switch to API keys on record (migrate.yml verifies and records it)`,
      );
    else if (seen.last > rcs2Since)
      problems.push(
        `${n.node}: certificate-based connection to ${alias} at ${seen.last}, after the switch verified at ${rcs2Since} (${n.logFile})`,
      );
  }
  return problems;
}

export const esCertTrustEvidence = readOnly<CertTrustEvidenceArgs, CertTrustEvidence>({
  name: 'es_cert_trust_evidence',
  description:
    "Read every local node's deprecation log (9.x) for certificate-based connections of the alias since its switch",
  runsOn: 'controller',
  schema: {
    alias: { type: 'string', required: true },
    cluster_group: { type: 'string', description: 'the local cluster (default: the play hosts)' },
    hosts: { type: 'list', elements: 'string' },
    fail: { type: 'boolean', default: true, description: 'fail when certificate connections are seen (false: report)' },
  },
  rules: { mutuallyExclusive: [['hosts', 'cluster_group']] },

  async read(ctx, args) {
    const hosts = args.hosts ?? (args.cluster_group ? groupHosts(ctx, args.cluster_group) : ctx.playHosts);
    const info = await getInfo(esFor(ctx, args.cluster_group));
    const version = info.version.number;
    if (!versionAtLeast(version, MIN_VERSIONS.deprecationLog))
      return { alias: args.alias, version, supported: false, nodes: [], problems: [] };
    const since = ctx.state.get<{ at: string }>(rcs2SinceKey(info.cluster_uuid, args.alias))?.at;
    const evidence = await readCertEvidence(ctx, hosts, info.cluster_name);
    const problems = certTrustProblems(args.alias, evidence, since);
    const result: CertTrustEvidence = {
      alias: args.alias,
      version,
      supported: true,
      ...(since ? { rcs2_since: since } : {}),
      nodes: evidence.map((n) => ({
        node: n.node,
        log: n.logFile,
        count: n.aliases[args.alias]?.count ?? 0,
        ...(n.aliases[args.alias]?.last ? { last_certificate_connection: n.aliases[args.alias]!.last } : {}),
      })),
      problems,
    };
    if (problems.length && args.fail)
      throw new ModuleError(
        `certificate trust is still in use for ${args.alias}: ${problems.join('; ')}. Migrate the alias (or find the node that still connects with certificates) before removing certificate trust`,
        { ...result },
      );
    return result;
  },

  report(r) {
    const msg = !r.supported
      ? `${r.version}: no deprecation log entries below 9.0; _remote/info on every node decides`
      : `${r.nodes.length} node(s): no certificate-based connection to ${r.alias}${r.rcs2_since ? ` since ${r.rcs2_since}` : ''}`;
    return { ...r, msg };
  },
});
