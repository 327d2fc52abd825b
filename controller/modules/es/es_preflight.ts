// es_preflight: everything the migration needs to be true before it changes anything (docs/procedure.md §1.1, §1.3 step
// 1, §9 #10). Reads both clusters (the local one of the task host or `local_group`, the remote one through
// `remote_group`): every node's version (mixed versions flagged), license enterprise/trial, security enabled,
// health green, the tool user's privileges, how the alias is defined (persistent / transient / yml; more than one
// kind is flagged), ≥ 8.10 (warn < 8.14), keystores password-protected (agent keystore.list per local host).
// Registers facts for later tasks. Never changes anything; fails (unless `fail: false`) listing every problem.
import type { TaskContext } from '../contract.js';
import { ModuleError, readOnly } from '../contract.js';
import type { EsApi } from '../../elastic/types.js';
import {
  getInfo,
  getNodes,
  getLicense,
  clusterHealth,
  authenticate,
  hasPrivileges,
  getNodesSettings,
  getClusterSettings,
  licenseAllowsRcs2,
} from '../../elastic/api/cluster.js';
import { readAliasDefinition, definitionKinds, getRemoteInfo, aliasPrefix, modeOf } from '../../elastic/api/remote.js';
import { esFor, esForNode, groupHosts, remoteServerAddresses, stateKey, withPort, MIN_VERSIONS } from './common.js';
import { versionAtLeast } from '../../version.js';
import type { SavedAliasDefinition } from './es_remote_cluster.js';
import { join } from 'node:path';
import { errorText } from '../../values.js';
import { configDirOf } from './keystore-views.js';
import { discoverTasks } from './es_tasks.js';
import { rolesOf } from '../../elastic/api/tasks.js';
import { getRoles } from '../../elastic/api/roles.js';

export interface PreflightArgs {
  alias: string;
  local_group: string;
  remote_group: string;
  local_privileges: string[];
  remote_privileges: string[];
  check_keystores: boolean;
  require_green: boolean;
  fail: boolean;
  rcs_port: number;
}

export interface ClusterFacts {
  cluster_name: string;
  cluster_uuid: string;
  version: string;
  node_versions: Record<string, string>;
  mixed_versions: boolean;
  license: { type: string; status: string };
  security_enabled: boolean;
  health: string;
  user: string;
  missing_privileges: string[];
  /** xpack.security.transport.filter.deny (cluster settings, else any node's elasticsearch.yml): set on a remote
   *  cluster by disable-cert-trust.yml, it stops certificate-based connections (a rollback cannot reconnect). */
  transport_filter_deny: string[];
  /** Major version of the lowest node (8, 9). */
  major: number;
}

export interface PreflightFacts {
  alias: string;
  local: ClusterFacts;
  remote: ClusterFacts;
  /** The lowest node version of the local cluster decides the feature gates. */
  reload_supported: boolean;
  remote_cluster_privileges_supported: boolean;
  resolve_cluster_supported: boolean;
  /** 9.0+: local nodes log certificate-based connections to the deprecation log (es_cert_trust_evidence). */
  deprecation_log_supported: boolean;
  /** 9.3+: the reload answer names each node's secure settings and keystore digest (es_reload_secure_settings). */
  keystore_details_supported: boolean;
  /** 9.3+ on both clusters: cross-cluster API keys with certificate_identity, signed requests. */
  strong_identity_supported: boolean;
  /** none | persistent | transient | yml | multiple */
  alias_kind: string;
  alias_definition: { kinds: string[]; persistent: unknown; transient: unknown; yml_nodes: string[] };
  /** For an alias in elasticsearch.yml: flat settings (for elasticsearch_yml) pointing it at the remote cluster
   *  server, and the certificate-trust original (from the saved original when one exists) for rollback. */
  static_alias_settings_rcs2?: Record<string, unknown>;
  static_alias_settings_rcs1?: Record<string, unknown>;
  keystore_password_protected: Record<string, boolean | null>;
  /** How the alias connects on the local nodes now (each node's own _remote/info): rcs1 | rcs2 | mixed | none. */
  alias_model: string;
  alias_model_per_node: Record<string, string>;
  /** Every local node uses the API key for the alias: the switch is done (playbooks skip it on a re-run). */
  migrated: boolean;
  problems: string[];
  warnings: string[];
}

