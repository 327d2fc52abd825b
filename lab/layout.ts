// DIR/lab.json: what `lab up` created and what `lab status|down|fault` act on (see docs/ARCHITECTURE.md).
import { existsSync, readFileSync, writeFileSync, renameSync } from 'node:fs';
import { join } from 'node:path';

export interface LabNodeEntry {
  name: string;
  cluster: string;
  address: string;
  home: string;
  configDir: string;
  httpPort: number;
  transportPort: number;
  ssh: { port: number; dir: string; pid?: number; knownHostsLine: string };
  /**
   * The 0600 files (DIR/credentials/) holding the passwords of this node's PKCS#12 files, keyed by file name
   * (`http.p12`, `transport.p12`); the inventory passes them as `es_cert_passwords` so inspect can open them.
   * Absent in labs made before it.
   */
  certPasswordFiles?: Record<string, string>;
}

export interface LabClusterEntry {
  name: string;
  dir: string;
  user: string;
  passwordFile: string;
  url: string;
  nodes: LabNodeEntry[];
}

/** An alias LOCAL → REMOTE (`lab up --connect LOCAL:REMOTE:ALIAS`); every one starts on certificate trust (RCS1). */
export interface LabConnection {
  local: string;
  remote: string;
  alias: string;
}

/** Today's layout: clusters `local` and `remote`, the alias `my_remote` (the name Elastic's docs use). */
export const DEFAULT_CONNECTION: LabConnection = { local: 'local', remote: 'remote', alias: 'my_remote' };

export interface LabFile {
  format: 1;
  dir: string;
  net: number;
  esVersion: string;
  license: 'trial' | 'basic';
  ssh: 'openssh' | 'embedded';
  staticRemote: boolean;
  createdAt: string;
  nodeScript: string;
  caCert: string;
  clientKey: string;
  knownHosts: string;
  inventory: string;
  sshDaemonPid?: number;
  clusters: LabClusterEntry[];
  /** The aliases of the layout, the first one carrying the tasks; absent in labs made before `--connect`. */
  connections?: LabConnection[];
  /** `lab up --yml` settings per cluster, as written into every node's elasticsearch.yml. */
  yml?: Record<string, Record<string, unknown>>;
}

export function labFilePath(dir: string): string {
  return join(dir, 'lab.json');
}

export function readLabFile(dir: string): LabFile {
  const f = labFilePath(dir);
  if (!existsSync(f)) throw new Error(`no lab in ${dir} (${f} not found); run \`crosskey lab up --dir ${dir}\``);
  return JSON.parse(readFileSync(f, 'utf8')) as LabFile;
}

export function writeLabFile(lab: LabFile): void {
  const f = labFilePath(lab.dir);
  writeFileSync(`${f}.tmp`, JSON.stringify(lab, null, 2) + '\n');
  renameSync(`${f}.tmp`, f);
}

/** The lab's aliases (a lab.json without `connections` has today's single one). */
export function labConnections(lab: Pick<LabFile, 'connections'>): LabConnection[] {
  return lab.connections?.length ? lab.connections : [DEFAULT_CONNECTION];
}

export function allNodes(lab: LabFile): LabNodeEntry[] {
  return lab.clusters.flatMap((c) => c.nodes);
}

export function findNode(lab: LabFile, name: string): LabNodeEntry {
  const n = allNodes(lab).find((x) => x.name === name);
  if (!n)
    throw new Error(
      `no node [${name}] in the lab at ${lab.dir} (nodes: ${allNodes(lab)
        .map((x) => x.name)
        .join(', ')})`,
    );
  return n;
}
