// controller/transport: SSH connections, agent bootstrap and RPC, become.
export {
  Transport,
  AgentStartError,
  MAX_CHANNELS_PER_CONNECTION,
  type TransportOptions,
  type ExecOptions,
  type ExecResult,
  type HostTiming,
  formatTiming,
} from './transport.js';
export { hostSpecFromVars, type HostSpec } from './host-spec.js';
export { AgentRpcClient, AgentOpFailed, AgentGone } from './rpc.js';
export { fingerprint, verifyHostKey } from './known-hosts.js';
