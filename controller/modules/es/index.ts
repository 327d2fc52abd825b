import type { AnyModule } from '../registry.js';
export const esModules: AnyModule[] = [];
