import type { AnyModule } from '../registry.js';
export const coreModules: AnyModule[] = [];