async function clusterFacts(
  es: EsApi,
  side: string,
  privileges: string[],
  problems: string[],
  warnings: string[],
): Promise<ClusterFacts> {
  const [info, nodes, lic, h, settings, clusterSettings] = await Promise.all([
    getInfo(es),
    getNodes(es),
    getLicense(es),
    clusterHealth(es),
    getNodesSettings(es),
    getClusterSettings(es),
  ]);
  const versions = Object.fromEntries(nodes.map((n) => [n.name, n.version]));
  let user = '';
  let securityEnabled = true;
  let missing: string[] = [];
  try {
    user = (await authenticate(es)).username;
    if (privileges.length) missing = (await hasPrivileges(es, privileges)).missing;
  } catch (e) {
    securityEnabled = false;
    problems.push(`${side}: security check failed: ${errorText(e)}`);
  }
  for (const n of settings) {
    if (String(n.settings['xpack.security.enabled']) === 'false') {
      securityEnabled = false;
      problems.push(`${side}: node ${n.name} has xpack.security.enabled: false`);
    }
  }
  const distinct = [...new Set(Object.values(versions))];
  const lowest = distinct.reduce((a, b) => (versionAtLeast(a, b) ? b : a), info.version.number);
  if (distinct.length > 1)
    problems.push(
      `${side}: mixed node versions ${Object.entries(versions)
        .map(([n, v]) => `${n}=${v}`)
        .join(', ')}: finish the upgrade first`,
    );
  if (!versionAtLeast(lowest, MIN_VERSIONS.rcs2))
    problems.push(`${side}: version ${lowest} < 8.10: API-key remote clusters do not exist there`);
  else if (!versionAtLeast(lowest, MIN_VERSIONS.recommended))
    warnings.push(`${side}: version ${lowest} < 8.14: supported in degraded mode (Elastic recommends 8.14+)`);
  if (!licenseAllowsRcs2(lic))
    problems.push(
      `${side}: license ${lic.type} (${lic.status}): API-key remote clusters need an active enterprise (or trial) license`,
    );
  if (missing.length) problems.push(`${side}: user ${user} lacks cluster privilege(s) ${missing.join(', ')}`);
  const denyKey = 'xpack.security.transport.filter.deny';
  const deny =
    clusterSettings.transient?.[denyKey] ??
    clusterSettings.persistent?.[denyKey] ??
    settings.map((n) => n.settings[denyKey]).find((v) => v !== undefined);
  const major = Number(lowest.split('.')[0]);
  if (major > 9)
    warnings.push(`${side}: version ${lowest}: newer than crosskey knows (8.10 to 9.x); check the release notes first`);
  return {
    major,
    transport_filter_deny:
      deny === undefined || deny === null ? [] : Array.isArray(deny) ? deny.map(String) : [String(deny)],
    cluster_name: info.cluster_name,
    cluster_uuid: info.cluster_uuid,
    version: lowest,
    node_versions: versions,
    mixed_versions: distinct.length > 1,
    license: { type: lic.type, status: lic.status },
    security_enabled: securityEnabled,
    health: h.status,
    user,
    missing_privileges: missing,
  };
}

async function taskOwnerProblems(es: EsApi, remoteEs: EsApi, alias: string): Promise<string[]> {
  const found = await discoverTasks(es, alias);
  const tasks = [
    ...found.transforms.map((t) => ({ kind: 'transform', id: t.id, auth: t.authorization })),
    ...found.datafeeds.map((d) => ({ kind: 'datafeed', id: d.datafeed_id, auth: d.authorization })),
  ]
    .filter((t) => t.auth && !('api_key' in t.auth))
    .map((t) => ({ kind: t.kind, id: t.id, roles: rolesOf(t.auth) }));
  const names = [...new Set(tasks.flatMap((t) => t.roles))];
  const [local, remote] = await Promise.all([getRoles(es, names), getRoles(remoteEs, names)]);
  return reservedOwnerProblems(alias, tasks, local, remote);
}

async function keystoreProtection(
  ctx: TaskContext,
  hosts: string[],
  warnings: string[],
): Promise<Record<string, boolean | null>> {
  const out: Record<string, boolean | null> = {};
  await Promise.all(
    hosts.map(async (h) => {
      const vars = ctx.hostVars(h);
      const config = configDirOf(vars);
      if (!config) {
        out[h] = null;
        warnings.push(`${h}: es_config not set: keystore not checked`);
        return;
      }
      try {
        const agent = await ctx.agentFor(h);
        const ls = await agent.call('keystore.list', { path: join(config, 'elasticsearch.keystore') });
        out[h] = ls.exists ? !!ls.hasPassword : false;
      } catch (e) {
        out[h] = null;
        warnings.push(`${h}: keystore not checked: ${errorText(e)}`);
      }
    }),
  );
  return out;
}

