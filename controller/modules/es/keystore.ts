// keystore (host module): one entry of a node's elasticsearch.keystore (docs/procedure.md §7.3, §7.4).
// Read with the agent's `keystore.list` (parses the file, no JVM). Diff by presence; a value from a run secret
// (`value_from`) is also compared by its version (e.g. the API key id) recorded per host in saved state, so a
// rotated key is rewritten; `compare_value: true` compares the value itself via `elasticsearch-keystore show`.
// Apply runs the node's own `bin/elasticsearch-keystore add -f -x NAME` (or `remove NAME`) as the owner of the
// keystore file; the password (first line) and the value go on stdin, never in argv. Verified by listing again.
import { join } from 'node:path';
import type { AgentClient, OpResult } from '../../../agent/protocol.js';
import type { ApplyResult, Change, Resource, TaskContext } from '../contract.js';
import { ModuleError } from '../contract.js';
import { type Secret, asSecret, secrets } from '../../secrets.js';
import { scratchOf } from './run-secrets.js';
import { backupArgs } from '../core/file-state.js';

export interface KeystoreArgs {
  name: string;
  state: 'present' | 'absent';
  value?: Secret | string;
  value_from?: string;
  keystore_password?: Secret | string;
  compare_value: boolean;
  es_home?: string;
  es_config?: string;
  /** The node picks the change up with reload_secure_settings (cluster.remote.*.credentials from 8.13). Otherwise
   *  the keystore counts as a changed file that es_rolling_restart must restart the node for. */
  reloadable?: boolean;
}

export interface KeystoreRecord {
  version?: string;
  written_at: string;
  /** The saved API-key record whose staged_hosts list this host while the entry holds that key's secret. */
  staged_state_key?: string;
}

export interface KeystoreCurrent {
  path: string;
  exists: boolean;
  hasPassword: boolean;
  present: boolean;
  /** Only with compare_value: whether the stored value equals the desired one. */
  sameValue?: boolean;
  record?: KeystoreRecord;
  recordKey: string;
  /** Version of the desired value when it comes from a run secret. */
  wantVersion?: string;
}

/**
 * The one change of a keystore task: add (or replace) entry `name` with `value`, or remove it. An add from a run
 * secret carries its version (recorded per host, so a rotated key is rewritten) and the saved state of a staged
 * key to mark this host in. `value` is missing only in check mode, for a run secret the run has not made yet
 * (such a plan is never applied).
 */
export type KeystoreOp =
  | { kind: 'add'; name: string; value: Secret | undefined; version?: string; stagedStateKey?: string }
  | { kind: 'remove'; name: string };

const NAME_RE = /^[A-Za-z0-9_\-.]+$/;

function paths(ctx: TaskContext, args: KeystoreArgs): { home: string; config: string; keystore: string } {
  const home = args.es_home ?? (ctx.vars.es_home as string | undefined);
  const config =
    args.es_config ?? (ctx.vars.es_config as string | undefined) ?? (home ? join(home, 'config') : undefined);
  if (!home || !config)
    throw new ModuleError(`${ctx.host}: keystore: es_home (and es_config) must be set in the host's vars`);
  return { home, config, keystore: join(config, 'elasticsearch.keystore') };
}

function desiredValue(
  ctx: TaskContext,
  args: KeystoreArgs,
): { value?: Secret; version?: string; stagedStateKey?: string } {
  if (args.value !== undefined) return { value: asSecret(args.value)! };
  if (args.value_from) {
    const named = scratchOf(ctx).secrets.get(args.value_from);
    if (named)
      return {
        value: named.secret,
        version: named.version,
        ...(named.stagedStateKey ? { stagedStateKey: named.stagedStateKey } : {}),
      };
  }
  return {};
}

async function list(agent: AgentClient, path: string, password?: Secret): Promise<OpResult<'keystore.list'>> {
  return agent.call('keystore.list', { path, ...(password ? { password: password.reveal() } : {}) });
}

function keystoreCli(home: string): string {
  return join(home, 'bin', 'elasticsearch-keystore');
}

/** Runs the keystore CLI with stdin lines; fails naming host, step and the CLI's message (secrets redacted). */
async function runCli(
  ctx: TaskContext,
  agent: AgentClient,
  p: ReturnType<typeof paths>,
  argv: string[],
  stdinLines: Secret[],
  step: string,
  runAs: string,
) {
  const stdin = stdinLines.map((s) => s.reveal() + '\n').join('');
  const res = await agent.call('command', {
    argv: [keystoreCli(p.home), ...argv],
    stdin,
    env: { ES_PATH_CONF: p.config },
    runAsOwnerOf: runAs,
    timeoutMs: 120_000,
  });
  if (res.rc !== 0) {
    const out = secrets.redact(`${res.stderr}\n${res.stdout}`.trim());
    throw new ModuleError(
      `${ctx.host}: keystore ${step} failed (exit ${res.rc ?? 'signal'}${res.timedOut ? ', timed out' : ''}): ${out}`,
    );
  }
  return res;
}

