// A host the transport cannot reach (connection refused, host key, authentication, agent start): the executor
// counts it as unreachable (exit 4), not failed.
export class UnreachableError extends Error {
  constructor(
    public host: string,
    message: string,
  ) {
    super(message);
    this.name = 'UnreachableError';
  }
}
