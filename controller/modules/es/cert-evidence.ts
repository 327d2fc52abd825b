// Evidence of certificate-based (RCS1) remote connections, from each local node's deprecation log: from 9.0 a node
// writes a WARN line with event.code `remote_cluster_certificate_access-<alias>` when it opens such a connection
// (docs/es-9x.md §2). The log is `<path.logs>/<cluster.name>_deprecation.json`; path.logs comes from the host var
// es_path_logs, else the node's elasticsearch.yml, else <es_home>/logs (the archive layout). Read through the agent
// in one streamed pass (jsonlog.scan). A node logs a key once per process start (RateLimitingFilter), so a line
// proves a certificate connection; no line after the switch is evidence, not proof: _remote/info is asked too.
import { join } from 'node:path';
import { loadBounded as load } from '../../../agent/yaml-bounds.js';
import type { TaskContext } from '../contract.js';
import { ModuleError } from '../contract.js';
import { flatten } from './elasticsearch_yml.js';
import { configDirOf, nodeNameOf } from './keystore-views.js';
import { errorText } from '../../values.js';
import { CERT_ACCESS_PREFIX, deprecationLogPath } from '../../elastic/deprecation-log.js';

export interface NodeCertEvidence {
  host: string;
  node: string;
  logFile: string;
  /** false: no deprecation log yet (the node never wrote a deprecation). */
  exists: boolean;
  /** Per alias: how many lines, the first and the last one's time. */
  aliases: Record<string, { count: number; first?: string; last?: string }>;
}

async function logFileOf(ctx: TaskContext, host: string, clusterName: string): Promise<string> {
  const vars = ctx.hostVars(host);
  const config = configDirOf(vars);
  let yml: Record<string, unknown> = {};
  if (config && !(typeof vars.es_path_logs === 'string' && vars.es_path_logs)) {
    const file = join(config, 'elasticsearch.yml');
    const agent = await ctx.agentFor(host);
    const read = await agent.call('file.read', { path: file });
    if (read.exists && read.content !== undefined) {
      try {
        yml = flatten(load(read.content) ?? {});
      } catch (e) {
        throw new ModuleError(`${host}: ${file} does not parse as YAML (path.logs not found): ${errorText(e)}`);
      }
    }
  }
  const path = deprecationLogPath(vars, yml, clusterName);
  if (!path)
    throw new ModuleError(
      `${host}: path.logs is not in elasticsearch.yml and neither es_path_logs nor es_home is set: the deprecation log cannot be found`,
    );
  return path;
}

/** Each host's certificate-connection lines, per alias. Fails naming the host, the file and path.logs when unreadable. */
export async function readCertEvidence(
  ctx: TaskContext,
  hosts: string[],
  clusterName: string,
): Promise<NodeCertEvidence[]> {
  return Promise.all(
    hosts.map(async (host) => {
      const logFile = await logFileOf(ctx, host, clusterName);
      let scan;
      try {
        const agent = await ctx.agentFor(host);
        scan = await agent.call('jsonlog.scan', { path: logFile, field: 'event.code', prefix: CERT_ACCESS_PREFIX });
      } catch (e) {
        throw new ModuleError(
          `${host}: deprecation log ${logFile} cannot be read (set path.logs in elasticsearch.yml or es_path_logs): ${errorText(e)}`,
        );
      }
      const aliases: NodeCertEvidence['aliases'] = {};
      for (const [code, m] of Object.entries(scan.matches)) aliases[code.slice(CERT_ACCESS_PREFIX.length)] = m;
      return { host, node: nodeNameOf(ctx, host), logFile, exists: scan.exists, aliases };
    }),
  );
}
