// `crosskey lab up|status|down|fault` — labCommand(argv) is wired into the crosskey CLI; this file also runs on its
// own: `node --import=tsx lab/cli.ts up --dir /tmp/lab`.
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { labUp } from './up.js';
import { labStatus, formatStatus, labDown, labFault } from './ops.js';
import { checkEsVersion, parseClusterFlag, parseConnectFlag, parseYmlFlag } from './layout-spec.js';

export const LAB_USAGE = `usage: crosskey lab <command> [options]

The lab is a SIMULATOR: simulated Elasticsearch 8/9 nodes (not real Elasticsearch) behind real SSH hosts.

  up     [--dir DIR] [--nodes 3] [--es-version 8.15.0] [--ssh openssh|embedded] [--license trial|basic]
         [--cluster NAME[:NODES]]... [--connect LOCAL:REMOTE[:ALIAS]]... [--yml CLUSTER:KEY=VALUE]...
         [--static-remote] [--net L] [--start-delay MS] [--recovery MS]
  status [--dir DIR] [--json]
  down   [--dir DIR]
  fault  NODE fail-start|slow-start|drop-ssh|http-429|http-503|stall-recovery|block-rcs [--count N] [--ms MS] [--clear] [--dir DIR]

DIR defaults to ./.lab. --es-version: 8.10.0 to 8.19.x, 9.0.0 to 9.3.x.
--cluster (repeatable; default local:3 and remote:3): NODES 1..9, --nodes for a cluster given without a count.
--connect (repeatable; default local:remote:my_remote): an alias of LOCAL to REMOTE (which may be LOCAL itself),
  on certificate trust (RCS1) like my_remote; ALIAS defaults to my_remote. The first one carries the lab's tasks.
--yml (repeatable): a setting added to every node's elasticsearch.yml of CLUSTER before the first start.
--static-remote: every alias in elasticsearch.yml instead of persistent cluster settings.
`;

interface Parsed {
  positional: string[];
  flags: Map<string, string | true>;
  /** Repeatable flags, in order. */
  lists: Map<string, string[]>;
}

const VALUE_FLAGS = new Set([
  '--dir',
  '--nodes',
  '--es-version',
  '--ssh',
  '--license',
  '--net',
  '--count',
  '--ms',
  '--start-delay',
  '--recovery',
]);
const LIST_FLAGS = new Set(['--cluster', '--connect', '--yml']);
const BOOL_FLAGS = new Set(['--json', '--static-remote', '--clear', '--help', '-h']);

function parse(argv: string[]): Parsed {
  const positional: string[] = [];
  const flags = new Map<string, string | true>();
  const lists = new Map<string, string[]>();
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const eq = a.indexOf('=');
    const name = a.startsWith('--') && eq > 0 ? a.slice(0, eq) : a;
    if (VALUE_FLAGS.has(name) || LIST_FLAGS.has(name)) {
      const v = eq > 0 && a.startsWith('--') ? a.slice(eq + 1) : argv[++i];
      if (v === undefined) throw new UsageError(`${name} needs a value`);
      if (LIST_FLAGS.has(name)) lists.set(name, [...(lists.get(name) ?? []), v]);
      else flags.set(name, v);
    } else if (BOOL_FLAGS.has(a)) flags.set(a, true);
    else if (a.startsWith('-')) throw new UsageError(`unknown option ${a}`);
    else positional.push(a);
  }
  return { positional, flags, lists };
}

class UsageError extends Error {}

function int(p: Parsed, flag: string): number | undefined {
  const v = p.flags.get(flag);
  if (v === undefined) return undefined;
  if (typeof v !== 'string' || !/^\d+$/.test(v))
    throw new UsageError(`${flag} ${String(v)}: expected a non-negative integer`);
  return Number(v);
}

