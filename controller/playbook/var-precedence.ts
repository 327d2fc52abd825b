// Variable precedence, in one place (Ansible's order, lowest first; docs/variables.md): inventory vars (groups,
// then the host; merged by inventory/index.ts) < play vars and vars_files < gathered facts < block vars < task
// vars < registered results < extra vars (-e). Magic variables (inventory_hostname, hostvars, …) are set on top
// by the executor: they are not variables a playbook can override.

export interface VarLayers {
  inventory: Record<string, unknown>;
  play: Record<string, unknown>;
  facts?: Record<string, unknown>;
  block?: Record<string, unknown>;
  task?: Record<string, unknown>;
  registered?: Record<string, unknown>;
  extra?: Record<string, unknown>;
}

export function mergeVars(l: VarLayers): Record<string, unknown> {
  return { ...l.inventory, ...l.play, ...l.facts, ...l.block, ...l.task, ...l.registered, ...l.extra };
}
