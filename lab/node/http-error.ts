// Errors in Elasticsearch's REST envelope (`{error: {root_cause, type, reason, …}, status}`): thrown by route
// handlers and by the pure models (security, tasks, search) alike, rendered by the HTTP layer.

/** An error in ES's envelope; throw it from a handler. */
export class EsHttpError extends Error {
  constructor(
    readonly status: number,
    readonly type: string,
    readonly reason: string,
    readonly extra: Record<string, unknown> = {},
    readonly headers: Record<string, string | string[]> = {},
    readonly causedBy?: { type: string; reason: string },
  ) {
    super(reason);
  }
  toBody(): Record<string, unknown> {
    const cause = { type: this.type, reason: this.reason, ...this.extra };
    return {
      error: { root_cause: [cause], ...cause, ...(this.causedBy ? { caused_by: this.causedBy } : {}) },
      status: this.status,
    };
  }
}

export function esError(
  status: number,
  type: string,
  reason: string,
  extra: Record<string, unknown> = {},
  headers: Record<string, string | string[]> = {},
): EsHttpError {
  return new EsHttpError(status, type, reason, extra, headers);
}

export const illegalArgument = (reason: string) => esError(400, 'illegal_argument_exception', reason);