export const keystore: Resource<KeystoreArgs, KeystoreCurrent, KeystoreOp> = {
  name: 'keystore',
  description: "Add or remove an entry of the node's elasticsearch.keystore (value on stdin, as the keystore owner)",
  runsOn: 'host',
  changeNoun: ['keystore entry', 'keystore entries'],
  rules: { mutuallyExclusive: [['value', 'value_from']] },
  schema: {
    name: { type: 'string', required: true },
    state: { type: 'string', choices: ['present', 'absent'], default: 'present' },
    value: { type: 'string', secret: true },
    value_from: {
      type: 'string',
      description: 'name of a secret registered earlier in the run (e.g. by es_cross_cluster_api_key)',
    },
    keystore_password: { type: 'string', secret: true },
    compare_value: { type: 'boolean', default: false },
    es_home: { type: 'string' },
    es_config: { type: 'string' },
    reloadable: {
      type: 'boolean',
      default: false,
      description: 'true when the node reloads this setting (reload_secure_settings) instead of needing a restart',
    },
  },

  async read(ctx, args) {
    if (!NAME_RE.test(args.name))
      throw new ModuleError(`${ctx.host}: keystore: setting name [${args.name}] does not match [A-Za-z0-9_\\-.]+`);
    const p = paths(ctx, args);
    const agent = await ctx.agent();
    const password = asSecret(args.keystore_password);
    const ls = await list(agent, p.keystore, password);
    if (ls.exists && ls.hasPassword && !password) {
      throw new ModuleError(`${ctx.host}: keystore ${p.keystore} is password-protected: set keystore_password`);
    }
    if (ls.error) throw new ModuleError(`${ctx.host}: keystore ${p.keystore}: ${ls.error}`);
    const recordKey = `keystore/${ctx.host}/${args.name}`;
    const record = ctx.state.get<KeystoreRecord>(recordKey);
    const want = desiredValue(ctx, args);
    const present = !!ls.entries?.includes(args.name);
    const current: KeystoreCurrent = {
      path: p.keystore,
      exists: ls.exists,
      hasPassword: !!ls.hasPassword,
      present,
      recordKey,
      ...(record ? { record } : {}),
      ...(want.version ? { wantVersion: want.version } : {}),
    };
    if (args.compare_value && args.state === 'present' && present && want.value) {
      const res = await runCli(
        ctx,
        agent,
        p,
        ['show', args.name],
        ls.hasPassword && password ? [password] : [],
        `show ${args.name}`,
        p.keystore,
      );
      // The password prompt may be printed on stdout (it is on stderr in some versions): drop it before comparing.
      const shown = res.stdout.replace(/^Enter password for the elasticsearch keystore : /, '').replace(/\r?\n$/, '');
      current.sameValue = shown === want.value.reveal();
    }
    return current;
  },

  diff(current, args, ctx) {
    const changes = keystoreChanges(current, args, ctx);
    if (ctx.check && changes.length) scratchOf(ctx).plannedKeystoreChanges.add(ctx.host);
    return changes;
  },

  async apply(ctx, args, plan, current) {
    return applyKeystore(ctx, args, plan, current);
  },

  report(current) {
    return { keystore: current.path, present: current.present, password_protected: current.hasPassword };
  },
};

function keystoreChanges(current: KeystoreCurrent, args: KeystoreArgs, ctx: TaskContext): Change<KeystoreOp>[] {
  const target = `${current.path}: ${args.name}`;
  if (args.state === 'absent')
    return current.present ? [{ target, action: 'delete', secret: true, op: { kind: 'remove', name: args.name } }] : [];
  const want = desiredValue(ctx, args);
  const add: KeystoreOp = {
    kind: 'add',
    name: args.name,
    value: want.value,
    ...(want.version ? { version: want.version } : {}),
    ...(want.stagedStateKey ? { stagedStateKey: want.stagedStateKey } : {}),
  };
  if (!current.present) {
    // Check mode: the task that creates the secret did not run for real, so its value cannot be known yet.
    if (!want.value && ctx.check && args.value_from) return [{ target, action: 'create', secret: true, op: add }];
    if (!want.value) {
      throw new ModuleError(
        `${ctx.host}: keystore ${args.name}: no value: ` +
          (args.value_from
            ? `run secret "${args.value_from}" is not known in this run (run the task that creates it first)`
            : 'give value or value_from'),
      );
    }
    return [{ target, action: 'create', secret: true, op: add }];
  }
  if (want.version && current.record?.version !== want.version)
    return [{ target, action: 'update', secret: true, before: current.record?.version, after: want.version, op: add }];
  if (current.sameValue === false) return [{ target, action: 'update', secret: true, op: add }];
  return [];
}

