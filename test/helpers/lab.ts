// Test/bench helper: one lab per test, always taken down (t.teardown), plus the reads the migration tests share:
// each local node's own _remote/info, journals, the lab's secrets, restart counts from the journal's gate events.
// sharedLab/runInLab: one lab for a whole test file, and the CLI run in-process against it.
import type { ExecutionContext, TestFn } from 'ava';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { labUp, type LabUpOptions } from '../../lab/up.js';
import { labDown } from '../../lab/ops.js';
import { labHttp } from '../../lab/http-client.js';
import type { LabClusterEntry, LabFile } from '../../lab/layout.js';
import { REMOTE_ALIAS } from '../../lab/setup/initial-state.js';
import { readKeystore } from '../../agent/keystore/format.js';
import { closeAllClients } from '../../controller/elastic/client.js';
import type { CliIO } from '../../controller/cli/command.js';
import type { CliResult } from '../integration/cli-bundle.js';

export { REMOTE_ALIAS };

export type LabOptions = Omit<LabUpOptions, 'dir'>;

/** Brings a lab up in a fresh temp dir; returns it with a `down()` that is safe to call twice. */
export async function startLab(
  opts: LabOptions & { prefix?: string },
): Promise<{ lab: LabFile; down(): Promise<void> }> {
  const dir = mkdtempSync(join(tmpdir(), opts.prefix ?? 'ck-lab-'));
  const down = async () => {
    if (existsSync(join(dir, 'lab.json'))) await labDown(dir).catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    const { prefix: _p, ...up } = opts;
    return {
      lab: (await labUp({ nodes: 2, ssh: 'openssh', startDelayMs: 300, recoveryMs: 300, ...up, dir })).lab,
      down,
    };
  } catch (e) {
    await down();
    throw e;
  }
}

/** A lab for one ava test, taken down in t.teardown whatever happens. */
export async function testLab(t: ExecutionContext, opts: LabOptions = {}): Promise<LabFile> {
  let down: (() => Promise<void>) | undefined;
  t.teardown(async () => {
    await down?.();
  });
  const started = await startLab({ prefix: `ck-migrate-${opts.esVersion ?? 'x'}-`, ...opts });
  down = started.down;
  return started.lab;
}

/** One lab for every test of a file (its tests share it, so they are test.serial): brought up in test.before (then
 *  `setup` runs), taken down in test.after.always once the controller's HTTP clients are closed. The returned
 *  function gives the lab; it throws if test.before did not bring it up. */
export function sharedLab(
  test: TestFn,
  opts: LabOptions & { prefix?: string; setup?: (l: LabFile) => void | Promise<void> } = {},
): () => LabFile {
  let started: { lab: LabFile; down(): Promise<void> } | undefined;
  test.before(async () => {
    const { setup, ...up } = opts;
    started = await startLab(up);
    await setup?.(started.lab);
  });
  test.after.always(async () => {
    await closeAllClients().catch(() => undefined);
    await started?.down();
  });
  return () => {
    if (!started) throw new Error('the shared lab is not up');
    return started.lab;
  };
}

/** Runs a CLI entry (`main`, or one command's `run`) in-process with the lab dir as cwd, an empty env and no stdin;
 *  returns the exit code and what it wrote. Errors it throws (a UsageError from a command's `run`) propagate. */
export async function runInLab(
  l: LabFile,
  run: (argv: string[], io: CliIO) => Promise<number>,
  argv: string[],
): Promise<CliResult> {
  const out = new PassThrough();
  const err = new PassThrough();
  let stdout = '';
  let stderr = '';
  out.on('data', (d) => (stdout += d));
  err.on('data', (d) => (stderr += d));
  const code = await run(argv, { stdout: out, stderr: err, stdin: new PassThrough(), env: {}, cwd: l.dir });
  return { code, stdout, stderr };
}

export const clusterOf = (l: LabFile, name: 'local' | 'remote'): LabClusterEntry => {
  const c = l.clusters.find((x) => x.name === name);
  if (!c) throw new Error(`lab has no cluster ${name}`);
  return c;
};

/** GET through the lab's verified TLS client (the lab CA), as the tool user. */
export async function labGet(l: LabFile, c: LabClusterEntry, path: string, url = c.url): Promise<any> {
  const r = await labHttp({ url, user: c.user, passwordFile: c.passwordFile, caCert: l.caCert }, 'GET', path);
  if (r.status !== 200) throw new Error(`GET ${url}${path} → ${r.status} ${r.text}`);
  return r.json;
}

export interface AliasInfo {
  connected: boolean;
  cluster_credentials?: string;
  seeds?: string[];
  proxy_address?: string;
}

/** Every local node's own _remote/info for the alias (each node answers for itself). */
export async function remoteInfoPerNode(l: LabFile): Promise<Record<string, AliasInfo>> {
  const local = clusterOf(l, 'local');
  const out: Record<string, AliasInfo> = {};
  for (const n of local.nodes)
    out[n.name] = (await labGet(l, local, '/_remote/info', `https://${n.address}:9200`))[REMOTE_ALIAS];
  return out;
}

