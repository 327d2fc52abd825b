// The migration's variables for a lab, written next to its inventory as DIR/group_vars/all.yml — the same file an
// operator writes for real clusters (inventory/production/group_vars/all.yml documents every variable).
// The certificate password lives in a 0600 file and reaches playbooks as a Secret through `secret_file`.
// The `crosskey_*` variables describe the first alias of the layout (today's `my_remote` by default);
// `crosskey_connections` lists every alias of the lab (`lab up --connect`).
import { randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { dump } from 'js-yaml';
import { labConnections, type LabFile } from '../layout.js';

export function writeMigrationVars(
  lab: LabFile,
  clusters: Array<{ name: string; nodes: Array<{ address: string }> }>,
): string {
  const credentials = join(lab.dir, 'credentials');
  mkdirSync(credentials, { recursive: true, mode: 0o700 });
  const certPasswordFile = join(credentials, 'rcs-cert-password');
  if (!existsSync(certPasswordFile))
    writeFileSync(certPasswordFile, randomBytes(18).toString('base64url') + '\n', { mode: 0o600 });
  const connections = labConnections(lab);
  const first = connections[0]!;
  const remote = clusters.find((c) => c.name === first.remote);
  const vars = {
    crosskey_alias: first.alias,
    crosskey_mode: 'sniff',
    crosskey_rcs_port: 9443,
    crosskey_rcs_bind_host: '{{ ansible_host }}',
    crosskey_rcs_publish_host: '{{ ansible_host }}',
    crosskey_ca_dir: join(lab.dir, 'rcs-ca'),
    crosskey_rcs_cert_file: 'cross-cluster.p12',
    crosskey_rcs_cert_password: `{{ secret_file "${certPasswordFile}" }}`,
    crosskey_rcs_cert_dns: [],
    crosskey_rcs_cert_ip: ['{{ ansible_host }}'],
    crosskey_remote_ca_file: 'remote-cluster-ca.crt',
    crosskey_api_key_name: `crosskey-${first.alias}`,
    crosskey_api_key_access: {
      search: [{ names: ['logs-*'] }],
      replication: [{ names: ['leader-*', 'archive-*'] }],
    },
    crosskey_roles: [],
    crosskey_strong_identity: false,
    crosskey_verify_search: 'logs-*',
    crosskey_signing_name: 'crosskey-signing.local',
    crosskey_signing_ca_file: 'crosskey-signing-ca.crt',
    crosskey_transport_allow: (remote?.nodes ?? []).map((n) => n.address),
    crosskey_connections: connections.map((c) => ({ local: c.local, remote: c.remote, alias: c.alias })),
  };
  const dir = join(lab.dir, 'group_vars');
  mkdirSync(dir, { recursive: true });
  const file = join(dir, 'all.yml');
  writeFileSync(
    file,
    `# Migration variables for this lab (see inventory/production/group_vars/all.yml for each one).\n${dump(vars, { lineWidth: 200 })}`,
  );
  return file;
}
