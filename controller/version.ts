// Elasticsearch version numbers, compared the one way the controller and the lab both need.

/** "8.15.2" → [8, 15, 2]; suffixes like "-SNAPSHOT" are ignored. */
export function parseVersion(v: string): [number, number, number] {
  const m = /^(\d+)\.(\d+)(?:\.(\d+))?/.exec(v.trim());
  if (!m) throw new Error(`not a version: "${v}"`);
  return [Number(m[1]), Number(m[2]), Number(m[3] ?? 0)];
}

/** Whether `v` is `min` or newer ("8.15.0" ≥ "8.13.0"). */
export function versionAtLeast(v: string, min: string): boolean {
  const a = parseVersion(v);
  const b = parseVersion(min);
  for (let i = 0; i < 3; i++) if (a[i]! !== b[i]!) return a[i]! > b[i]!;
  return true;
}
