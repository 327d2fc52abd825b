// The registry of settings the simulated node knows, as Elasticsearch's SettingsModule does: a setting that is not
// registered makes the node refuse to start ("unknown setting [...]"), a dynamic one can be set through
// PUT /_cluster/settings, a secure one lives only in the keystore. Names are exact or patterns where `*` stands for
// one name segment (an alias) and `**` for one or more segments (groups such as node.attr.*). `since` is the first
// ES version that has the setting: a lab node of an older version does not know it (e.g. remote_cluster_server.*
// below 8.10).
import type { SettingValue } from '../cluster/state.js';
import { versionAtLeast } from '../../../controller/version.js';

export interface SettingDef {
  name: string;
  dynamic?: boolean;
  secure?: boolean;
  since?: string;
  /** Default shown by include_defaults (string form, as ES renders it). */
  default?: SettingValue;
  /** Returns an error message (ES's wording) for a bad value. */
  validate?(value: SettingValue, key: string): string | undefined;
}

const bool = (value: SettingValue): string | undefined =>
  value === 'true' || value === 'false'
    ? undefined
    : `Failed to parse value [${String(value)}] as only [true] or [false] are allowed.`;

const oneOf =
  (...allowed: string[]) =>
  (value: SettingValue, key: string): string | undefined =>
    typeof value === 'string' && allowed.includes(value.toLowerCase())
      ? undefined
      : `illegal value can't update [${key}] from [${allowed[0]}] to [${String(value)}]`;

const timeValue = (value: SettingValue, key: string): string | undefined =>
  typeof value === 'string' && /^(-1|0|\d+(\.\d+)?(nanos|micros|ms|s|m|h|d))$/.test(value)
    ? undefined
    : `failed to parse setting [${key}] with value [${String(value)}] as a time value: unit is missing or unrecognized`;

const intValue = (value: SettingValue, key: string): string | undefined =>
  typeof value === 'string' && /^-?\d+$/.test(value)
    ? undefined
    : `Failed to parse value [${String(value)}] for setting [${key}]`;

const hostPort = (value: SettingValue, key: string): string | undefined => {
  const items = Array.isArray(value) ? value : [value];
  for (const v of items) {
    const m = /^(\[[0-9a-fA-F:]+\]|[^:\s]+):(\d+)$/.exec(v);
    if (!m || Number(m[2]) > 65535) return `failed to parse port from [${v}] for setting [${key}]`;
  }
  return undefined;
};

const SSL_CONTEXTS = ['http', 'transport', 'remote_cluster_server', 'remote_cluster_client'];
const SSL_KEYS = [
  'enabled',
  'keystore.path',
  'keystore.type',
  'key',
  'certificate',
  'certificate_authorities',
  'truststore.path',
  'truststore.type',
  'verification_mode',
  'client_authentication',
  'supported_protocols',
  'cipher_suites',
  'keystore.algorithm',
  'truststore.algorithm',
];
const SSL_SECURE_KEYS = [
  'keystore.secure_password',
  'keystore.secure_key_password',
  'truststore.secure_password',
  'secure_key_passphrase',
];

function sslDefs(): SettingDef[] {
  const out: SettingDef[] = [];
  for (const ctx of SSL_CONTEXTS) {
    const since = ctx.startsWith('remote_cluster') ? '8.10.0' : undefined;
    for (const k of SSL_KEYS) {
      out.push({
        name: `xpack.security.${ctx}.ssl.${k}`,
        since,
        validate:
          k === 'enabled'
            ? bool
            : k === 'verification_mode'
              ? oneOf('full', 'certificate', 'none')
              : k === 'client_authentication'
                ? oneOf('none', 'optional', 'required')
                : undefined,
      });
    }
    for (const k of SSL_SECURE_KEYS) out.push({ name: `xpack.security.${ctx}.ssl.${k}`, secure: true, since });
  }
  return out;
}

