// Wires the real parts together for `crosskey run`: vault, inventory, playbook (validated), extra vars,
// the language (templates + expressions) and the SSH transport. Everything here runs before any host is
// contacted, so every input error surfaces as a ConfigError/UsageError with exit 1.
import { existsSync } from 'node:fs';
import { dirname } from 'node:path';
import type { Playbook } from '../playbook/types.js';
import type { AgentProvider, InventoryView, Lang } from '../playbook/exec-types.js';
import { loadInventory, type Inventory } from '../inventory/index.js';
import { loadPlaybook } from '../playbook/load.js';
import { parseExtraVars } from '../playbook/vars.js';
import { Vault } from '../input/vault.js';
import { makeLang } from '../playbook/exec-lang.js';
import { inventoryView } from '../playbook/exec-inventory.js';
import { modules } from '../modules/registry.js';
import type { AnyModule } from '../modules/registry.js';
import { UsageError, type CliIO } from './command.js';
import { secretsByName } from '../secrets.js';
import { createAgentProvider } from './agents.js';
import { checkClusterConfig, checkTaskVariables } from './config-check.js';

export interface RunInputs {
  playbook: Playbook;
  inventory: Inventory;
  inventoryView: InventoryView;
  extraVars: Record<string, unknown>;
  lang: Lang;
  modules: ReadonlyMap<string, AnyModule>;
  vault: Vault | undefined;
}

export interface InputFlags {
  playbook: string;
  inventory: string;
  extraVars: string[];
  vaultPasswordFile?: string;
}

export function loadRunInputs(flags: InputFlags, env: NodeJS.ProcessEnv, cwd: string): RunInputs {
  if (!existsSync(flags.playbook)) throw new UsageError(`playbook not found: ${flags.playbook}`);
  const vault = Vault.fromOptions(flags.vaultPasswordFile, env);
  const playbook = loadPlaybook(flags.playbook, { modules, ...(vault ? { vault } : {}) });
  const inventory = loadInventory(flags.inventory, {
    playbookDir: dirname(flags.playbook),
    ...(vault ? { vault } : {}),
  });
  // Every play's host pattern is resolved and every host's vars and connection vars (ansible_port, …) are
  // checked now: a bad pattern or a broken group_vars/host_vars file fails here, not mid-run.
  for (const play of playbook.plays) inventory.select(play.hosts);
  for (const h of inventory.hosts()) {
    inventory.hostVars(h);
    inventory.connection(h);
  }
  const extraVars = parseExtraVars(flags.extraVars, { ...(vault ? { vault } : {}), cwd });
  // A secret-named -e value (es_password=…) becomes a Secret: masked in output, and its text is redacted
  // from the argv and options the journal records for resume.
  const lang = makeLang(vault);
  const maskedExtraVars = secretsByName(extraVars);
  checkClusterConfig({ plays: playbook.plays, inventory, extraVars: maskedExtraVars, lang, modules, env });
  checkTaskVariables({ plays: playbook.plays, inventory, extraVars: maskedExtraVars, lang, modules, env });
  return {
    playbook,
    inventory,
    inventoryView: inventoryView(inventory),
    extraVars: maskedExtraVars,
    lang,
    modules,
    vault,
  };
}

export function makeAgentProvider(flags: { acceptNewHostkeys: boolean }, io: CliIO): AgentProvider {
  return createAgentProvider({
    acceptNewHostKeys: flags.acceptNewHostkeys,
    warn: (m) => io.stderr.write(`[WARNING]: ${m}\n`),
  });
}
