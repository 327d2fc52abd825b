// Do the local nodes' keystores agree? Elastic requires the same secure settings on every node but does not enforce
// it (docs/es-9x.md §3): a node that lacks the alias's credentials keeps the certificate model (or cannot connect)
// after the switch. Two views feed one comparison:
//   - staged (every version): the names in each host's elasticsearch.keystore, read through the agent;
//   - loaded (9.3+): the names and keystore_digest each node reports from POST _nodes/reload_secure_settings,
//     matched against the SHA-256 of the file crosskey staged on that node's host (a node that loaded another
//     file — a wrong es_config, a second installation — is caught even when the names agree).
// Digests are compared per node with the staged file, never across nodes: every keystore save draws a fresh salt
// and IV (docs/procedure.md §7.2), so two nodes holding the same settings never have the same bytes.
// Only names and digests appear in messages, never values.

export interface KeystoreView {
  node: string;
  names: string[];
  /** keystore_digest as the node reported it (9.3+). */
  loadedDigest?: string;
  loadedPath?: string;
  /** SHA-256 of the keystore file crosskey staged on the node's host. */
  stagedSha256?: string;
  stagedPath?: string;
}

const short = (hex: string) => `${hex.slice(0, 12)}…`;

/** The problems, one line per node that differs, naming the setting names (never values). Empty: they agree. */
export function keystoreDivergence(views: KeystoreView[], required: string[]): string[] {
  const problems: string[] = [];
  for (const v of views) {
    const missing = required.filter((r) => !v.names.includes(r));
    if (missing.length) problems.push(`${v.node}: keystore lacks ${missing.join(', ')}`);
  }
  // The reference list is the one most nodes have (ties: the first node's), so the odd node out is named.
  const counts = new Map<string, number>();
  for (const v of views) {
    const key = JSON.stringify([...new Set(v.names)].sort());
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  const reference = new Set<string>(
    JSON.parse([...counts.entries()].sort((a, b) => b[1] - a[1])[0]?.[0] ?? '[]') as string[],
  );
  for (const v of views) {
    const names = new Set(v.names);
    const extra = [...names].filter((n) => !reference.has(n) && !required.includes(n)).sort();
    const lacking = [...reference].filter((n) => !names.has(n) && !required.includes(n)).sort();
    if (extra.length || lacking.length) {
      const parts = [
        ...(extra.length ? [`has ${extra.join(', ')} that the other nodes do not`] : []),
        ...(lacking.length ? [`lacks ${lacking.join(', ')} that the other nodes have`] : []),
      ];
      problems.push(`${v.node}: keystore ${parts.join(' and ')}`);
    }
  }
  for (const v of views) {
    if (v.loadedDigest === undefined || v.stagedSha256 === undefined) continue;
    if (v.loadedDigest.toLowerCase() !== v.stagedSha256.toLowerCase())
      problems.push(
        `${v.node}: Elasticsearch loaded keystore ${v.loadedPath ?? '(path not reported)'} (sha256 ${short(v.loadedDigest)}), ` +
          `not the file crosskey staged at ${v.stagedPath ?? '?'} (sha256 ${short(v.stagedSha256)})`,
      );
  }
  return problems;
}
