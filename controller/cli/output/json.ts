// --json: one JSON event per line on stdout, redacted (Secrets masked, registered secret values scrubbed).
import type { RunEvent } from '../../playbook/exec-types.js';
import { secrets as defaultSecrets, type SecretRegistry } from '../../secrets.js';

export class JsonRenderer {
  constructor(
    private out: NodeJS.WritableStream,
    private registry: SecretRegistry = defaultSecrets,
  ) {}
  handle = (ev: RunEvent): void => {
    this.out.write(
      this.registry.redact(JSON.stringify(this.registry.redactValue({ ts: new Date().toISOString(), ...ev }))) + '\n',
    );
  };
}
