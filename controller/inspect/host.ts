// The host part of `crosskey inspect`: what the agent reads on one host (elasticsearch.yml, keystore entry names,
// certificate files, service state, listening ports) and what the node's own HTTP endpoint answers (name, version,
// roles). Read-only: only the agent's read ops (facts, file.read, keystore.list, service status) are called.
import { posix } from 'node:path';
import { loadBounded as load } from '../../agent/yaml-bounds.js';
import type { AgentClient } from '../../agent/protocol.js';
import { esForNode, type EsClientOptions } from '../elastic/client.js';
import { flattenSettings } from '../elastic/api/remote.js';
import { isSecret, secrets } from '../secrets.js';
import { certFileRefs, describeCertFile, passwordFor } from './certfiles.js';
import type { CertConnectionsReport, HostNodeReport, HostSshReport, KeystoreReport, PortReport } from './types.js';
import { CERT_ACCESS_PREFIX, deprecationLogPath } from '../elastic/deprecation-log.js';
import { errorText, nonBlank } from '../values.js';

/** Settings that matter for the remote cluster connection (the server side, the client side, the aliases). */
export function isRcsSetting(key: string): boolean {
  return /^(remote_cluster_server\.|remote_cluster\.|xpack\.security\.remote_cluster_(server|client)\.|cluster\.remote\.)/.test(
    key,
  );
}

export function rcsSettings(flat: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(
    Object.entries(flat)
      .filter(([k]) => isRcsSetting(k))
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)),
  );
}

/** elasticsearch.yml text → flat settings (nested and dotted forms both become dotted keys). */
export function parseElasticsearchYml(text: string, where: string): Record<string, unknown> {
  // An empty (or comments-only) elasticsearch.yml is valid for ES; js-yaml 5 calls it "no document".
  if (!text.split('\n').some((l) => l.trim() !== '' && !l.trim().startsWith('#'))) return {};
  let doc: unknown;
  try {
    doc = load(text);
  } catch (e) {
    const m = e as Error & { mark?: { line: number } };
    throw new Error(`${where}${m.mark ? `:${m.mark.line + 1}` : ''}: not valid YAML: ${m.message.split('\n')[0]}`);
  }
  if (doc === null || doc === undefined) return {};
  if (typeof doc !== 'object' || Array.isArray(doc)) throw new Error(`${where}: expected a mapping of settings`);
  return flattenSettings(doc);
}

function hostOfUrl(url: string | undefined): string | undefined {
  if (!url) return undefined;
  try {
    return new URL(url).hostname.replace(/^\[|\]$/g, '');
  } catch {
    return undefined;
  }
}

const WILDCARD = new Set(['0.0.0.0', '::', '*', '']);

/** Listening sockets on this node's ports, attributed to ES's roles (HTTP, transport, remote cluster server, SSH). */
export function nodePorts(
  listening: Array<{ address: string; port: number }>,
  flat: Record<string, unknown>,
  vars: Record<string, unknown>,
): PortReport[] {
  const num = (k: string, d: number) => {
    const v = flat[k];
    const n = typeof v === 'number' ? v : typeof v === 'string' && /^\d+$/.test(v) ? Number(v) : undefined;
    return n ?? d;
  };
  const roles = new Map<number, string>([
    [num('http.port', 9200), 'http'],
    [num('transport.port', 9300), 'transport'],
    [num('remote_cluster.port', 9443), 'remote_cluster'],
    [typeof vars.ansible_port === 'number' ? vars.ansible_port : Number(vars.ansible_port ?? 22) || 22, 'ssh'],
  ]);
  // Several nodes may share a machine (the lab): keep sockets bound to this node's own addresses or to all.
  const own = new Set<string>();
  for (const v of [
    vars.ansible_host,
    flat['network.host'],
    flat['http.host'],
    flat['transport.host'],
    flat['remote_cluster.host'],
    flat['network.publish_host'],
    hostOfUrl(nonBlank(vars.es_node_url)),
  ]) {
    for (const a of Array.isArray(v) ? v : [v]) if (typeof a === 'string' && a) own.add(a.replace(/^\[|\]$/g, ''));
  }
  const out: PortReport[] = [];
  for (const l of listening) {
    const role = roles.get(l.port);
    if (!role) continue;
    if (own.size && !WILDCARD.has(l.address) && !own.has(l.address)) continue;
    out.push({ address: l.address, port: l.port, role });
  }
  const seen = new Set<string>();
  return out
    .filter((p) => {
      const key = `${p.address}:${p.port}`;
      if (seen.has(key)) return false;
      seen.add(key);
      return true;
    })
    .sort((a, b) => a.port - b.port || a.address.localeCompare(b.address));
}