/** rcs2 when the node's own _remote/info shows cluster_credentials for the alias, rcs1 without, none when absent. */
async function aliasModelPerNode(
  ctx: TaskContext,
  hosts: string[],
  alias: string,
  warnings: string[],
): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  await Promise.all(
    hosts.map(async (h) => {
      const vars = ctx.hostVars(h);
      const url = typeof vars.es_node_url === 'string' ? vars.es_node_url : undefined;
      if (!url) return;
      try {
        const entry = (await getRemoteInfo(esForNode(ctx, vars, url)))[alias];
        out[h] = !entry ? 'none' : entry.cluster_credentials !== undefined ? 'rcs2' : 'rcs1';
      } catch (e) {
        warnings.push(`${h}: _remote/info not read: ${errorText(e)}`);
      }
    }),
  );
  return out;
}

/**
 * Tasks that would lose their remote access under API keys. Under certificates the remote cluster grants a task's
 * reads through its remote roles of the same names; under API keys the task needs `remote_indices` on its local
 * roles, which es_roles derives from those remote roles (docs/procedure.md §2.8) — but a reserved local role
 * (`_reserved` metadata: viewer, editor, transform_admin, …) cannot be changed. A task whose remote access comes only
 * from reserved roles (superuser aside: it covers remote indices) would fail after the switch.
 */
export function reservedOwnerProblems(
  alias: string,
  tasks: Array<{ kind: string; id: string; roles: string[] }>,
  localRoles: Record<string, { metadata?: unknown }>,
  remoteRoles: Record<string, { indices?: unknown[] }>,
): string[] {
  const reserved = (r: string) => (localRoles[r]?.metadata as Record<string, unknown> | undefined)?._reserved === true;
  const grants = (r: string) => (remoteRoles[r]?.indices?.length ?? 0) > 0;
  return tasks
    .filter((t) => !t.roles.includes('superuser'))
    .map((t) => ({ t, granting: t.roles.filter(grants) }))
    .filter(({ granting }) => granting.length > 0 && granting.every(reserved))
    .map(
      ({ t, granting }) =>
        `local: ${t.kind} ${t.id} reads ${alias} only through reserved role(s) ${granting.join(', ')} (granted by the remote cluster's roles of the same names), which cannot be given remote_indices: under API keys it would lose that access. Fix: have its owner hold a custom role with the same remote read (crosskey adds remote_indices to it) and update the ${t.kind} as that owner, then run again`,
    );
}

function aliasKind(kinds: string[]): string {
  return kinds.length === 0 ? 'none' : kinds.length === 1 ? kinds[0]! : 'multiple';
}

