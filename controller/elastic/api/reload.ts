// POST /_nodes/reload_secure_settings (docs/procedure.md §2.9). ES answers 200 even when nodes fail: every node's
// `reload_exception` must be checked.
import type { Secret } from '../../secrets.js';
import type { EsApi } from '../types.js';
import { shape } from './shape.js';

export interface ReloadNode {
  id: string;
  name: string;
  reload_exception?: { type: string; reason: string };
  /** 9.3+ */
  secure_setting_names?: string[];
  keystore_path?: string;
  keystore_digest?: string;
}

export interface ReloadSecureSettingsResponse {
  nodes_total?: number;
  nodes_successful?: number;
  nodes_failed?: number;
  cluster_name?: string;
  nodes: ReloadNode[];
}

export function parseReloadSecureSettings(body: unknown): ReloadSecureSettingsResponse {
  const api = 'POST /_nodes/reload_secure_settings';
  const s = shape(api);
  const o = s.obj(body, 'body');
  const out: ReloadSecureSettingsResponse = { nodes: [] };
  if (o._nodes !== undefined) {
    const n = s.obj(o._nodes, '_nodes');
    out.nodes_total = s.optNum(n.total, '_nodes.total');
    out.nodes_successful = s.optNum(n.successful, '_nodes.successful');
    out.nodes_failed = s.optNum(n.failed, '_nodes.failed');
  }
  out.cluster_name = s.optStr(o.cluster_name, 'cluster_name');
  for (const [id, v] of Object.entries(s.obj(o.nodes ?? {}, 'nodes'))) {
    const no = s.obj(v, `nodes.${id}`);
    const node: ReloadNode = { id, name: s.optStr(no.name, `nodes.${id}.name`) ?? id };
    if (no.reload_exception !== undefined && no.reload_exception !== null) {
      const e = s.obj(no.reload_exception, `nodes.${id}.reload_exception`);
      node.reload_exception = { type: String(e.type ?? 'exception'), reason: String(e.reason ?? '') };
    }
    const names = s.optStrs(no.secure_setting_names, `nodes.${id}.secure_setting_names`);
    if (names) node.secure_setting_names = names;
    const kp = s.optStr(no.keystore_path, `nodes.${id}.keystore_path`);
    if (kp !== undefined) node.keystore_path = kp;
    const kd = s.optStr(no.keystore_digest, `nodes.${id}.keystore_digest`);
    if (kd !== undefined) node.keystore_digest = kd;
    out.nodes.push(node);
  }
  return out;
}

/** Nodes whose reload failed, as "name (id): type: reason" lines. */
export function reloadFailures(r: ReloadSecureSettingsResponse): string[] {
  return r.nodes
    .filter((n) => n.reload_exception)
    .map((n) => `${n.name} (${n.id}): ${n.reload_exception!.type}: ${n.reload_exception!.reason}`);
}

export async function reloadSecureSettings(
  es: EsApi,
  opts: { password?: Secret; nodeIds?: string[]; timeout?: string } = {},
): Promise<ReloadSecureSettingsResponse> {
  const path = opts.nodeIds?.length
    ? `/_nodes/${opts.nodeIds.map(encodeURIComponent).join(',')}/reload_secure_settings`
    : '/_nodes/reload_secure_settings';
  const res = await es.request({
    method: 'POST',
    path,
    query: { timeout: opts.timeout },
    // The password travels only in the body, which the client never logs (secretBody).
    body: opts.password ? { secure_settings_password: opts.password.reveal() } : {},
    secretBody: opts.password !== undefined,
  });
  return parseReloadSecureSettings(res.body);
}
