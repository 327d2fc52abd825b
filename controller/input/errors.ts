// A problem in user input (inventory, playbook, vars file, expression, template) that we can point at.
// The CLI prints `toString()` and exits 1 before any host is contacted.
export class ConfigError extends Error {
  constructor(
    public readonly file: string,
    public readonly line: number,
    message: string,
  ) {
    super(message);
    this.name = 'ConfigError';
  }
  override toString(): string {
    return this.line > 0 ? `${this.file}:${this.line}: ${this.message}` : `${this.file}: ${this.message}`;
  }
}
