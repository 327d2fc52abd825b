// The alias outage window as the lab observes it, per local node: from the moment the node's certificate-based
// (RCS1) connection went away to the moment it was connected with the API key (RCS2). Read from the connection
// events the nodes record in the cluster state.
import type { ConnectionEvent } from './node/remote/manager.js';

export interface NodeOutage {
  node: string;
  rcs1LostAt: number;
  rcs2ConnectedAt: number;
  ms: number;
}

export function outageWindows(events: readonly ConnectionEvent[], alias: string): NodeOutage[] {
  const byNode = new Map<string, ConnectionEvent[]>();
  for (const e of events) {
    if (e.alias !== alias) continue;
    const list = byNode.get(e.node) ?? [];
    list.push(e);
    byNode.set(e.node, list);
  }
  const out: NodeOutage[] = [];
  for (const [node, list] of byNode) {
    list.sort((a, b) => a.at - b.at);
    const firstRcs2 = list.findIndex((e) => e.model === 'rcs2' && e.connected);
    if (firstRcs2 < 0) continue;
    // The last moment this node was connected the old way: its last RCS1 "lost" event before the first RCS2 connection,
    // or, when none was recorded (e.g. the process restarted), its last RCS1 "connected" event.
    const before = list.slice(0, firstRcs2).filter((e) => e.model === 'rcs1');
    const lost = [...before].reverse().find((e) => !e.connected) ?? [...before].reverse().find((e) => e.connected);
    if (!lost) continue;
    const rcs2ConnectedAt = list[firstRcs2]!.at;
    out.push({ node, rcs1LostAt: lost.at, rcs2ConnectedAt, ms: rcs2ConnectedAt - lost.at });
  }
  return out.sort((a, b) => a.node.localeCompare(b.node));
}
