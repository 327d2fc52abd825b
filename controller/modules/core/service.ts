// `service`: start/stop/restart a service through the agent (`systemctl` by default, or an argv prefix in
// `command`, e.g. the lab's elasticsearch-service). started/stopped act only when needed; restarted always acts.
import type { Change, Resource } from '../contract.js';
import { ModuleError } from '../contract.js';

export interface ServiceArgs {
  name: string;
  state: 'started' | 'stopped' | 'restarted';
  command?: unknown[];
}
interface ServiceCurrent {
  active: boolean;
}

type ServiceAction = 'start' | 'stop' | 'restart';

const change = (name: string, action: ServiceAction, before: string): Change<ServiceAction> => ({
  target: `service ${name}`,
  action: action === 'restart' ? 'restart' : 'update',
  before,
  after: action === 'stop' ? 'inactive' : 'active',
  op: action,
});

export const serviceModule: Resource<ServiceArgs, ServiceCurrent, ServiceAction> = {
  name: 'service',
  description: 'Start, stop or restart a service (systemctl or a given command).',
  runsOn: 'host',
  changeNoun: ['service action', 'service actions'],
  schema: {
    name: { type: 'string', required: true },
    state: { type: 'string', required: true, choices: ['started', 'stopped', 'restarted'] },
    command: {
      type: 'list',
      elements: 'string',
      description: 'argv prefix; the action is appended (default: systemctl <action> <name>)',
    },
  },
  async read(ctx, args) {
    const r = await (await ctx.agent()).call('service', { name: args.name, action: 'status', ...cmd(args) });
    return { active: r.active };
  },
  diff(cur, args) {
    if (args.state === 'restarted') return [change(args.name, 'restart', cur.active ? 'active' : 'inactive')];
    if (args.state === 'started' && !cur.active) return [change(args.name, 'start', 'inactive')];
    if (args.state === 'stopped' && cur.active) return [change(args.name, 'stop', 'active')];
    return [];
  },
  async apply(ctx, args, plan) {
    const agent = await ctx.agent();
    for (const c of plan) {
      const action = c.op!;
      const r = await agent.call('service', { name: args.name, action, ...cmd(args) });
      if (r.rc !== 0)
        throw new ModuleError(
          `service ${args.name} ${action} failed (rc ${r.rc}): ${(r.stderr || r.stdout).trim().slice(0, 500)}`,
          { rc: r.rc },
        );
    }
    return { applied: plan, data: { name: args.name, state: args.state } };
  },
  report(cur, args) {
    return { name: args.name, state: cur.active ? 'started' : 'stopped' };
  },
};

function cmd(args: ServiceArgs): { command?: string[] } {
  return args.command ? { command: args.command.map(String) } : {};
}
