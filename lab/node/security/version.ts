// Version comparison for version-gated behaviour ("8.15.0" ≥ "8.13.0").
export function parseVersion(v: string): [number, number, number] {
  const m = /^(\d+)\.(\d+)(?:\.(\d+))?/.exec(v);
  if (!m) throw new Error(`not a version: ${v}`);
  return [Number(m[1]), Number(m[2]), Number(m[3] ?? 0)];
}
export function versionAtLeast(v: string, min: string): boolean {
  const a = parseVersion(v),
    b = parseVersion(min);
  for (let i = 0; i < 3; i++) if (a[i] !== b[i]) return a[i] > b[i];
  return true;
}
