// The lab's Ansible YAML inventory, ssh_config and known_hosts: the same variable names playbooks use for real
// clusters (docs/ARCHITECTURE.md "Inventory variables").
import { dump } from 'js-yaml';
import { userInfo } from 'node:os';
import { join } from 'node:path';
import type { LabFile } from './layout.js';

export function inventoryYaml(lab: LabFile): string {
  const user = userInfo().username;
  const children: Record<string, unknown> = {};
  for (const c of lab.clusters) {
    const hosts: Record<string, unknown> = {};
    for (const n of c.nodes) {
      hosts[n.name] = {
        ansible_host: n.address,
        ansible_port: n.ssh.port,
        ansible_user: user,
        ansible_ssh_private_key_file: lab.clientKey,
        crosskey_known_hosts: lab.knownHosts,
        es_node_url: `https://${n.address}:${n.httpPort}`,
        es_home: n.home,
        es_config: n.configDir,
        es_service_command: [join(n.home, 'bin', 'elasticsearch-service')],
        ...certPasswords(n.certPasswordFiles),
      };
    }
    children[c.name] = {
      vars: {
        es_url: c.url,
        es_user: c.user,
        es_password_file: c.passwordFile,
        es_ca_cert: lab.caCert,
        es_version: lab.esVersion,
      },
      hosts,
    };
  }
  const header = `# crosskey lab inventory (simulated Elasticsearch ${lab.esVersion}; created ${lab.createdAt})\n`;
  return header + dump({ all: { children } }, { lineWidth: 200 });
}

/**
 * `es_cert_passwords` for a node's PKCS#12 files (keyed by file name, as controller/inspect/certfiles.ts
 * `passwordFor` accepts): each a `secret_file` template naming its 0600 file, so the inventory holds no password.
 */
function certPasswords(files: Record<string, string> | undefined): Record<string, unknown> {
  if (!files || !Object.keys(files).length) return {};
  const map: Record<string, string> = {};
  for (const [file, path] of Object.entries(files)) map[file] = `{{ secret_file "${path}" }}`;
  return { es_cert_passwords: map };
}

export function sshConfig(lab: LabFile): string {
  const user = userInfo().username;
  return lab.clusters
    .flatMap((c) => c.nodes)
    .map((n) =>
      [
        `Host ${n.name}`,
        `  HostName ${n.address}`,
        `  Port ${n.ssh.port}`,
        `  User ${user}`,
        `  IdentityFile ${lab.clientKey}`,
        `  IdentitiesOnly yes`,
        `  UserKnownHostsFile ${lab.knownHosts}`,
        `  StrictHostKeyChecking yes`,
        '',
      ].join('\n'),
    )
    .join('\n');
}

export function knownHosts(lab: LabFile): string {
  return (
    lab.clusters
      .flatMap((c) => c.nodes)
      .map((n) => n.ssh.knownHostsLine)
      .join('\n') + '\n'
  );
}
