// All task modules by name. Core host modules live in ./core, Elasticsearch modules in ./es.
import type { AnyModule } from './contract.js';
import { coreModules } from './core/index.js';
import { esModules } from './es/index.js';

export type { AnyModule };

export const modules: ReadonlyMap<string, AnyModule> = new Map(
  [...coreModules, ...esModules].map((m) => [m.name, m] as const),
);

export function moduleNames(): string[] {
  return [...modules.keys()].sort();
}
