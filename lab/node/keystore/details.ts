// 9.3's per-node keystore details in the POST /_nodes/reload_secure_settings answer (docs/es-9x.md §3,
// server/…/action/admin/cluster/node/reload/NodesReloadSecureSettingsResponse.java, PR 138052): the names of the
// secure settings (sorted), the keystore's path, the hex SHA-256 of its bytes on disk and its mtime. Nodes before
// 9.3 send none of them.
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { NodeRuntime } from '../runtime.js';
import { versionAtLeast } from '../../../controller/version.js';

export interface KeystoreDetails {
  secure_setting_names?: string[];
  keystore_path?: string;
  keystore_digest?: string;
  keystore_last_modified_time?: string;
}

/** The fields for a node whose reload worked (each is emitted only when known, as ES omits nulls). */
export function keystoreDetails(rt: Pick<NodeRuntime, 'esVersion' | 'configDir' | 'secure'>): KeystoreDetails {
  if (!versionAtLeast(rt.esVersion, '9.3.0')) return {};
  const file = join(rt.configDir, 'elasticsearch.keystore');
  const out: KeystoreDetails = { secure_setting_names: [...rt.secure.keys()].sort() };
  if (!existsSync(file)) return out;
  // Lowercase hex: MessageDigests.toHexString's convention (the case is not established, docs/es-9x.md §3).
  out.keystore_path = file;
  out.keystore_digest = createHash('sha256').update(readFileSync(file)).digest('hex');
  out.keystore_last_modified_time = new Date(statSync(file).mtimeMs).toISOString();
  return out;
}
