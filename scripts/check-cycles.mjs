// No import cycles: between the files of controller/, agent/ and lab/, and between controller's folders
// (cli → playbook → modules → elastic/transport/certs/…, never back). Run by `npm run lint`.
import { readFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { dirname, join, normalize } from 'node:path';

/** file → files it imports (relative imports of .ts sources; type-only and dynamic imports count: they tie modules too). */
export function importGraph(root = process.cwd()) {
  const files = execFileSync(
    'git',
    ['ls-files', '--cached', '--others', '--exclude-standard', 'controller', 'agent', 'lab'],
    {
      cwd: root,
      encoding: 'utf8',
    },
  )
    .split('\n')
    .filter((f) => f.endsWith('.ts'));
  const known = new Set(files);
  const graph = new Map();
  for (const f of files) {
    let text;
    try {
      text = readFileSync(join(root, f), 'utf8');
    } catch {
      continue;
    }
    const deps = new Set();
    // static imports and re-exports, and dynamic `import('./x.js')` (lazy loads tie modules as well)
    const specifiers = [
      ...text.matchAll(/(?:^|\n)\s*(?:import|export)\s[^;]*?from\s+'(\.[^']+)'/g),
      ...text.matchAll(/\bimport\(\s*'(\.[^']+)'\s*\)/g),
    ];
    for (const m of specifiers) {
      const target = normalize(join(dirname(f), m[1])).replace(/\.js$/, '.ts');
      if (known.has(target)) deps.add(target);
    }
    graph.set(f, deps);
  }
  return graph;
}

/** Strongly connected groups of more than one node (Tarjan). */
export function cycles(graph) {
  let index = 0;
  const idx = new Map();
  const low = new Map();
  const stack = [];
  const on = new Set();
  const out = [];
  const visit = (v) => {
    idx.set(v, index);
    low.set(v, index++);
    stack.push(v);
    on.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!idx.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v), low.get(w)));
      } else if (on.has(w)) low.set(v, Math.min(low.get(v), idx.get(w)));
    }
    if (low.get(v) === idx.get(v)) {
      const group = [];
      let w;
      do {
        w = stack.pop();
        on.delete(w);
        group.push(w);
      } while (w !== v);
      if (group.length > 1) out.push(group.sort());
    }
  };
  for (const v of graph.keys()) if (!idx.has(v)) visit(v);
  return out;
}

/** controller/<folder> → folders it imports. */
export function folderGraph(graph) {
  const folder = (f) =>
    f.startsWith('controller/') ? f.split('/').slice(0, 2).join('/').replace(/\.ts$/, '') : undefined;
  const out = new Map();
  for (const [f, deps] of graph) {
    const a = folder(f);
    if (!a) continue;
    if (!out.has(a)) out.set(a, new Set());
    for (const d of deps) {
      const b = folder(d);
      if (b && b !== a) out.get(a).add(b);
    }
  }
  return out;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const graph = importGraph();
  const fileCycles = cycles(graph);
  const folderCycles = cycles(folderGraph(graph));
  let failed = false;
  for (const c of fileCycles) {
    failed = true;
    console.error(`import cycle between files: ${c.join(' ↔ ')}`);
  }
  for (const c of folderCycles) {
    failed = true;
    console.error(`import cycle between folders: ${c.join(' ↔ ')}`);
  }
  if (failed) process.exit(1);
  console.log(`crosskey lint: no import cycles in controller/, agent/ and lab/ (${graph.size} files)`);
}