export const followerInfo = async (l: LabFile): Promise<unknown> =>
  (await labGet(l, clusterOf(l, 'local'), '/leader-custom-follower/_ccr/info')).follower_indices[0];

export const activeKeys = async (l: LabFile): Promise<unknown[]> =>
  (await labGet(l, clusterOf(l, 'remote'), `/_security/api_key?name=crosskey-${REMOTE_ALIAS}&active_only=true`))
    .api_keys;

export interface JournalEvent {
  seq: number;
  ts: string;
  kind: string;
  run?: string;
  host?: string;
  gate?: string;
  task?: string;
  name?: string;
  [k: string]: unknown;
}

/** All journal events of the lab's state dir, run by run in file order. */
export function journalEvents(l: LabFile): JournalEvent[] {
  const runs = join(l.dir, '.crosskey', 'runs');
  if (!existsSync(runs)) return [];
  return readdirSync(runs)
    .sort()
    .flatMap((f) =>
      readFileSync(join(runs, f), 'utf8')
        .split('\n')
        .filter(Boolean)
        .map((x) => JSON.parse(x) as JournalEvent),
    );
}

export function journalText(l: LabFile): string {
  const runs = join(l.dir, '.crosskey', 'runs');
  return existsSync(runs)
    ? readdirSync(runs)
        .map((f) => readFileSync(join(runs, f), 'utf8'))
        .join('\n')
    : '';
}

/** Restarts per host from the rolling-restart gates: G3 = the node was started again after G2 (stopped). */
export function restartsFromJournal(events: readonly JournalEvent[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const e of events)
    if (e.kind === 'rolling_restart.gate' && e.gate === 'G3' && e.host) out[e.host] = (out[e.host] ?? 0) + 1;
  return out;
}

/** `--json` lines of a run whose host_result status is changed. */
export const changedResults = (jsonStdout: string): number =>
  jsonStdout
    .split('\n')
    .filter(Boolean)
    .map((x) => {
      try {
        return JSON.parse(x) as { kind?: string; status?: string };
      } catch {
        return {};
      }
    })
    .filter((e) => e.kind === 'host_result' && e.status === 'changed').length;

/** The lab's secrets: tool passwords (DIR/credentials/*), and the encoded API key read from a local keystore
 *  with the lab's own bin/elasticsearch-keystore (and the key's secret half). */
export async function labSecrets(l: LabFile): Promise<string[]> {
  const files = toolPasswords(l);
  const n = clusterOf(l, 'local').nodes[0]!;
  const key = await new Promise<string>((res, rej) => {
    const p = spawn(
      join(n.home, 'bin', 'elasticsearch-keystore'),
      ['show', `cluster.remote.${REMOTE_ALIAS}.credentials`],
      { env: { ...process.env, ES_PATH_CONF: n.configDir, ES_HOME: n.home }, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let out = '';
    p.stdout.on('data', (d) => (out += d));
    p.on('error', rej);
    p.on('close', (code) => (code === 0 ? res(out.trim()) : rej(new Error(`keystore show exited ${code}`))));
  });
  const [id, apiKey] = Buffer.from(key, 'base64').toString('utf8').split(':');
  return [...files, key, apiKey ?? ''].filter((s) => s.length >= 6 && s !== id);
}

/** The tool users' passwords (DIR/credentials/*). */
const toolPasswords = (l: LabFile): string[] =>
  readdirSync(join(l.dir, 'credentials')).map((f) => readFileSync(join(l.dir, 'credentials', f), 'utf8').trim());

/** Passwords the lab created, before any migration: the tool users' and the PKCS#12 ones (read from local-1's
 *  keystore, as ES would). */
export function labPasswords(l: LabFile): string[] {
  const tool = toolPasswords(l).filter((s) => s.length >= 4);
  const ks = readKeystore(readFileSync(join(l.dir, 'clusters/local/local-1/config/elasticsearch.keystore')));
  const p12 = [...ks.entries]
    .filter(([name]) => name.endsWith('secure_password'))
    .map(([, v]) => v.toString('utf8'))
    .filter((s) => s.length >= 4);
  // Callers loop over these to prove absence: an empty kind would make that loop prove nothing.
  if (!tool.length || !p12.length)
    throw new Error(`labPasswords: found ${tool.length} tool and ${p12.length} PKCS#12 passwords in ${l.dir}`);
  return [...tool, ...p12];
}

/** Samples every process's argv (/proc/N/cmdline) every `everyMs` until stop(); returns the distinct argvs. */
export function sampleArgv(everyMs = 50): { stop(): string[] } {
  const seen = new Set<string>();
  const sample = () => {
    for (const pid of readdirSync('/proc')) {
      if (!/^\d+$/.test(pid)) continue;
      try {
        seen.add(readFileSync(`/proc/${pid}/cmdline`, 'utf8').replaceAll('\0', ' '));
      } catch {
        /* gone */
      }
    }
  };
  sample();
  const timer = setInterval(sample, everyMs);
  return {
    stop: () => {
      clearInterval(timer);
      sample();
      return [...seen];
    },
  };
}
