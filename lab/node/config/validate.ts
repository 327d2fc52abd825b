// Start-up validation of a lab node, in the order and with the messages of Elasticsearch (docs/procedure.md §3.2, §5):
// settings registry (unknown / secure-in-yml / bad values), secure settings, remote cluster profile settings,
// credentials without security, then the SSL contexts (#16 missing key material, #17 unreadable PKCS#12).
import type { FlatSettings } from '../cluster/state.js';
import { lookupSetting, unknownSettingMessage, versionAtLeast } from './settings.js';
import { loadSslContext, SslConfigError, type LoadedSsl } from './tls.js';

/** A refusal to start: the Java exception class ES would log, and its message. */
export class StartupError extends Error {
  constructor(
    readonly exception: string,
    message: string,
  ) {
    super(message);
  }
}

const IAE = 'java.lang.IllegalArgumentException';

export interface ValidatedTls {
  http: LoadedSsl | null;
  transport: LoadedSsl | null;
  remoteClusterServer: LoadedSsl | null;
  remoteClusterClient: LoadedSsl | null;
}

export function remoteClusterServerEnabled(config: FlatSettings): boolean {
  return config['remote_cluster_server.enabled'] === 'true';
}

export function securityEnabled(config: FlatSettings): boolean {
  return config['xpack.security.enabled'] !== 'false';
}

export function validateSettings(config: FlatSettings, secure: Map<string, Buffer>, esVersion: string): void {
  for (const key of Object.keys(config).sort()) {
    if (versionAtLeast(esVersion, '8.10.0') && key.startsWith('transport.profiles._remote_cluster.')) {
      throw new StartupError(
        IAE,
        'Remote Access settings should not be configured using the [_remote_cluster] profile. Use the [remote_cluster.] settings instead.',
      );
    }
    const def = lookupSetting(key, esVersion);
    if (!def) {
      if (lookupSetting(key, esVersion, true)) {
        throw new StartupError(
          IAE,
          `Setting [${key}] is a secure setting and must be stored inside the Elasticsearch keystore, but was found inside elasticsearch.yml`,
        );
      }
      throw new StartupError(IAE, unknownSettingMessage(key));
    }
    const err = def.validate?.(config[key]!, key);
    if (err) throw new StartupError(IAE, err);
  }
  for (const key of [...secure.keys()].sort()) {
    if (!lookupSetting(key, esVersion, true)) throw new StartupError(IAE, unknownSettingMessage(key, true));
  }
  const credentialAliases = [...secure.keys()]
    .map((k) => /^cluster\.remote\.([^.]+)\.credentials$/.exec(k)?.[1])
    .filter((a): a is string => !!a)
    .sort();
  if (credentialAliases.length && !securityEnabled(config)) {
    throw new StartupError(
      IAE,
      `Found [${credentialAliases.length}] remote clusters with credentials [${credentialAliases.join(',')}]. Security [xpack.security.enabled] must be enabled to connect to them. Please either enable security or remove these settings from the keystore.`,
    );
  }
}

export function loadTls(config: FlatSettings, secure: Map<string, Buffer>, configDir: string): ValidatedTls {
  try {
    const sec = securityEnabled(config);
    return {
      http: sec ? loadSslContext('http', config, secure, configDir, true) : null,
      transport: sec ? loadSslContext('transport', config, secure, configDir, true) : null,
      remoteClusterServer:
        sec && remoteClusterServerEnabled(config)
          ? loadSslContext('remote_cluster_server', config, secure, configDir, true)
          : null,
      remoteClusterClient: sec ? loadSslContext('remote_cluster_client', config, secure, configDir, false) : null,
    };
  } catch (e) {
    if (e instanceof SslConfigError)
      throw new StartupError('org.elasticsearch.ElasticsearchSecurityException', e.message);
    throw e;
  }
}
