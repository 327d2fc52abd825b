// es_reload_secure_settings: POST /_nodes/reload_secure_settings and check every node's reload_exception
// (ES answers 200 even when nodes fail). Runs when a keystore of the cluster's hosts changed since the last
// reload (the keystore module leaves a `keystore_pending_reload/<host>` mark in saved state) or with `force`,
// so a re-run is ok. Below 8.13 remote cluster credentials only load at start: the result says a restart is needed.
// 9.3+ nodes report the names and digest of the keystore they loaded (docs/es-9x.md §3): every node must list
// `expect_settings`, all must list the same names, and each digest must be the SHA-256 of the file staged on that
// node's host (controller/elastic/keystore-convergence.ts); otherwise the task fails, naming the node.
import type { Resource } from '../contract.js';
import { ModuleError } from '../contract.js';
import { type Secret, asSecret } from '../../secrets.js';
import { reloadSecureSettings, reloadFailures } from '../../elastic/api/reload.js';
import { getInfo } from '../../elastic/api/cluster.js';
import { esFor, groupHosts, MIN_VERSIONS } from './common.js';
import { versionAtLeast } from '../../version.js';
import { scratchOf } from './run-secrets.js';
import { opOf } from './apply-plan.js';
import { keystoreDivergence, type KeystoreView } from '../../elastic/keystore-convergence.js';
import type { ReloadSecureSettingsResponse } from '../../elastic/api/reload.js';
import type { TaskContext } from '../contract.js';
import { PartialApplyError } from '../contract.js';
import { nodeNameOf, stagedKeystoreView } from './keystore-views.js';

export interface ReloadArgs {
  keystore_password?: Secret | string;
  force: boolean;
  hosts?: string[];
  cluster_group?: string;
  timeout?: string;
  expect_settings?: string[];
}

export interface ReloadCurrent {
  version: string;
  pendingHosts: string[];
  hosts: string[];
}

/** Reload every node's secure settings, then clear the pending marks of the keystores it picked up. */
export interface ReloadOp {
  kind: 'reload';
  password?: Secret;
  timeout?: string;
  /** Hosts whose `keystore_pending_reload/<host>` mark the reload clears. */
  pendingHosts: string[];
}

