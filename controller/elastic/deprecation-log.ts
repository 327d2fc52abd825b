// Where a node's deprecation log is and what marks a certificate-based remote connection in it (docs/es-9x.md §2):
// from 9.0 a node writes event.code `remote_cluster_certificate_access-<alias>` to
// <path.logs>/<cluster.name>_deprecation.json when it opens such a connection.
import { join } from 'node:path';

export const CERT_ACCESS_PREFIX = 'remote_cluster_certificate_access-';

/** <path.logs>/<cluster.name>_deprecation.json: es_path_logs, else path.logs of elasticsearch.yml, else es_home/logs.
 *  Undefined when none is known. */
export function deprecationLogPath(
  vars: Record<string, unknown>,
  yml: Record<string, unknown>,
  clusterName: string,
): string | undefined {
  const name = typeof yml['cluster.name'] === 'string' ? yml['cluster.name'] : clusterName;
  const logs =
    typeof vars.es_path_logs === 'string' && vars.es_path_logs
      ? vars.es_path_logs
      : typeof yml['path.logs'] === 'string'
        ? yml['path.logs']
        : vars.es_home
          ? join(String(vars.es_home), 'logs')
          : undefined;
  return logs ? join(logs, `${name}_deprecation.json`) : undefined;
}
