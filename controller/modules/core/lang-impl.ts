// Placeholder until controller/playbook/{expr,template}.ts land; replaced by re-exports of them.
import { ModuleError } from '../contract.js';
export function evalExpression(expr: string, _vars: Record<string, unknown>): unknown {
  throw new ModuleError(`expression support not available yet: ${expr}`);
}
export function renderTemplateFile(path: string, _vars: Record<string, unknown>): unknown {
  throw new ModuleError(`template support not available yet: ${path}`);
}
