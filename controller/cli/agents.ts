// Where agents come from: the SSH transport (controller/transport) for inventory hosts, and a local agent
// process for `delegate_to: localhost`.
import type { AgentProvider } from '../playbook/exec-types.js';
import { UnreachableError } from '../modules/contract.js';

export interface AgentProviderOptions {
  acceptNewHostKeys: boolean;
  warn: (message: string) => void;
}

// Until controller/transport lands: every host is unreachable, with a message that says why.
export function createAgentProvider(_o: AgentProviderOptions): AgentProvider {
  return {
    agent: async (host) => { throw new UnreachableError(host, `${host}: SSH transport not available in this build`); },
    local: async () => { throw new UnreachableError('localhost', 'local agent not available in this build'); },
    closeAll: async () => {},
  };
}