/** Performs the plan (one add or one remove) with the node's keystore CLI, then confirms it by listing the keystore. */
async function applyKeystore(
  ctx: TaskContext,
  args: KeystoreArgs,
  plan: Change<KeystoreOp>[],
  current: KeystoreCurrent,
): Promise<ApplyResult<KeystoreOp>> {
  const p = paths(ctx, args);
  const agent = await ctx.agent();
  const password = asSecret(args.keystore_password);
  const pwLines = current.exists && current.hasPassword && password ? [password] : [];
  // Run as the keystore's owner; a missing keystore is created by `add -f` as the owner of the config dir.
  const runAs = current.exists ? current.path : p.config;
  // A keystore change that needs a restart is restored with the play's other files when the node then fails to
  // start: keep a copy of the keystore as it was (none when the CLI creates it).
  const backupPath =
    !args.reloadable && current.exists
      ? (await agent.call('file.backup', { path: current.path, ...backupArgs(ctx) })).backupPath
      : undefined;
  // The plan is one change: this entry added (or replaced) or removed.
  const change = plan[0]!;
  const op = change.op!;
  if (op.kind === 'remove') {
    await runCli(ctx, agent, p, ['remove', op.name], pwLines, `remove ${op.name}`, runAs);
  } else {
    const value = op.value;
    if (!value) throw new ModuleError(`${ctx.host}: keystore ${op.name}: no value (the plan was made in check mode)`);
    if (/[\r\n]/.test(value.reveal()))
      throw new ModuleError(`${ctx.host}: keystore ${op.name}: value contains a line break (not storable with add -x)`);
    await runCli(ctx, agent, p, ['add', '-f', '-x', op.name], [...pwLines, value], `add ${op.name}`, runAs);
  }
  // Verify: the entry is (not) there now.
  const after = await list(agent, p.keystore, password);
  const present = !!after.entries?.includes(op.name);
  if (after.error || present !== (op.kind === 'add')) {
    throw new ModuleError(
      `${ctx.host}: keystore ${op.name}: ${op.kind === 'add' ? 'present' : 'absent'} not confirmed by listing ${p.keystore}${after.error ? `: ${after.error}` : ''}`,
    );
  }
  if (op.kind === 'add') {
    await ctx.state.set(current.recordKey, {
      ...(op.version ? { version: op.version } : {}),
      written_at: new Date().toISOString(),
      ...(op.stagedStateKey ? { staged_state_key: op.stagedStateKey } : {}),
    } satisfies KeystoreRecord);
    if (op.stagedStateKey) {
      const staged = ctx.state.get<{ staged_hosts?: string[] }>(op.stagedStateKey);
      if (staged)
        await ctx.state.set(op.stagedStateKey, {
          ...staged,
          staged_hosts: [...new Set([...(staged.staged_hosts ?? []), ctx.host])],
        });
    }
  } else {
    // The secret this entry held (an API key's) is no longer staged here: a later run must write it again, or, when
    // the secret died with its run, replace the key (es_cross_cluster_api_key reads staged_hosts).
    const record = ctx.state.get<KeystoreRecord>(current.recordKey);
    const stagedKey = record?.staged_state_key;
    const staged = stagedKey ? ctx.state.get<{ staged_hosts?: string[] }>(stagedKey) : undefined;
    if (stagedKey && staged)
      await ctx.state.set(stagedKey, {
        ...staged,
        staged_hosts: (staged.staged_hosts ?? []).filter((h) => h !== ctx.host),
      });
    await ctx.state.delete(current.recordKey);
  }
  await ctx.state.set(`keystore_pending_reload/${ctx.host}`, { name: op.name, at: new Date().toISOString() });
  return {
    applied: plan,
    msg: `${op.name} ${op.kind === 'add' ? (change.action === 'create' ? 'added' : 'replaced') : 'removed'}`,
    ...(args.reloadable ? {} : { changedFiles: [{ path: current.path, ...(backupPath ? { backupPath } : {}) }] }),
  };
}
