// Ansible's `serial`: batch sizes from a list (number or "N%"); percent is floor but at least 1; the last
// value repeats; the remainder goes into the last batch.
export function batchSizes(serial: Array<number | string> | undefined, total: number): number[] {
  if (total === 0) return [];
  if (!serial || serial.length === 0) return [total];
  const size = (v: number | string): number => {
    if (typeof v === 'string' && v.trim().endsWith('%')) {
      const pct = Number(v.trim().slice(0, -1));
      if (!Number.isFinite(pct) || pct <= 0) throw new Error(`bad serial value ${v}`);
      return Math.max(1, Math.floor((total * pct) / 100));
    }
    const n = Number(v);
    if (!Number.isInteger(n) || n < 0) throw new Error(`bad serial value ${v}`);
    return n === 0 ? total : n; // serial: 0 means all hosts at once (as in Ansible)
  };
  const sizes: number[] = [];
  let left = total;
  let i = 0;
  while (left > 0) {
    const n = Math.min(left, size(serial[Math.min(i, serial.length - 1)]!));
    sizes.push(n);
    left -= n;
    i++;
  }
  return sizes;
}

export function batches<T>(items: T[], serial: Array<number | string> | undefined): T[][] {
  const out: T[][] = [];
  let at = 0;
  for (const n of batchSizes(serial, items.length)) {
    out.push(items.slice(at, at + n));
    at += n;
  }
  return out;
}
