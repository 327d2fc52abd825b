// client_trust_guard: before the local-client phase writes the remote cluster server's CA and the
// remote_cluster_client TLS block, make sure that does not take trust away from another alias of this cluster that
// already uses API keys (its cluster_credentials in _remote/info): replacing the CA file's content, or a block whose
// certificate_authorities no longer lists a file it listed, would break those aliases at the nodes' next restart —
// a connection this run did not set out to change. Today's playbooks migrate one pair; a second remote cluster with
// its own CA on the same local cluster is refused here, naming the aliases and files, nothing changed (the fleet
// issue plans all of a cluster's CAs together). Never changes anything.
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { ModuleError, readOnly } from '../contract.js';
import { loadBounded as load } from '../../../agent/yaml-bounds.js';
import { getRemoteInfo } from '../../elastic/api/remote.js';
import { esForNode } from './common.js';
import { flatten } from './elasticsearch_yml.js';
import { keystorePathOf } from './keystore-views.js';
import { errorText } from '../../values.js';

export interface ClientTrustGuardArgs {
  alias: string;
  ca_src: string;
  ca_file: string;
  hosts?: string[];
}

export interface ClientTrustGuard {
  /** Other aliases of this cluster on API keys (they rely on the remote_cluster_client TLS trust). */
  api_key_aliases: string[];
  problems: string[];
}

const CA_LIST = 'xpack.security.remote_cluster_client.ssl.certificate_authorities';
const sha = (b: Buffer | string) => createHash('sha256').update(b).digest('hex');

/** The file names a client CA setting lists (a YAML list or a comma-separated string). */
export function listedFiles(v: unknown): string[] {
  if (Array.isArray(v)) return v.map(String);
  if (typeof v === 'string' && v.trim()) return v.split(',').map((s) => s.trim());
  return [];
}

export const clientTrustGuard = readOnly<ClientTrustGuardArgs, ClientTrustGuard>({
  name: 'client_trust_guard',
  description:
    "Refuse to replace the remote cluster client's CA trust while another alias of the cluster uses API keys",
  runsOn: 'controller',
  schema: {
    alias: { type: 'string', required: true, description: 'the alias this run migrates' },
    ca_src: { type: 'string', required: true, description: 'the CA file on the controller the run will put' },
    ca_file: { type: 'string', required: true, description: 'its file name in each config dir' },
    hosts: { type: 'list', elements: 'string', description: 'the local cluster hosts (default: the play hosts)' },
  },

  async read(ctx, args) {
    const hosts = args.hosts ?? ctx.playHosts;
    const first = hosts.find((h) => typeof ctx.hostVars(h).es_node_url === 'string');
    if (!first || !existsSync(args.ca_src)) return { api_key_aliases: [], problems: [] };
    const vars = ctx.hostVars(first);
    const info = await getRemoteInfo(esForNode(ctx, vars, String(vars.es_node_url)));
    const others = Object.entries(info)
      .filter(([a, e]) => a !== args.alias && e.cluster_credentials !== undefined)
      .map(([a]) => a)
      .sort();
    if (others.length === 0) return { api_key_aliases: [], problems: [] };
    const want = sha(readFileSync(args.ca_src));
    const problems: string[] = [];
    await Promise.all(
      hosts.map(async (h) => {
        const config = dirname(keystorePathOf(ctx, h));
        try {
          const agent = await ctx.agentFor(h);
          const caPath = join(config, args.ca_file);
          const [st, yml] = await Promise.all([
            agent.call('file.stat', { path: caPath, checksum: true }),
            agent.call('file.read', { path: join(config, 'elasticsearch.yml') }),
          ]);
          if (st.exists && st.sha256 && st.sha256 !== want)
            problems.push(`${h}: ${caPath} holds another CA than ${args.ca_src}; this run would replace it`);
          const listed = yml.exists ? listedFiles(flatten(load(yml.content ?? '') ?? {})[CA_LIST]) : [];
          const dropped = listed.filter((f) => f !== args.ca_file);
          if (dropped.length)
            problems.push(`${h}: ${CA_LIST} lists ${dropped.join(', ')}, which this run's block would no longer list`);
        } catch (e) {
          problems.push(`${h}: client trust not read: ${errorText(e)}`);
        }
      }),
    );
    if (problems.length)
      throw new ModuleError(
        `alias(es) ${others.join(', ')} of this cluster already use API keys and rely on the remote cluster client's CA trust: ${problems.sort().join('; ')}. At the next restart they would no longer connect. Nothing was changed: migrate one remote cluster per CA with the fleet plan, or put every remote CA in one file named by crosskey_remote_ca_file`,
        { api_key_aliases: others, problems },
      );
    return { api_key_aliases: others, problems };
  },

  report(r) {
    return {
      ...r,
      msg: r.api_key_aliases.length
        ? `the trust of ${r.api_key_aliases.join(', ')} stays as it is`
        : 'no other alias on API keys',
    };
  },
});
