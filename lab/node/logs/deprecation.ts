// The deprecation log of a 9.x node (`<path.logs>/<cluster.name>_deprecation.json`, docs/es-9x.md §2): from 9.0
// a node that opens a certificate-based (RCS1) remote connection writes a WARN line keyed
// `remote_cluster_certificate_access-<alias>` (server/…/transport/RemoteConnectionManager.java,
// maybeLogDeprecationWarning), once per key and node process (RateLimitingFilter). 8.x nodes write nothing.
import { join } from 'node:path';
import type { NodeRuntime } from '../runtime.js';
import { versionAtLeast } from '../../../controller/version.js';
import { appendJsonLogLine } from './log.js';

/** Keys already logged by this process (ES keeps them in memory; a restart logs them again). */
const logged = new Set<string>();

export function deprecationLogFile(rt: Pick<NodeRuntime, 'config' | 'home' | 'clusterName'>): string {
  const logs = rt.config['path.logs'];
  return join(typeof logs === 'string' ? logs : join(rt.home, 'logs'), `${rt.clusterName}_deprecation.json`);
}

/** Called when a connection without cluster credentials to a node of `alias` has opened. */
export function logCertificateRemoteAccess(rt: NodeRuntime, alias: string): void {
  if (!versionAtLeast(rt.esVersion, '9.0.0')) return;
  const key = `remote_cluster_certificate_access-${alias}`;
  if (logged.has(key)) return;
  logged.add(key);
  let clusterUuid = '';
  try {
    clusterUuid = rt.state().clusterUuid;
  } catch {
    /* the line is written without it */
  }
  // Fields of ECSJsonLayout + DeprecatedMessage; 9.0 renamed the dataset to elasticsearch.deprecation (PR 117933).
  // ecs.version: the real value is not established (docs/es-9x.md §2.2); the lab writes 1.2.0.
  appendJsonLogLine(deprecationLogFile(rt), {
    '@timestamp': new Date().toISOString(),
    'log.level': 'WARN',
    'data_stream.dataset': 'elasticsearch.deprecation',
    'data_stream.namespace': 'default',
    'data_stream.type': 'logs',
    'elasticsearch.event.category': 'security',
    'event.code': key,
    message: `The remote cluster connection to [${alias}] is using the certificate-based security model. The certificate-based security model is deprecated and will be removed in a future major version. Migrate the remote cluster from the certificate-based to the API key-based security model.`,
    'ecs.version': '1.2.0',
    'service.name': 'ES_ECS',
    'event.dataset': 'elasticsearch.deprecation',
    'process.thread.name': `elasticsearch[${rt.nodeName}][transport_worker][T#1]`,
    'log.logger': 'org.elasticsearch.deprecation.transport.RemoteConnectionManager',
    'elasticsearch.cluster.uuid': clusterUuid,
    'elasticsearch.node.id': rt.nodeId,
    'elasticsearch.node.name': rt.nodeName,
    'elasticsearch.cluster.name': rt.clusterName,
  });
}
