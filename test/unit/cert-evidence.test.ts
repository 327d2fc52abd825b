// Reading the certificate-connection evidence through a real agent: the deprecation log found from path.logs in
// elasticsearch.yml (and cluster.name), its lines per alias; an unreadable log and an unknown path.logs are errors
// naming the host, the file and the setting.
import test from 'ava';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildAgentBundle, startLocalAgent } from '../helpers/agent-bundle.js';
import { readCertEvidence } from '../../controller/modules/es/cert-evidence.js';
import type { TaskContext } from '../../controller/modules/contract.js';

let dir: string;
let ctxFor: (vars: Record<string, unknown>) => TaskContext;
const cleanups: Array<() => unknown> = [];

test.before(async () => {
  const b = await buildAgentBundle();
  const a = startLocalAgent(b.file);
  dir = mkdtempSync(join(tmpdir(), 'ck-cert-evidence-'));
  cleanups.push(
    () => a.stop(),
    b.cleanup,
    () => rmSync(dir, { recursive: true, force: true }),
  );
  ctxFor = (vars) =>
    ({
      host: 'node-1',
      hostVars: () => vars,
      agentFor: async () => a.client,
    }) as unknown as TaskContext;
});
test.after.always(async () => {
  for (const c of cleanups.reverse()) await c();
});

const line = (alias: string, ts: string) =>
  JSON.stringify({ '@timestamp': ts, 'event.code': `remote_cluster_certificate_access-${alias}`, 'log.level': 'WARN' });

test('the log named by path.logs and cluster.name of elasticsearch.yml, per alias', async (t) => {
  const config = join(dir, 'a', 'config');
  const logs = join(dir, 'a', 'var-log');
  mkdirSync(config, { recursive: true });
  mkdirSync(logs, { recursive: true });
  writeFileSync(join(config, 'elasticsearch.yml'), `cluster:\n  name: hub\npath.logs: ${logs}\n`);
  writeFileSync(
    join(logs, 'hub_deprecation.json'),
    [
      line('eu', '2026-01-01T00:00:00.000Z'),
      line('eu', '2026-01-02T00:00:00.000Z'),
      line('us', '2026-01-03T00:00:00.000Z'),
    ].join('\n'),
  );
  const [ev] = await readCertEvidence(ctxFor({ es_config: config }), ['node-1'], 'ignored');
  t.is(ev!.logFile, join(logs, 'hub_deprecation.json'));
  t.deepEqual(ev!.aliases.eu, { count: 2, first: '2026-01-01T00:00:00.000Z', last: '2026-01-02T00:00:00.000Z' });
  t.is(ev!.aliases.us!.count, 1);
});

test('an unreadable log, or no way to find path.logs: errors naming host, file and setting', async (t) => {
  const config = join(dir, 'b', 'config');
  const logs = join(dir, 'b', 'logs');
  mkdirSync(config, { recursive: true });
  // The log path is a directory: it exists but cannot be read as a file.
  mkdirSync(join(logs, 'local_deprecation.json'), { recursive: true });
  writeFileSync(join(config, 'elasticsearch.yml'), `path.logs: ${logs}\n`);
  const e = await t.throwsAsync(readCertEvidence(ctxFor({ es_config: config }), ['node-1'], 'local'));
  t.regex(e!.message, /^node-1: deprecation log .*local_deprecation\.json cannot be read \(set path\.logs/);

  const bare = join(dir, 'c', 'config');
  mkdirSync(bare, { recursive: true });
  writeFileSync(join(bare, 'elasticsearch.yml'), 'cluster.name: x\n');
  const e2 = await t.throwsAsync(readCertEvidence(ctxFor({ es_config: bare }), ['node-1'], 'x'));
  t.regex(e2!.message, /^node-1: path\.logs is not in elasticsearch\.yml and neither es_path_logs nor es_home is set/);
});
