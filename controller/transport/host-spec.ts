// How to reach one inventory host, from its Ansible-style variables.
export interface HostSpec {
  /** inventory_hostname (used in every message). */
  name: string;
  /** Address or name to connect to (ansible_host; default: name). ~/.ssh/config may map it further. */
  address: string;
  port?: number;
  user?: string;
  privateKeyFile?: string;
  become?: boolean;
  becomeUser?: string;
  agentRuntime?: 'auto' | 'push';
  /** Extra known_hosts file for this host (crosskey_known_hosts); also where accepted new keys are written. */
  knownHostsFile?: string;
}

function truthy(v: unknown): boolean {
  return v === true || (typeof v === 'string' && ['yes', 'true', 'on', '1', 'y'].includes(v.toLowerCase())) || v === 1;
}

/** Maps ansible_host/port/user (and their ansible_ssh_* aliases), ansible_ssh_private_key_file, ansible_become(_user|_method),
 * agent_runtime, crosskey_known_hosts. Bad values throw an error naming the host and the variable. */
export function hostSpecFromVars(name: string, vars: Record<string, unknown>): HostSpec {
  const bad = (key: string, want: string) =>
    new Error(`host ${name}: variable ${key} must be ${want}, got ${JSON.stringify(vars[key])}`);
  const str = (key: string): string | undefined => {
    const v = vars[key];
    if (v === undefined || v === null || v === '') return undefined;
    if (typeof v !== 'string' && typeof v !== 'number') throw bad(key, 'a string');
    return String(v);
  };
  const spec: HostSpec = { name, address: str('ansible_host') ?? str('ansible_ssh_host') ?? name };
  const port = vars.ansible_port ?? vars.ansible_ssh_port;
  if (port !== undefined && port !== null && port !== '') {
    const n = Number(port);
    if (!Number.isInteger(n) || n < 1 || n > 65535) throw bad('ansible_port', 'a port number 1-65535');
    spec.port = n;
  }
  const user = str('ansible_user') ?? str('ansible_ssh_user');
  if (user) spec.user = user;
  const key = str('ansible_ssh_private_key_file') ?? str('ansible_private_key_file');
  if (key) spec.privateKeyFile = key;
  if (vars.ansible_become !== undefined) spec.become = truthy(vars.ansible_become);
  const method = str('ansible_become_method');
  if (method !== undefined && method !== 'sudo')
    throw bad('ansible_become_method', '"sudo" (the only become method crosskey supports, always with sudo -n)');
  const becomeUser = str('ansible_become_user');
  if (becomeUser) spec.becomeUser = becomeUser;
  const runtime = str('agent_runtime');
  if (runtime !== undefined) {
    if (runtime !== 'auto' && runtime !== 'push') throw bad('agent_runtime', '"auto" or "push"');
    spec.agentRuntime = runtime;
  }
  const kh = str('crosskey_known_hosts');
  if (kh) spec.knownHostsFile = kh;
  return spec;
}
