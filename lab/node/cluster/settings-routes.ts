// GET/PUT /_cluster/settings: persistent and transient cluster settings, validated as ES's ClusterSettings does
// (unknown → "not recognized", static → "not dynamically updateable", value parsers, remote-cluster mode
// consistency), flat or nested input and output, `null` removes, `prefix.*: null` removes a group.
import type { Route } from '../router.js';
import { esError, illegalArgument } from '../http-error.js';
import { boolParam, flattenInput, renderSettings, wildcardRegExp } from '../rest-helpers.js';
import type { ClusterState, FlatSettings, SettingValue } from './state.js';
import { lookupSetting, settingDefaults } from '../config/settings.js';
import type { NodeRuntime } from '../runtime.js';

type Scope = 'persistent' | 'transient';

const SNIFF_ONLY = ['seeds', 'node_connections'];
const PROXY_ONLY = ['proxy_address', 'proxy_socket_connections', 'server_name'];

/** Validates and applies one scope's update to a copy; returns the applied (non-null) entries. */
function applyScope(
  scope: Scope,
  input: unknown,
  current: FlatSettings,
  esVersion: string,
): { next: FlatSettings; applied: FlatSettings; touched: Set<string> } {
  const next: FlatSettings = { ...current };
  const applied: FlatSettings = {};
  const touched = new Set<string>();
  if (input === undefined) return { next, applied, touched };
  if (input === null || typeof input !== 'object' || Array.isArray(input)) {
    throw esError(
      400,
      'x_content_parse_exception',
      `[cluster_update_settings_request] ${scope} doesn't support values of type: VALUE_${input === null ? 'NULL' : 'STRING'}`,
    );
  }
  for (const [key, value] of Object.entries(flattenInput(input))) {
    touched.add(key);
    if (key.includes('*')) {
      if (value !== null) throw illegalArgument(`${scope} setting [${key}], not recognized`);
      const re = wildcardRegExp(key);
      for (const k of Object.keys(next)) if (re.test(k)) delete next[k];
      continue;
    }
    const def = lookupSetting(key, esVersion);
    if (!def) throw illegalArgument(`${scope} setting [${key}], not recognized`);
    if (!def.dynamic) throw illegalArgument(`${scope} setting [${key}], not dynamically updateable`);
    if (value === null) {
      delete next[key];
      continue;
    }
    const err = def.validate?.(value, key);
    if (err) throw illegalArgument(err);
    next[key] = value;
    applied[key] = value;
  }
  return { next, applied, touched };
}

/** ES's RemoteConnectionStrategy validation of every alias touched by the request. */
function validateRemoteModes(touched: Set<string>, layers: FlatSettings[]): void {
  const aliases = new Set<string>();
  for (const k of touched) {
    const m = /^cluster\.remote\.([^.*]+)\./.exec(k);
    if (m) aliases.add(m[1]!);
  }
  const get = (key: string): SettingValue | undefined => {
    for (const l of layers) if (l[key] !== undefined) return l[key];
    return undefined;
  };
  for (const alias of aliases) {
    const p = `cluster.remote.${alias}.`;
    const mode = String(get(`${p}mode`) ?? 'sniff').toLowerCase();
    const [wrong, required] = mode === 'proxy' ? [SNIFF_ONLY, 'SNIFF'] : [PROXY_ONLY, 'PROXY'];
    for (const s of wrong) {
      const v = get(p + s);
      if (v !== undefined && !(Array.isArray(v) && v.length === 0)) {
        throw illegalArgument(
          `Setting "${p}${s}" cannot be used with the configured "${p}mode" [required=${required}, configured=${mode.toUpperCase()}]`,
        );
      }
    }
    // skip_unavailable & co. need the alias to be defined (RemoteClusterService's "if remote cluster is not enabled")
    const enabled =
      mode === 'proxy' ? !!get(`${p}proxy_address`) : [get(`${p}seeds`)].flat().filter(Boolean).length > 0;
    if (!enabled) {
      for (const s of [
        'skip_unavailable',
        'transport.ping_schedule',
        'transport.compress',
        'transport.compression_scheme',
      ]) {
        if (get(p + s) !== undefined)
          throw illegalArgument(`Cannot configure setting [${p}${s}] if remote cluster is not enabled.`);
      }
    }
  }
}

export async function putClusterSettings(rt: NodeRuntime, body: unknown, flat: boolean) {
  if (body === undefined || body === null || typeof body !== 'object' || Array.isArray(body)) {
    throw esError(400, 'action_request_validation_exception', 'Validation Failed: 1: no settings to update;');
  }
  for (const k of Object.keys(body)) {
    if (k !== 'persistent' && k !== 'transient')
      throw esError(400, 'x_content_parse_exception', `[1:2] [cluster_update_settings_request] unknown field [${k}]`);
  }
  const b = body as { persistent?: unknown; transient?: unknown };
  const result = await rt.updateState((s: ClusterState) => {
    const p = applyScope('persistent', b.persistent, s.persistent, rt.esVersion);
    const t = applyScope('transient', b.transient, s.transient, rt.esVersion);
    validateRemoteModes(new Set([...p.touched, ...t.touched]), [t.next, p.next, rt.config]);
    s.persistent = p.next;
    s.transient = t.next;
    return { persistent: p.applied, transient: t.applied };
  });
  rt.log(
    'INFO',
    'o.e.c.s.ClusterSettings',
    `updating cluster settings [${Object.keys({ ...result.persistent, ...result.transient }).join(',')}]`,
  );
  return {
    acknowledged: true,
    persistent: renderSettings(result.persistent, flat),
    transient: renderSettings(result.transient, flat),
  };
}

export const routes: Route[] = [
  {
    method: 'GET',
    path: '/_cluster/settings',
    params: ['flat_settings', 'include_defaults', 'local', 'master_timeout', 'timeout'],
    privilege: 'monitor',
    handler: (req, { rt, state }) => {
      const flat = boolParam(req.query, 'flat_settings');
      const body: Record<string, unknown> = {
        persistent: renderSettings(state.persistent, flat),
        transient: renderSettings(state.transient, flat),
      };
      if (boolParam(req.query, 'include_defaults')) {
        // ES: defaults = every registered setting not set in the cluster state, valued from the node's config.
        const defaults: FlatSettings = { ...settingDefaults(rt.esVersion), ...rt.config };
        for (const k of Object.keys({ ...state.persistent, ...state.transient })) delete defaults[k];
        body.defaults = renderSettings(defaults, flat);
      }
      return { body };
    },
  },
  {
    method: 'PUT',
    path: '/_cluster/settings',
    params: ['flat_settings', 'master_timeout', 'timeout'],
    privilege: 'manage',
    handler: async (req, { rt }) => {
      const answer = await putClusterSettings(rt, req.body, boolParam(req.query, 'flat_settings'));
      await rt.settingsChanged();
      return { body: answer };
    },
  },
];
