// All task modules by name. Core host modules live in ./core, Elasticsearch modules in ./es.
import type { Module } from './contract.js';
import { coreModules } from './core/index.js';
import { esModules } from './es/index.js';

// Modules are heterogeneous in their Args/Current types; the executor only sees the common shape.
// biome-ignore lint/suspicious/noExplicitAny: a registry holds modules of every argument and state type
export type AnyModule = Module<any, any>;

export const modules: ReadonlyMap<string, AnyModule> = new Map(
  [...coreModules, ...esModules].map((m) => [m.name, m] as const),
);

export function moduleNames(): string[] {
  return [...modules.keys()].sort();
}
