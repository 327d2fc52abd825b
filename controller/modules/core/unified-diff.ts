// Line-based unified diff for `--diff` output of text files, with 3 lines of context.
// Kept dependency-free: a diff of two config files is small, and the output must match `diff -u`'s shape.

type Op = { kind: ' ' | '-' | '+'; line: string };

function splitLines(text: string): string[] {
  if (text === '') return [];
  const lines = text.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  return lines;
}

/** Unified diff of two texts ('' for identical). Labels name the before/after sides. */
export function unifiedDiff(before: string, after: string, fromLabel: string, toLabel: string, context = 3): string {
  if (before === after) return '';
  const a = splitLines(before),
    b = splitLines(after);
  const ops = lcsOps(a, b);
  const out: string[] = [`--- ${fromLabel}`, `+++ ${toLabel}`];
  // Group changes into hunks with `context` lines around them.
  let i = 0;
  const aLine = new Array<number>(ops.length),
    bLine = new Array<number>(ops.length);
  let ai = 0,
    bi = 0;
  ops.forEach((op, idx) => {
    aLine[idx] = ai;
    bLine[idx] = bi;
    if (op.kind !== '+') ai++;
    if (op.kind !== '-') bi++;
  });
  while (i < ops.length) {
    if (ops[i]!.kind === ' ') {
      i++;
      continue;
    }
    const start = Math.max(0, i - context);
    let end = i;
    let lastChange = i;
    while (end < ops.length && (ops[end]!.kind !== ' ' || end - lastChange <= context * 2)) {
      if (ops[end]!.kind !== ' ') lastChange = end;
      end++;
    }
    end = Math.min(ops.length, lastChange + context + 1);
    const hunk = ops.slice(start, end);
    const aCount = hunk.filter((o) => o.kind !== '+').length;
    const bCount = hunk.filter((o) => o.kind !== '-').length;
    const aStart = aCount === 0 ? aLine[start]! : aLine[start]! + 1;
    const bStart = bCount === 0 ? bLine[start]! : bLine[start]! + 1;
    out.push(`@@ -${aStart},${aCount} +${bStart},${bCount} @@`);
    for (const o of hunk) out.push(o.kind + o.line);
    i = end;
  }
  if (!before.endsWith('\n') && before !== '') out.push('\\ No newline at end of file (before)');
  if (!after.endsWith('\n') && after !== '') out.push('\\ No newline at end of file (after)');
  return out.join('\n') + '\n';
}

/** Edit script: common prefix/suffix kept, LCS (dynamic programming) on the middle; a middle too
 *  large for the table (> 4M cells) is shown as a whole replacement, which is still a correct diff. */
function lcsOps(aAll: string[], bAll: string[]): Op[] {
  let p = 0;
  while (p < aAll.length && p < bAll.length && aAll[p] === bAll[p]) p++;
  let s = 0;
  while (s < aAll.length - p && s < bAll.length - p && aAll[aAll.length - 1 - s] === bAll[bAll.length - 1 - s]) s++;
  const head: Op[] = aAll.slice(0, p).map((line) => ({ kind: ' ', line }));
  const tail: Op[] = aAll.slice(aAll.length - s).map((line) => ({ kind: ' ', line }));
  const a = aAll.slice(p, aAll.length - s),
    b = bAll.slice(p, bAll.length - s);
  if (a.length * b.length > 4_000_000) {
    return [
      ...head,
      ...a.map((line): Op => ({ kind: '-', line })),
      ...b.map((line): Op => ({ kind: '+', line })),
      ...tail,
    ];
  }
  return [...head, ...lcsMiddle(a, b), ...tail];
}

function lcsMiddle(a: string[], b: string[]): Op[] {
  const n = a.length,
    m = b.length;
  const dp: Uint32Array[] = Array.from({ length: n + 1 }, () => new Uint32Array(m + 1));
  for (let i = n - 1; i >= 0; i--)
    for (let j = m - 1; j >= 0; j--) {
      dp[i]![j] = a[i] === b[j] ? dp[i + 1]![j + 1]! + 1 : Math.max(dp[i + 1]![j]!, dp[i]![j + 1]!);
    }
  const ops: Op[] = [];
  let i = 0,
    j = 0;
  while (i < n && j < m) {
    if (a[i] === b[j]) {
      ops.push({ kind: ' ', line: a[i]! });
      i++;
      j++;
    } else if (dp[i + 1]![j]! >= dp[i]![j + 1]!) {
      ops.push({ kind: '-', line: a[i]! });
      i++;
    } else {
      ops.push({ kind: '+', line: b[j]! });
      j++;
    }
  }
  while (i < n) ops.push({ kind: '-', line: a[i++]! });
  while (j < m) ops.push({ kind: '+', line: b[j++]! });
  return ops;
}
