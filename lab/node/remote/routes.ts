// Remote cluster REST APIs of the lab node: GET /_remote/info (answered for the node asked),
// GET /_resolve/cluster/<expr> (8.13+, forces a round trip), POST /_nodes/reload_secure_settings.
import type { LabRequest, Route, RouteContext } from '../router.js';
import { esError } from '../http-error.js';
import { remoteConnections } from './manager.js';
import { RESOLVE_CLUSTER } from './fulfil.js';
import { splitIndexExpression } from './index-expr.js';
import { subjectFor, type Identity } from './subject.js';
import { RemoteError } from './wire.js';
import { reloadOnNodes, selectNodes } from './reload.js';
import { versionAtLeast } from '../../../controller/version.js';
import { patternMatches } from '../security/privileges.js';
import { compatibilityVersions } from '../cluster/versions.js';

function manager() {
  const m = remoteConnections();
  if (!m) throw esError(500, 'illegal_state_exception', 'remote cluster service is not started on this node');
  return m;
}

export function identityOf(ctx: RouteContext): Identity {
  const p = ctx.principal;
  if (!p) throw esError(401, 'security_exception', 'missing authentication credentials');
  if (p.kind === 'user') return { kind: 'roles', username: p.username, roles: p.roles };
  return {
    kind: 'api_key',
    username: p.username,
    id: p.key.id,
    role_descriptors: p.key.role_descriptors,
    limited_by: p.key.limited_by ?? [],
  };
}

async function resolveCluster(req: LabRequest, ctx: RouteContext) {
  if (!versionAtLeast(ctx.rt.esVersion, '8.13.0'))
    throw esError(400, 'illegal_argument_exception', `no handler found for uri [${req.path}] and method [GET]`);
  const m = manager();
  const exprs = (req.params.name ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  const aliases = m.configuredAliases(ctx.state);
  const perAlias = new Map<string, string[]>();
  const local: string[] = [];
  for (const e of exprs) {
    const s = splitIndexExpression(e);
    if (s.cluster === null) {
      if (!s.exclusion) local.push(s.index);
      continue;
    }
    const hits = aliases.filter((a) => patternMatches(s.cluster!, a.alias));
    if (hits.length === 0 && !s.cluster.includes('*'))
      throw esError(404, 'no_such_remote_cluster_exception', `no such remote cluster: [${s.cluster}]`);
    for (const a of hits) perAlias.set(a.alias, [...(perAlias.get(a.alias) ?? []), s.index]);
  }
  const out: Record<string, unknown> = {};
  if (local.length) {
    const names = Object.keys(ctx.state.indices);
    out['(local)'] = {
      connected: true,
      skip_unavailable: false,
      matching_indices: names.some((n) => local.some((l) => patternMatches(l, n))),
      version: {
        number: ctx.rt.esVersion,
        build_flavor: 'default',
        ...compatibilityVersions(ctx.rt.esVersion),
      },
    };
  }
  const who = identityOf(ctx);
  await Promise.all(
    [...perAlias].map(async ([alias, indices]) => {
      const settings = aliases.find((a) => a.alias === alias)!;
      try {
        const subject = subjectFor(ctx.state.security, who, alias, m.modelOf(alias), 'indices:admin/resolve/cluster');
        const ans = (await m.request(alias, RESOLVE_CLUSTER, { subject, indices })) as {
          matching_indices: boolean;
          version: unknown;
        };
        out[alias] = {
          connected: true,
          skip_unavailable: settings.skipUnavailable,
          matching_indices: ans.matching_indices,
          version: ans.version,
        };
      } catch (e) {
        const reason = e instanceof RemoteError ? e.reason : (e as Error).message;
        out[alias] = { connected: false, skip_unavailable: settings.skipUnavailable, error: reason };
      }
    }),
  );
  return { body: out };
}

async function reloadSecureSettings(req: LabRequest, ctx: RouteContext) {
  const b = (req.body ?? {}) as Record<string, unknown>;
  for (const k of Object.keys(b))
    if (k !== 'secure_settings_password')
      throw esError(400, 'x_content_parse_exception', `[1:2] [reload_secure_settings] unknown field [${k}]`);
  const password = typeof b.secure_settings_password === 'string' ? b.secure_settings_password : undefined;
  const nodes = selectNodes(ctx.rt, ctx.rt.members(), req.params.node);
  const answers = await reloadOnNodes(ctx.rt, nodes, password);
  const failed = Object.values(answers).filter((a) => a.reload_exception?.type === 'failed_node_exception').length;
  return {
    body: {
      _nodes: { total: nodes.length, successful: nodes.length - failed, failed },
      cluster_name: ctx.rt.clusterName,
      nodes: answers,
    },
  };
}

export const routes: Route[] = [
  { method: 'GET', path: '/_remote/info', privilege: 'monitor', handler: () => ({ body: manager().remoteInfo() }) },
  {
    method: 'GET',
    path: '/_resolve/cluster/{name}',
    handler: resolveCluster,
    params: ['ignore_unavailable', 'allow_no_indices', 'expand_wildcards', 'ignore_throttled', 'timeout'],
  },
  {
    method: 'POST',
    path: '/_nodes/reload_secure_settings',
    privilege: 'manage',
    handler: reloadSecureSettings,
    params: ['timeout'],
  },
  {
    method: 'POST',
    path: '/_nodes/{node}/reload_secure_settings',
    privilege: 'manage',
    handler: reloadSecureSettings,
    params: ['timeout'],
  },
];