function oneOf<T extends string>(p: Parsed, flag: string, allowed: readonly T[]): T | undefined {
  const v = p.flags.get(flag);
  if (v === undefined) return undefined;
  if (typeof v !== 'string' || !allowed.includes(v as T))
    throw new UsageError(`${flag} ${String(v)}: expected one of ${allowed.join(', ')}`);
  return v as T;
}

export async function labCommand(
  argv: string[],
  io: { out?: (s: string) => void; err?: (s: string) => void } = {},
): Promise<number> {
  const out = io.out ?? ((s: string) => process.stdout.write(s));
  const err = io.err ?? ((s: string) => process.stderr.write(s));
  let p: Parsed;
  try {
    p = parse(argv);
  } catch (e) {
    err(`crosskey lab: ${(e as Error).message}\n${LAB_USAGE}`);
    return 1;
  }
  const [command, ...rest] = p.positional;
  if (!command || p.flags.has('--help') || p.flags.has('-h')) {
    (command ? out : err)(LAB_USAGE);
    return command ? 0 : 1;
  }
  const dir = resolve((p.flags.get('--dir') as string | undefined) ?? '.lab');
  try {
    switch (command) {
      case 'up': {
        const esVersion = p.flags.get('--es-version') as string | undefined;
        if (esVersion !== undefined) checkEsVersion(esVersion);
        const { lab, seconds } = await labUp({
          dir,
          nodes: int(p, '--nodes'),
          clusters: (p.lists.get('--cluster') ?? []).map(parseClusterFlag),
          connections: (p.lists.get('--connect') ?? []).map(parseConnectFlag),
          yml: (p.lists.get('--yml') ?? []).map(parseYmlFlag),
          esVersion,
          ssh: oneOf(p, '--ssh', ['openssh', 'embedded'] as const),
          license: oneOf(p, '--license', ['trial', 'basic'] as const),
          staticRemote: p.flags.has('--static-remote'),
          net: int(p, '--net'),
          startDelayMs: int(p, '--start-delay'),
          recoveryMs: int(p, '--recovery'),
          log: (l) => out(l + '\n'),
        });
        out(
          `lab up in ${seconds.toFixed(1)} s: ${lab.dir}\n  inventory   ${lab.inventory}\n  ssh config  ${lab.dir}/ssh_config\n`,
        );
        out('  (simulated Elasticsearch: see lab/README.md for what is and is not simulated)\n');
        return 0;
      }
      case 'status': {
        const s = labStatus(dir);
        out(p.flags.has('--json') ? JSON.stringify(s, null, 2) + '\n' : formatStatus(s));
        return 0;
      }
      case 'down': {
        const { stillOpen } = await labDown(dir);
        if (stillOpen.length) {
          err(`crosskey lab down: ports still open: ${stillOpen.join(', ')}\n`);
          return 1;
        }
        out(`lab ${dir} is down (no process, no listening port left)\n`);
        return 0;
      }
      case 'fault': {
        const [node, kind] = rest;
        if (!node || !kind) throw new UsageError('fault needs NODE and KIND');
        out(
          (await labFault(dir, node, kind, {
            count: int(p, '--count'),
            ms: int(p, '--ms'),
            clear: p.flags.has('--clear'),
          })) + '\n',
        );
        return 0;
      }
      default:
        throw new UsageError(`unknown command ${command}`);
    }
  } catch (e) {
    if (e instanceof UsageError) {
      err(`crosskey lab: ${e.message}\n${LAB_USAGE}`);
      return 1;
    }
    err(`crosskey lab ${command}: ${(e as Error).message}\n`);
    return 1;
  }
}

// Only when this file itself is the program (not when bundled into dist/crosskey.mjs, where every module shares
// the bundle's import.meta.url).
if (
  process.argv[1] &&
  /lab[\\/]cli\.[cm]?[jt]s$/.test(process.argv[1]) &&
  resolve(process.argv[1]) === fileURLToPath(import.meta.url)
) {
  labCommand(process.argv.slice(2)).then((code) => process.exit(code));
}
