// Errors the agent reports with a stable code (the controller shows code + message).
export class AgentOpError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'AgentOpError';
  }
}

export function invalid(message: string): AgentOpError {
  return new AgentOpError('EINVAL', message);
}

export function requireString(args: Record<string, unknown>, key: string, op: string): string {
  const v = args[key];
  if (typeof v !== 'string' || v === '') throw invalid(`${op}: argument "${key}" must be a non-empty string`);
  return v;
}

export function requireAbsolute(path: string, op: string): string {
  if (!path.startsWith('/')) throw invalid(`${op}: path must be absolute, got ${JSON.stringify(path)}`);
  return path;
}
