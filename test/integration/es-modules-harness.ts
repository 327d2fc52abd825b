// Test harness for the es_* modules: runs a module the way the executor does (args checked against the schema,
// read → diff → apply unless check mode or empty diff) with a real saved-state file, a journal that records
// events, inventory vars from a lab, and the real agent reached over SSH (the lab's sshd per node, host keys
// checked against the lab's known_hosts), as the executor's transport does.
import { mkdtempSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Module, TaskContext, Change } from '../../controller/modules/contract.js';
import type { AnyModule } from '../../controller/modules/registry.js';
import { runTask } from '../helpers/run-task.js';
import type { AgentClient } from '../../agent/protocol.js';
import { loadInventory } from '../../controller/inventory/index.js';
import { inventoryView } from '../../controller/playbook/exec-inventory.js';
import type { InventoryView } from '../../controller/playbook/exec-types.js';
import { FileStateStore } from '../../controller/state/store.js';
import { closeAllClients, esForVars } from '../../controller/elastic/client.js';
import { secrets } from '../../controller/secrets.js';
import type { EsApi } from '../../controller/elastic/types.js';
import { Transport, hostSpecFromVars } from '../../controller/transport/index.js';
import { buildAgentBundle } from '../helpers/agent-bundle.js';
import { labCommand } from '../../lab/cli.js';
import { runSecrets, plannedKeystoreChanges } from '../../controller/modules/es/run-secrets.js';

export interface TaskRun {
  status: 'ok' | 'changed';
  changes: Change[];
  data: Record<string, unknown>;
  msg?: string;
}

export class Harness {
  readonly events: Array<{ kind: string; data: Record<string, unknown> }> = [];
  state: FileStateStore;
  constructor(
    readonly inv: InventoryView,
    readonly stateDir: string,
    readonly agents?: (host: string) => Promise<AgentClient>,
  ) {
    this.state = new FileStateStore(stateDir);
  }
  /** A new controller process: saved state reloaded from disk, run secrets forgotten. */
  restart(): void {
    this.state = new FileStateStore(this.stateDir);
    runSecrets.clear();
    plannedKeystoreChanges.clear();
  }
  ctx(host: string, check: boolean, playGroup: string): TaskContext {
    const inv = this.inv;
    const vars = { ...inv.hostVars(host), groups: inv.groupMembers(), inventory_hostname: host };
    return {
      host,
      vars,
      check,
      diff: true,
      agent: () => this.agentOf(host),
      agentFor: (h) => this.agentOf(h),
      hostVars: (h) => inv.hostVars(h),
      playHosts: inv.select(playGroup),
      secrets,
      state: this.state,
      journal: {
        event: (kind, data) => {
          this.events.push({ kind, data });
        },
      },
      progress: () => {},
      changedFiles: new Map(),
      signal: new AbortController().signal,
    };
  }
  /** Every agent call made by the modules (op + args), to check what reached a host's argv and stdin. */
  readonly agentCalls: Array<{ host: string; op: string; args: Record<string, unknown> }> = [];
  async agentOf(host: string): Promise<AgentClient> {
    if (!this.agents) throw new Error(`no agent provider in this test (host ${host})`);
    const real = await this.agents(host);
    return {
      host: real.host,
      call: (op, args) => {
        this.agentCalls.push({ host, op, args: args as Record<string, unknown> });
        return real.call(op, args);
      },
    };
  }
  /** The module life exactly as the executor runs it (controller/playbook/exec-module.ts): args checked → a check
   *  runs, or read → plan → apply unless check mode or an empty plan. A failed task throws its message. */
  async run<A>(
    m: Module<A, any, any>,
    rawArgs: Record<string, unknown>,
    opts: { check?: boolean; group?: string; host?: string } = {},
  ): Promise<TaskRun> {
    const group = opts.group ?? 'local';
    const host = opts.host ?? this.inv.select(group)[0]!;
    const check = !!opts.check;
    const out = await runTask(m as AnyModule, this.ctx(host, check, group), rawArgs);
    for (const message of out.warnings) this.events.push({ kind: 'warning', data: { message } });
    if (out.status === 'failed' || out.status === 'unreachable') throw new Error(out.msg ?? `${m.name} failed`);
    const { changed: _c, failed: _f, check_mode: _m, ...data } = out.registered;
    // Changes as the operator sees them (--diff, the journal): without the module's op.
    const changes = out.changes.map(({ op: _op, ...shown }) => shown);
    return { status: out.status === 'changed' ? 'changed' : 'ok', changes, data, ...(out.msg ? { msg: out.msg } : {}) };
  }
  es(group: string): EsApi {
    return esForVars(this.inv.hostVars(this.inv.select(group)[0]!));
  }
}

/** Starts a lab with 2 nodes per cluster, waits for green on both; agents over SSH; returns a teardown. */
export async function startLab(
  prefix: string,
  extraArgs: string[] = [],
): Promise<{ h: Harness; labDir: string; stop(): Promise<void> }> {
  const labDir = mkdtempSync(join(tmpdir(), `ck-${prefix}-`));
  const stateDir = mkdtempSync(join(tmpdir(), `ck-${prefix}-state-`));
  let transport: Transport | undefined;
  let bundle: { file: string; cleanup(): void } | undefined;
  const stop = async () => {
    await transport?.closeAll();
    bundle?.cleanup();
    await closeAllClients();
    if (existsSync(join(labDir, 'lab.json'))) await labCommand(['down', '--dir', labDir]);
    rmSync(labDir, { recursive: true, force: true });
    rmSync(stateDir, { recursive: true, force: true });
  };
  try {
    const rc = await labCommand(['up', '--dir', labDir, '--nodes', '2', ...extraArgs]);
    if (rc !== 0) throw new Error(`lab up failed (${rc})`);
    bundle = await buildAgentBundle();
    const t = new Transport({
      agentBundle: bundle.file,
      sshConfigFile: join(labDir, 'ssh_config'),
      useSshAgent: false,
      log: () => {},
    });
    transport = t;
    const inv = inventoryView(loadInventory(join(labDir, 'inventory.yml')));
    const h = new Harness(inv, stateDir, (host) => t.agent(hostSpecFromVars(host, inv.hostVars(host))));
    // Replicas recover shortly after start: the modules are tested on green clusters, as preflight requires.
    for (const g of ['local', 'remote']) {
      await h.es(g).request({
        method: 'GET',
        path: '/_cluster/health',
        query: { wait_for_status: 'green', timeout: '60s' },
        timeoutMs: 70_000,
      });
    }
    return { h, labDir, stop };
  } catch (e) {
    await stop();
    throw e;
  }
}
