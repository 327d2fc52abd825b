import type { AnyModule } from '../contract.js';
import { elasticsearchYml } from './elasticsearch_yml.js';
import { esClusterSettings } from './es_cluster_settings.js';
import { esPreflight } from './es_preflight.js';
import { esRemoteCluster } from './es_remote_cluster.js';
import { esCrossClusterApiKey } from './es_cross_cluster_api_key.js';
import { esTasks } from './es_tasks.js';
import { esRoles } from './es_roles.js';
import { esReloadSecureSettings } from './es_reload_secure_settings.js';
import { esRemoteVerify } from './es_remote_verify.js';
import { esCertTrustEvidence } from './es_cert_trust_evidence.js';
import { keystore } from './keystore.js';
import { keystoreConsistent } from './keystore_consistent.js';
import { clientTrustGuard } from './client_trust_guard.js';
import { esRollingRestart } from './es_rolling_restart.js';
import { esCertificate } from './es_certificate.js';
import { esSigningCertificate } from './es_signing_certificate.js';
export const esModules: AnyModule[] = [
  esPreflight,
  esRemoteCluster,
  esCrossClusterApiKey,
  esTasks,
  esRoles,
  esReloadSecureSettings,
  esRemoteVerify,
  esCertTrustEvidence,
  keystore,
  keystoreConsistent,
  clientTrustGuard,
  elasticsearchYml,
  esClusterSettings,
  esRollingRestart,
  esCertificate,
  esSigningCertificate,
];
