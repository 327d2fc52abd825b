// keystore_consistent: before the alias switches, do the keystores of every host of the cluster hold the same
// setting names, including the ones the switch needs (`require`)? Elastic requires identical secure settings on
// every node and does not enforce it (docs/es-9x.md §3); a node without the credentials would stay on certificates
// or fail to connect once the alias points at the remote cluster server. Read through the agent, names only.
// Never changes anything; fails naming each node that differs and how.
import { ModuleError, readOnly } from '../contract.js';
import { asSecret, type Secret } from '../../secrets.js';
import { keystoreDivergence, type KeystoreView } from '../../elastic/keystore-convergence.js';
import { groupHosts } from './common.js';
import { stagedKeystoreView } from './keystore-views.js';

export interface KeystoreConsistentArgs {
  require: string[];
  hosts?: string[];
  cluster_group?: string;
  keystore_password?: Secret | string;
}

export interface KeystoreConsistency {
  consistent: boolean;
  nodes: Array<{ node: string; names: string[]; sha256?: string }>;
  problems: string[];
}

export const keystoreConsistent = readOnly<KeystoreConsistentArgs, KeystoreConsistency>({
  name: 'keystore_consistent',
  description: 'Check that every node of the cluster has the same keystore setting names, including the required ones',
  runsOn: 'controller',
  schema: {
    require: { type: 'list', elements: 'string', default: [], description: 'setting names every keystore must hold' },
    hosts: { type: 'list', elements: 'string', description: 'hosts to compare (default: the play hosts)' },
    cluster_group: { type: 'string', description: 'compare the hosts of this group' },
    keystore_password: { type: 'string', secret: true },
  },
  rules: { mutuallyExclusive: [['hosts', 'cluster_group']] },

  async read(ctx, args) {
    const hosts = args.hosts ?? (args.cluster_group ? groupHosts(ctx, args.cluster_group) : ctx.playHosts);
    const password = asSecret(args.keystore_password);
    const views: KeystoreView[] = await Promise.all(hosts.map((h) => stagedKeystoreView(ctx, h, password)));
    const problems = keystoreDivergence(views, args.require);
    const result: KeystoreConsistency = {
      consistent: problems.length === 0,
      nodes: views.map((v) => ({
        node: v.node,
        names: v.names,
        ...(v.stagedSha256 ? { sha256: v.stagedSha256 } : {}),
      })),
      problems,
    };
    if (problems.length)
      throw new ModuleError(
        `the keystores of ${hosts.length} node(s) differ: ${problems.join('; ')} (Elasticsearch requires the same secure settings on every node)`,
        { ...result },
      );
    return result;
  },

  report(r) {
    return {
      ...r,
      msg: `${r.nodes.length} keystore(s) hold the same ${r.nodes[0]?.names.length ?? 0} setting name(s)`,
    };
  },
});
