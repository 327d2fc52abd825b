// POST /_nodes/reload_secure_settings fan-out: the coordinating node asks every selected node over the
// transport layer (TLS, like ES: a password is only sent over TLS) to re-read its keystore.
import type { NodePlugin, NodeRuntime } from '../runtime.js';
import type { MemberInfo } from '../cluster/coordination.js';
import { transportRequest } from '../transport.js';
import { keystoreDetails } from '../keystore/details.js';

export const RELOAD_ACTION = 'cluster:admin/nodes/reload_secure_settings[n]';

export interface NodeReloadAnswer {
  name: string;
  reload_exception?: { type: string; reason: string };
}

export class ReloadSecureSettingsPlugin implements NodePlugin {
  readonly name = 'reload-secure-settings';
  start(rt: NodeRuntime): void {
    rt.onTransportMessage(RELOAD_ACTION, async (body) =>
      reloadLocal(rt, (body as { password?: string } | undefined)?.password),
    );
  }
  stop(): void {}
}

export async function reloadLocal(rt: NodeRuntime, password?: string): Promise<NodeReloadAnswer> {
  const out = await rt.reloadSecureSettings(password);
  // 9.3+ adds the keystore details (lab/node/keystore/details.ts)
  return out.error ? { name: rt.nodeName, reload_exception: out.error } : { name: rt.nodeName, ...keystoreDetails(rt) };
}

/** Node selection as ES resolves `_local`, `_all`, ids and names (comma-separated). */
export function selectNodes(rt: NodeRuntime, members: MemberInfo[], spec: string | undefined): MemberInfo[] {
  if (!spec || spec === '_all') return members;
  const parts = spec.split(',').map((s) => s.trim());
  return members.filter((m) =>
    parts.some((p) =>
      p === '_local'
        ? m.id === rt.nodeId
        : p === '_master'
          ? m.id === rt.state().masterNodeId
          : p === m.id || p === m.name,
    ),
  );
}

export async function reloadOnNodes(
  rt: NodeRuntime,
  nodes: MemberInfo[],
  password?: string,
): Promise<Record<string, NodeReloadAnswer>> {
  const results = await Promise.all(
    nodes.map(async (m): Promise<[string, NodeReloadAnswer]> => {
      if (m.id === rt.nodeId) return [m.id, await reloadLocal(rt, password)];
      try {
        const tlsOpts = rt.tls.transport ?? {};
        const ans = await transportRequest<NodeReloadAnswer>({
          host: m.address,
          port: m.transportPort,
          tls: { ...tlsOpts },
          type: RELOAD_ACTION,
          body: password === undefined ? {} : { password },
          timeoutMs: 15_000,
        });
        return [m.id, ans];
      } catch (e) {
        return [
          m.id,
          {
            name: m.name,
            reload_exception: {
              type: 'failed_node_exception',
              reason: `Failed node [${m.id}]: ${(e as Error).message}`,
            },
          },
        ];
      }
    }),
  );
  return Object.fromEntries(results);
}