export const esPreflight = readOnly<PreflightArgs, PreflightFacts>({
  name: 'es_preflight',
  description:
    'Check versions, licenses, security, health, privileges and the alias definition on both clusters (changes nothing)',
  runsOn: 'controller',
  schema: {
    alias: { type: 'string', required: true },
    local_group: { type: 'string', default: 'local' },
    remote_group: { type: 'string', default: 'remote' },
    local_privileges: {
      type: 'list',
      elements: 'string',
      default: ['manage', 'manage_security', 'manage_ccr', 'manage_ml', 'manage_transform'],
    },
    remote_privileges: { type: 'list', elements: 'string', default: ['manage_security', 'monitor'] },
    check_keystores: { type: 'boolean', default: true },
    require_green: { type: 'boolean', default: true },
    fail: { type: 'boolean', default: true, description: 'fail the task when a problem is found (false: only report)' },
    rcs_port: { type: 'number', default: 9443, description: 'remote cluster server port (for static alias settings)' },
  },

  async read(ctx, args) {
    const problems: string[] = [];
    const warnings: string[] = [];
    const localEs = esFor(ctx, args.local_group);
    const remoteEs = esFor(ctx, args.remote_group);
    const [local, remote, def] = await Promise.all([
      clusterFacts(localEs, 'local', args.local_privileges, problems, warnings),
      clusterFacts(remoteEs, 'remote', args.remote_privileges, problems, warnings),
      readAliasDefinition(localEs, args.alias),
    ]);
    for (const [side, f] of [
      ['local', local],
      ['remote', remote],
    ] as const) {
      if (f.health !== 'green') (args.require_green ? problems : warnings).push(`${side}: cluster health ${f.health}`);
    }
    const saved = ctx.state.get<SavedAliasDefinition>(
      stateKey('remote_cluster', local.cluster_uuid, args.alias, 'original'),
    );
    let kinds = definitionKinds(def);
    if (kinds.length === 0 && saved && definitionKinds(saved).length) {
      // A run was interrupted between removing and re-adding the alias: the saved original says what it was.
      warnings.push(
        `local: alias ${args.alias} is not defined now; the saved original (${definitionKinds(saved).join(', ')}) is used`,
      );
      kinds = definitionKinds(saved);
    } else if (kinds.length === 0)
      problems.push(`local: alias ${args.alias} is not defined (persistent, transient or elasticsearch.yml)`);
    if (kinds.length > 1)
      problems.push(
        `local: alias ${args.alias} is defined ${kinds.join(' and ')} at once: nulling one falls back to the other; clean up first`,
      );
    const ymlNodes = Object.keys(def.yml);
    if (ymlNodes.length && ymlNodes.length !== Object.keys(local.node_versions).length) {
      warnings.push(`local: alias ${args.alias} is in elasticsearch.yml on ${ymlNodes.join(', ')} only`);
    }
    const localHosts = groupHosts(ctx, args.local_group);
    const [keystores, perNode] = await Promise.all([
      args.check_keystores ? keystoreProtection(ctx, localHosts, warnings) : Promise.resolve({}),
      aliasModelPerNode(ctx, localHosts, args.alias, warnings),
    ]);
    const models = [...new Set(Object.values(perNode))];
    const aliasModel = models.length === 1 ? models[0]! : models.length === 0 ? 'none' : 'mixed';
    if (aliasModel !== 'rcs2') problems.push(...(await taskOwnerProblems(localEs, remoteEs, args.alias)));
    const facts: PreflightFacts = {
      alias: args.alias,
      local,
      remote,
      reload_supported: versionAtLeast(local.version, MIN_VERSIONS.reloadableCredentials),
      remote_cluster_privileges_supported: versionAtLeast(local.version, MIN_VERSIONS.remoteClusterPrivileges),
      resolve_cluster_supported: versionAtLeast(local.version, MIN_VERSIONS.resolveCluster),
      deprecation_log_supported: versionAtLeast(local.version, MIN_VERSIONS.deprecationLog),
      keystore_details_supported: versionAtLeast(local.version, MIN_VERSIONS.keystoreDetails),
      strong_identity_supported:
        versionAtLeast(local.version, MIN_VERSIONS.strongIdentity) &&
        versionAtLeast(remote.version, MIN_VERSIONS.strongIdentity),
      alias_kind: aliasKind(kinds),
      alias_definition: { kinds, persistent: def.persistent, transient: def.transient, yml_nodes: ymlNodes },
      keystore_password_protected: keystores,
      alias_model: aliasModel,
      alias_model_per_node: perNode,
      migrated: aliasModel === 'rcs2',
      problems,
      warnings,
    };
    if (kinds.includes('yml')) {
      const original = Object.values((saved && Object.keys(saved.yml).length ? saved : def).yml)[0] ?? {};
      const p = aliasPrefix(args.alias);
      const rcs1: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(original)) rcs1[p + k] = v;
      const rcs2: Record<string, unknown> = {};
      if (modeOf(original) === 'proxy') {
        rcs2[p + 'proxy_address'] = withPort(String(original.proxy_address ?? ''), args.rcs_port);
      } else {
        rcs2[p + 'seeds'] = remoteServerAddresses(ctx, args.remote_group, args.rcs_port);
      }
      for (const k of Object.keys(rcs2)) if (!(k in rcs1)) rcs1[k] = null;
      facts.static_alias_settings_rcs2 = rcs2;
      facts.static_alias_settings_rcs1 = rcs1;
    }
    if (problems.length && args.fail) {
      throw new ModuleError(`preflight found ${problems.length} problem(s): ${problems.join('; ')}`, { facts });
    }
    return facts;
  },

  report(facts) {
    // `facts` for playbooks (`preflight.facts.reload_supported`), and flat for convenience.
    return { ...facts, facts };
  },
});
