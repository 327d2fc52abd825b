// The migration tests' lab and checks: a lab of two 2-node clusters over OpenSSH hosts, the playbooks run by the
// bundled CLI, and what the tests read back (each local node's _remote/info, node starts, journals).
import type { ExecutionContext } from 'ava';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { labUp } from '../../lab/up.js';
import { labDown } from '../../lab/ops.js';
import { labHttp } from '../../lab/http-client.js';
import type { LabClusterEntry, LabFile, LabNodeEntry } from '../../lab/layout.js';
import { REMOTE_ALIAS } from '../../lab/setup/initial-state.js';
import { runCli, ROOT, type CliResult } from '../integration/cli-bundle.js';

export async function lab(t: ExecutionContext, esVersion: string): Promise<LabFile> {
  const dir = mkdtempSync(join(tmpdir(), `ck-migrate-${esVersion}-`));
  t.teardown(async () => {
    if (existsSync(join(dir, 'lab.json'))) await labDown(dir).catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
  });
  return (await labUp({ dir, nodes: 2, esVersion, ssh: 'openssh', startDelayMs: 300, recoveryMs: 300 })).lab;
}

export const cluster = (l: LabFile, name: string): LabClusterEntry => l.clusters.find((c) => c.name === name)!;
const target = (l: LabFile, c: LabClusterEntry, url = c.url) => ({
  url,
  user: c.user,
  passwordFile: c.passwordFile,
  caCert: l.caCert,
});
export async function get(l: LabFile, c: LabClusterEntry, path: string, url?: string): Promise<any> {
  const r = await labHttp(target(l, c, url), 'GET', path);
  if (r.status !== 200) throw new Error(`GET ${path} → ${r.status} ${r.text}`);
  return r.json;
}
export const runPlaybook = (cliFile: string, l: LabFile, playbook: string, ...extra: string[]) =>
  runCli(cliFile, ['run', join(ROOT, 'playbooks', playbook), '-i', l.inventory, ...extra]);

/** Every local node's own _remote/info for the alias. */
export async function remoteInfo(
  l: LabFile,
): Promise<Record<string, { connected: boolean; cluster_credentials?: string }>> {
  const local = cluster(l, 'local');
  const out: Record<string, { connected: boolean; cluster_credentials?: string }> = {};
  for (const n of local.nodes)
    out[n.name] = (await get(l, local, '/_remote/info', `https://${n.address}:9200`))[REMOTE_ALIAS];
  return out;
}

/** How many times a node has started, from its own log. */
export const startsOf = (n: LabNodeEntry) =>
  (readFileSync(join(n.home, 'logs', `${n.cluster}.log`), 'utf8').match(/\] started \{/g) ?? []).length;
/** Starts of every node so far (lab up may restart nodes itself, e.g. for a static alias). */
export const startsNow = (l: LabFile) =>
  new Map(l.clusters.flatMap((c) => c.nodes.map((n) => [n.name, startsOf(n)] as const)));

export const changedCount = (r: CliResult) =>
  r.stdout
    .split('\n')
    .filter(Boolean)
    .map((l) => {
      try {
        return JSON.parse(l) as { kind?: string; status?: string };
      } catch {
        return {};
      }
    })
    .filter((e) => e.kind === 'host_result' && e.status === 'changed').length;

export function journals(l: LabFile): string {
  const runs = join(l.dir, '.crosskey', 'runs');
  return readdirSync(runs)
    .map((f) => readFileSync(join(runs, f), 'utf8'))
    .join('\n');
}