export const esReloadSecureSettings: Resource<ReloadArgs, ReloadCurrent, ReloadOp> = {
  name: 'es_reload_secure_settings',
  description: "Reload keystore secure settings on every node and check each node's reload_exception",
  runsOn: 'controller',
  changeNoun: ['secure settings reload', 'secure settings reloads'],
  schema: {
    keystore_password: { type: 'string', secret: true },
    force: { type: 'boolean', default: false },
    hosts: {
      type: 'list',
      elements: 'string',
      description:
        'hosts of the cluster whose keystore changes trigger a reload (default: the play hosts or cluster_group)',
    },
    cluster_group: { type: 'string' },
    timeout: { type: 'string' },
    expect_settings: {
      type: 'list',
      elements: 'string',
      default: [],
      description: '9.3+: secure setting names every node must report after the reload',
    },
  },

  async read(ctx, args) {
    const info = await getInfo(esFor(ctx, args.cluster_group));
    const hosts = args.hosts ?? (args.cluster_group ? groupHosts(ctx, args.cluster_group) : ctx.playHosts);
    // In check mode the keystore tasks did not write: the hosts they would have changed count as pending.
    const pendingHosts = hosts.filter(
      (h) =>
        ctx.state.get(`keystore_pending_reload/${h}`) !== undefined ||
        (ctx.check && scratchOf(ctx).plannedKeystoreChanges.has(h)),
    );
    return { version: info.version.number, pendingHosts, hosts };
  },

  diff(current, args) {
    if (!args.force && current.pendingHosts.length === 0) return [];
    const pw = asSecret(args.keystore_password);
    return [
      {
        target: 'POST /_nodes/reload_secure_settings',
        action: 'run',
        after: { changed_keystores: current.pendingHosts },
        op: {
          kind: 'reload',
          ...(pw ? { password: pw } : {}),
          ...(args.timeout ? { timeout: args.timeout } : {}),
          pendingHosts: [...current.pendingHosts],
        },
      },
    ];
  },

  async apply(ctx, args, plan, current) {
    const es = esFor(ctx, args.cluster_group);
    const [reload] = plan;
    const op = opOf(reload!);
    const res = await reloadSecureSettings(es, {
      ...(op.password ? { password: op.password } : {}),
      ...(op.timeout ? { timeout: op.timeout } : {}),
    });
    const failures = reloadFailures(res);
    if (failures.length) {
      throw new ModuleError(`reload_secure_settings failed on ${failures.length} node(s): ${failures.join('; ')}`, {
        failures,
      });
    }
    if (res.nodes_failed)
      throw new ModuleError(`reload_secure_settings: ${res.nodes_failed} node(s) did not answer (_nodes.failed)`);
    for (const h of op.pendingHosts) await ctx.state.delete(`keystore_pending_reload/${h}`);
    const convergence = await loadedConvergence(ctx, current.hosts, res, args.expect_settings ?? []);
    if (convergence.problems.length)
      throw new PartialApplyError(
        `after the reload the nodes' keystores differ: ${convergence.problems.join('; ')}`,
        plan,
        { keystores: convergence.nodes },
      );
    const restartRequired = !versionAtLeast(current.version, MIN_VERSIONS.reloadableCredentials);
    return {
      applied: plan,
      msg: restartRequired
        ? `reloaded on ${res.nodes.length} node(s), but ${current.version} < 8.13: cluster.remote.*.credentials load only at start — a restart is needed`
        : `reloaded on ${res.nodes.length} node(s)`,
      data: {
        nodes: res.nodes.map((n) => n.name),
        restart_required: restartRequired,
        ...(convergence.checked ? { keystores: convergence.nodes } : {}),
      },
    };
  },

  report(current) {
    return {
      restart_required: !versionAtLeast(current.version, MIN_VERSIONS.reloadableCredentials),
      pending_hosts: current.pendingHosts,
    };
  },
};

/** 9.3+ only (nodes that report secure_setting_names): the loaded keystores against the staged files. */
async function loadedConvergence(
  ctx: TaskContext,
  hosts: string[],
  res: ReloadSecureSettingsResponse,
  required: string[],
): Promise<{ checked: boolean; problems: string[]; nodes: Array<Record<string, unknown>> }> {
  const reporting = res.nodes.filter((n) => n.secure_setting_names !== undefined);
  if (reporting.length === 0 || required.length === 0) return { checked: false, problems: [], nodes: [] };
  const staged = new Map<string, KeystoreView>();
  await Promise.all(
    hosts.map(async (h) => {
      const v = await stagedKeystoreView(ctx, h);
      staged.set(nodeNameOf(ctx, h), v);
    }),
  );
  const views: KeystoreView[] = reporting.map((n) => {
    const s = staged.get(n.name);
    return {
      node: n.name,
      names: n.secure_setting_names ?? [],
      ...(n.keystore_digest ? { loadedDigest: n.keystore_digest } : {}),
      ...(n.keystore_path ? { loadedPath: n.keystore_path } : {}),
      ...(s?.stagedSha256 ? { stagedSha256: s.stagedSha256 } : {}),
      ...(s?.stagedPath ? { stagedPath: s.stagedPath } : {}),
    };
  });
  const problems = keystoreDivergence(views, required);
  const unmatched = reporting.filter((n) => !staged.has(n.name)).map((n) => n.name);
  if (unmatched.length)
    problems.push(
      `node(s) ${unmatched.join(', ')} answered the reload but match no host of the cluster (set es_node_name when node.name differs from the host name)`,
    );
  return {
    checked: true,
    problems,
    nodes: views.map((v) => ({
      node: v.node,
      names: v.names,
      digest: v.loadedDigest,
      matches_staged: v.loadedDigest !== undefined && v.loadedDigest === v.stagedSha256,
    })),
  };
}