const REMOTE_ALIAS_DEFS: SettingDef[] = [
  { name: 'cluster.remote.*.mode', dynamic: true, validate: oneOf('sniff', 'proxy') },
  { name: 'cluster.remote.*.seeds', dynamic: true, validate: hostPort },
  {
    name: 'cluster.remote.*.proxy_address',
    dynamic: true,
    validate: (v, k) =>
      Array.isArray(v)
        ? `Failed to parse value [${v.join(',')}] for setting [${k}]`
        : v === ''
          ? undefined
          : hostPort(v, k),
  },
  { name: 'cluster.remote.*.server_name', dynamic: true },
  { name: 'cluster.remote.*.skip_unavailable', dynamic: true, validate: bool },
  { name: 'cluster.remote.*.node_connections', dynamic: true, validate: intValue },
  { name: 'cluster.remote.*.proxy_socket_connections', dynamic: true, validate: intValue },
  { name: 'cluster.remote.*.transport.ping_schedule', dynamic: true, validate: timeValue },
  { name: 'cluster.remote.*.transport.compress', dynamic: true, validate: oneOf('true', 'false', 'indexing_data') },
  { name: 'cluster.remote.*.transport.compression_scheme', dynamic: true, validate: oneOf('deflate', 'lz4') },
  { name: 'cluster.remote.*.credentials', secure: true, since: '8.10.0' },
  // 9.3 strong identity (docs/es-9x.md §4.2): per alias on the querying cluster, global on the fulfilling one.
  ...['certificate', 'key', 'keystore.path', 'keystore.type', 'keystore.alias', 'keystore.algorithm'].map((k) => ({
    name: `cluster.remote.*.signing.${k}`,
    dynamic: true,
    since: '9.3.0',
  })),
  ...['key.secure_passphrase', 'keystore.secure_password', 'keystore.secure_key_password'].map((k) => ({
    name: `cluster.remote.*.signing.${k}`,
    secure: true,
    since: '9.3.0',
  })),
  ...['certificate_authorities', 'truststore.path', 'truststore.type', 'truststore.algorithm', 'diagnose.trust'].map(
    (k) => ({ name: `cluster.remote.signing.${k}`, dynamic: true, since: '9.3.0' }),
  ),
  { name: 'cluster.remote.signing.truststore.secure_password', secure: true, since: '9.3.0' },
];

const DEFS: SettingDef[] = [
  // node / paths / network (static)
  ...[
    'cluster.name',
    'node.name',
    'node.roles',
    'node.master',
    'node.data',
    'path.data',
    'path.logs',
    'path.repo',
    'path.home',
    'path.conf',
    'network.host',
    'network.bind_host',
    'network.publish_host',
    'http.host',
    'http.bind_host',
    'http.publish_host',
    'http.port',
    'transport.host',
    'transport.bind_host',
    'transport.publish_host',
    'transport.port',
    'transport.publish_port',
    'discovery.seed_hosts',
    'discovery.type',
    'discovery.seed_providers',
    'cluster.initial_master_nodes',
    'bootstrap.memory_lock',
    'node.processors',
    'http.max_content_length',
    'http.compression',
    'transport.compress',
    'transport.ping_schedule',
    'xpack.security.enabled',
    'xpack.security.enrollment.enabled',
    'xpack.security.autoconfiguration.enabled',
    'xpack.license.self_generated.type',
    'xpack.ml.enabled',
    'xpack.watcher.enabled',
    'xpack.security.audit.enabled',
    'ingest.geoip.downloader.enabled',
    'cluster.remote.initial_connect_timeout',
    'cluster.remote.node.attr',
    'cluster.remote.connect',
    'cluster.remote.connections_per_cluster',
    'http.cors.enabled',
    'http.cors.allow-origin',
    'http.cors.allow-headers',
    'transport.tcp.keep_alive',
    'transport.tcp.keep_idle',
    'transport.tcp.keep_interval',
    'transport.tcp.keep_count',
    'transport.tcp.no_delay',
    'transport.tcp.reuse_address',
    'node.store.allow_mmap',
  ].map((name) => ({ name })),
  { name: 'node.attr.**' },
  { name: 'logger.**', dynamic: true },
  { name: 'transport.profiles.**' },
  { name: 'http.cors.**' },
  { name: 'xpack.security.authc.**' },
  { name: 'xpack.security.authc.**', secure: true },
  { name: 'xpack.notification.**', secure: true },
  { name: 's3.client.**', secure: true },
  { name: 'bootstrap.password', secure: true },
  { name: 'keystore.seed', secure: true },
  { name: 'autoconfiguration.password_hash', secure: true },
  { name: 'xpack.security.http.ssl.keystore.secure_password', secure: true },
  // remote cluster server (static, 8.10+)
  { name: 'remote_cluster_server.enabled', since: '8.10.0', default: 'false', validate: bool },
  ...[
    'remote_cluster.host',
    'remote_cluster.bind_host',
    'remote_cluster.publish_host',
    'remote_cluster.port',
    'remote_cluster.publish_port',
    'remote_cluster.tcp.keep_alive',
    'remote_cluster.tcp.keep_idle',
    'remote_cluster.tcp.keep_interval',
    'remote_cluster.tcp.keep_count',
    'remote_cluster.tcp.no_delay',
    'remote_cluster.tcp.reuse_address',
    'remote_cluster.tcp.send_buffer_size',
    'remote_cluster.tcp.receive_buffer_size',
  ].map((name) => ({ name, since: '8.10.0' })),
  ...sslDefs(),
  ...REMOTE_ALIAS_DEFS,
  // dynamic cluster settings
  {
    name: 'cluster.routing.allocation.enable',
    dynamic: true,
    default: 'all',
    validate: oneOf('all', 'primaries', 'new_primaries', 'none'),
  },
  {
    name: 'cluster.routing.rebalance.enable',
    dynamic: true,
    default: 'all',
    validate: oneOf('all', 'primaries', 'replicas', 'none'),
  },
  { name: 'cluster.routing.allocation.**', dynamic: true },
  { name: 'indices.recovery.max_bytes_per_sec', dynamic: true, default: '40mb' },
  { name: 'cluster.indices.close.enable', dynamic: true, default: 'true', validate: bool },
  { name: 'cluster.max_shards_per_node', dynamic: true, default: '1000', validate: intValue },
  { name: 'action.destructive_requires_name', dynamic: true, default: 'true', validate: bool },
  { name: 'action.auto_create_index', dynamic: true, default: 'true' },
  { name: 'xpack.monitoring.collection.enabled', dynamic: true, default: 'false', validate: bool },
  { name: 'ingest.geoip.downloader.enabled', dynamic: true, default: 'true', validate: bool },
  ...['transport', 'http', 'remote_cluster'].flatMap((p) =>
    ['allow', 'deny', 'enabled'].map((k) => ({ name: `xpack.security.${p}.filter.${k}`, dynamic: true })),
  ),
  { name: 'cluster.info.update.interval', dynamic: true, default: '30s', validate: timeValue },
  { name: 'cluster.remote.*.transport.ping_schedule', dynamic: true },
];

