// What each host's elasticsearch.keystore holds, read through the agent: the setting names and the SHA-256 of the
// file (controller/elastic/keystore-convergence.ts compares them). Names only, never values.
import { join } from 'node:path';
import type { TaskContext } from '../contract.js';
import { ModuleError } from '../contract.js';
import type { KeystoreView } from '../../elastic/keystore-convergence.js';
import type { Secret } from '../../secrets.js';
import { errorText } from '../../values.js';

/** A host's config dir: es_config, else es_home/config (undefined when neither is set). */
export function configDirOf(vars: Record<string, unknown>): string | undefined {
  return (vars.es_config as string | undefined) ?? (vars.es_home ? join(String(vars.es_home), 'config') : undefined);
}

/** <es_config>/elasticsearch.keystore of a host. */
export function keystorePathOf(ctx: TaskContext, host: string): string {
  const config = configDirOf(ctx.hostVars(host));
  if (!config) throw new ModuleError(`${host}: es_config (or es_home) is not set: its keystore cannot be found`);
  return join(config, 'elasticsearch.keystore');
}

/** The node name Elasticsearch reports for a host (es_node_name, else the host name). */
export const nodeNameOf = (ctx: TaskContext, host: string): string => String(ctx.hostVars(host).es_node_name ?? host);

export async function stagedKeystoreView(ctx: TaskContext, host: string, password?: Secret): Promise<KeystoreView> {
  const path = keystorePathOf(ctx, host);
  try {
    const agent = await ctx.agentFor(host);
    const [ls, st] = await Promise.all([
      agent.call('keystore.list', { path, ...(password ? { password: password.reveal() } : {}) }),
      agent.call('file.stat', { path, checksum: true }),
    ]);
    if (!ls.exists) throw new ModuleError(`${host}: ${path} does not exist`);
    if (ls.error) throw new ModuleError(`${host}: ${path} cannot be listed: ${ls.error}`);
    return {
      node: nodeNameOf(ctx, host),
      names: [...(ls.entries ?? [])].sort(),
      stagedPath: path,
      ...(st.sha256 ? { stagedSha256: st.sha256 } : {}),
    };
  } catch (e) {
    if (e instanceof ModuleError) throw e;
    throw new ModuleError(`${host}: keystore ${path} not read: ${errorText(e)}`);
  }
}