/** Everything the agent can tell about one host. Never throws for a host-side problem: it reports it. */
export async function inspectHostOverSsh(
  agent: AgentClient,
  host: string,
  vars: Record<string, unknown>,
  /** The node's version (from its HTTP answer, else es_version): 9.x nodes get their deprecation log read. */
  nodeVersion?: Promise<string | undefined>,
): Promise<HostSshReport> {
  const configDir = nonBlank(vars.es_config);
  const paths: Record<string, string> = {};
  if (configDir) paths.es_config = configDir;
  if (nonBlank(vars.es_home)) paths.es_home = nonBlank(vars.es_home)!;
  const facts = await agent.call('facts', { paths });
  const out: HostSshReport = { reachable: true, hostname: facts.hostname };
  let flat: Record<string, unknown> = {};
  if (!configDir) {
    out.ymlError = `${host}: es_config is not set (the folder of elasticsearch.yml)`;
  } else {
    const ymlPath = posix.join(configDir, 'elasticsearch.yml');
    out.ymlPath = ymlPath;
    try {
      const r = await agent.call('file.read', { path: ymlPath, encoding: 'utf8' });
      if (!r.exists) out.ymlError = `${host}: ${ymlPath} does not exist`;
      else flat = parseElasticsearchYml(r.content ?? '', `${host}:${ymlPath}`);
    } catch (e) {
      out.ymlError = `${host}: reading ${ymlPath}: ${errorText(e)}`;
    }
    out.rcsSettings = rcsSettings(flat);
    if (typeof flat['node.name'] === 'string') out.ymlNodeName = flat['node.name'];
    const roles = flat['node.roles'];
    if (Array.isArray(roles)) out.ymlRoles = roles.map(String);
    out.keystore = await readKeystore(agent, posix.join(configDir, 'elasticsearch.keystore'), vars);
    out.certFiles = [];
    for (const ref of certFileRefs(flat, configDir)) {
      let bytes: Buffer | undefined;
      try {
        const r = await agent.call('file.read', { path: ref.path, encoding: 'base64' });
        bytes = r.exists ? Buffer.from(r.content ?? '', 'base64') : undefined;
      } catch (e) {
        out.certFiles.push({
          setting: ref.setting,
          path: ref.path,
          format: 'unknown',
          status: 'error',
          error: errorText(e),
          certificates: [],
        });
        continue;
      }
      out.certFiles.push(describeCertFile(ref, bytes, passwordFor(ref, vars)));
    }
  }
  const serviceName = nonBlank(vars.es_service_name) ?? 'elasticsearch';
  try {
    const cmd = Array.isArray(vars.es_service_command) ? vars.es_service_command.map(String) : undefined;
    const s = await agent.call('service', {
      name: serviceName,
      action: 'status',
      ...(cmd ? { command: cmd } : {}),
      timeoutMs: 15_000,
    });
    out.service = { name: serviceName, active: s.active };
  } catch (e) {
    out.service = { name: serviceName, active: false, error: errorText(e) };
  }
  out.ports = nodePorts(facts.listening, flat, vars);
  const version = (await nodeVersion) ?? nonBlank(vars.es_version);
  if (version && Number(version.split('.')[0]) >= 9) {
    // An unset cluster.name is Elasticsearch's default name.
    const logFile = deprecationLogPath(vars, flat, 'elasticsearch');
    if (logFile) out.certificateConnections = await readCertConnections(agent, logFile);
  }
  return out;
}

async function readCertConnections(agent: AgentClient, logFile: string): Promise<CertConnectionsReport> {
  try {
    const r = await agent.call('jsonlog.scan', { path: logFile, field: 'event.code', prefix: CERT_ACCESS_PREFIX });
    const aliases: CertConnectionsReport['aliases'] = {};
    for (const [code, m] of Object.entries(r.matches)) aliases[code.slice(CERT_ACCESS_PREFIX.length)] = m;
    return { logFile, exists: r.exists, aliases };
  } catch (e) {
    return { logFile, exists: false, aliases: {}, error: errorText(e) };
  }
}

async function readKeystore(agent: AgentClient, path: string, vars: Record<string, unknown>): Promise<KeystoreReport> {
  const pwVar = vars.es_keystore_password;
  const password = isSecret(pwVar) ? pwVar.reveal() : typeof pwVar === 'string' && pwVar ? pwVar : undefined;
  if (password) secrets.register(password);
  try {
    const [r, st] = await Promise.all([
      agent.call('keystore.list', { path, ...(password ? { password } : {}) }),
      agent.call('file.stat', { path, checksum: true }),
    ]);
    return {
      ...(st.sha256 ? { sha256: st.sha256 } : {}),
      path,
      exists: r.exists,
      ...(r.version !== undefined ? { version: r.version } : {}),
      ...(r.hasPassword !== undefined ? { passwordProtected: r.hasPassword } : {}),
      ...(r.entries ? { entries: [...r.entries].sort() } : {}),
      ...(r.error ? { error: r.error } : {}),
    };
  } catch (e) {
    return { path, exists: false, error: errorText(e) };
  }
}

/** The node's own answer over HTTP: GET / (name, version) and GET /_nodes/_local (roles). */
export async function inspectNodeOverHttp(
  vars: Record<string, unknown>,
  opts: EsClientOptions,
): Promise<HostNodeReport> {
  const url = nonBlank(vars.es_node_url);
  if (!url) return { error: 'es_node_url is not set' };
  try {
    const es = esForNode(vars, url, opts);
    const root = (
      await es.request<{ name?: string; version?: { number?: string } }>({ method: 'GET', path: '/', retry: false })
    ).body;
    const out: HostNodeReport = {
      url,
      ...(root.name ? { name: root.name } : {}),
      ...(root.version?.number ? { version: root.version.number } : {}),
    };
    const local = (
      await es.request<{ nodes?: Record<string, { roles?: string[] }> }>({
        method: 'GET',
        path: '/_nodes/_local',
        query: { filter_path: 'nodes.*.roles' },
        retry: false,
      })
    ).body;
    const n = Object.values(local.nodes ?? {})[0];
    if (n?.roles) out.roles = [...n.roles].sort();
    return out;
  } catch (e) {
    return { url, error: errorText(e) };
  }
}
