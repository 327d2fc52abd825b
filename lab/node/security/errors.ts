// An error that the REST layer turns into ES's error envelope {error:{root_cause,type,reason},status}.
export class LabEsError extends Error {
  constructor(readonly status: number, readonly type: string, readonly reason: string, readonly extra: Record<string, unknown> = {}) {
    super(reason);
  }
  toBody(): { error: Record<string, unknown>; status: number } {
    const cause = { type: this.type, reason: this.reason, ...this.extra };
    return { error: { root_cause: [cause], ...cause }, status: this.status };
  }
}