function compile(name: string): RegExp {
  const re = name
    .split('.')
    .map((seg) =>
      seg === '**' ? '[^.]+(?:\\.[^.]+)*' : seg === '*' ? '[^.]+' : seg.replace(/[-+?^${}()|[\]\\]/g, '\\$&'),
    )
    .join('\\.');
  return new RegExp(`^${re}$`);
}

const exact = new Map<string, SettingDef[]>();
const patterns: Array<{ re: RegExp; def: SettingDef }> = [];
for (const def of DEFS) {
  if (def.name.includes('*')) patterns.push({ re: compile(def.name), def });
  else exact.set(def.name, [...(exact.get(def.name) ?? []), def]);
}

export { versionAtLeast };

/** The definition of a setting in a given ES version (undefined = unknown there). */
export function lookupSetting(key: string, esVersion: string, secure = false): SettingDef | undefined {
  const cands = [...(exact.get(key) ?? []), ...patterns.filter((p) => p.re.test(key)).map((p) => p.def)];
  return cands.find((d) => !!d.secure === secure && (!d.since || versionAtLeast(esVersion, d.since)));
}

export function unknownSettingMessage(key: string, secure = false): string {
  return `unknown ${secure ? 'secure ' : ''}setting [${key}] please check that any required plugins are installed, or check the breaking changes documentation for removed settings`;
}

/** Defaults shown by GET /_cluster/settings?include_defaults (registered non-pattern settings that have one). */
export function settingDefaults(esVersion: string): Record<string, SettingValue> {
  const out: Record<string, SettingValue> = {};
  for (const def of DEFS) {
    if (def.default !== undefined && !def.name.includes('*') && (!def.since || versionAtLeast(esVersion, def.since)))
      out[def.name] = def.default;
  }
  out['cluster.remote.initial_connect_timeout'] = '30s';
  return out;
}

/** `cluster.remote.<alias>.skip_unavailable` default changed to true in 8.15. */
export function skipUnavailableDefault(esVersion: string): string {
  return versionAtLeast(esVersion, '8.15.0') ? 'true' : 'false';
}
