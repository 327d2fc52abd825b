// The only types shared by the controller and the agent.
// Wire format: one JSON object per line on the agent's stdin (requests) and stdout (responses).
//   → {"id":1,"op":"file.put","args":{…}}
//   ← {"id":1,"ok":true,"result":{…}}   or   {"id":1,"ok":false,"error":{"code":"ENOENT","message":"…"}}
// Secrets travel only inside request args (stdin of the ssh channel), never in argv.
// Every operation that can change the host takes `check` (report what would change, change nothing)
// and answers `changed`.

export const PROTOCOL_VERSION = 1;

export interface StatResult {
  exists: boolean;
  isDir?: boolean;
  size?: number;
  mode?: string; // octal string, e.g. "0640"
  uid?: number;
  gid?: number;
  owner?: string;
  group?: string;
  mtimeMs?: number;
  sha256?: string; // when checksum was asked and it is a regular file
}

/**
 * Ops that make a backup (`<path>.<timestamp>.crosskey~`) prune the older backups of the same file right after:
 * the newest `keepBackups` are kept (the new one included; default 3, from the playbook variable
 * `crosskey_keep_backups`), and never one listed in `protectBackups` (still needed to roll back a pending restart).
 */
export type BackupArgs = {
  keepBackups?: number;
  protectBackups?: string[];
};
/** Mode of a file the op creates when no `mode` is given (e.g. "0600" for secret content); default "0644".
 *  An existing file keeps its mode. */
export type CreateModeArg = {
  createMode?: string;
};

export interface Ops {
  hello: {
    args: Record<string, never>;
    /** execPath: the node running the agent. uptimeMs: the agent process's age when it answered (node start + module load, for the first hello). */
    result: { protocol: number; agentHash: string; pid: number; node: string; execPath?: string; uptimeMs?: number };
  };
  facts: {
    args: { paths?: Record<string, string> };
    result: {
      hostname: string;
      os: string;
      platform: string;
      arch: string;
      kernel: string;
      user: string;
      uid: number;
      node: string;
      listening: Array<{ address: string; port: number }>;
      paths: Record<string, StatResult>;
    };
  };
  'file.stat': { args: { path: string; checksum?: boolean }; result: StatResult };
  'file.read': { args: { path: string; encoding?: 'utf8' | 'base64' }; result: StatResult & { content?: string } };
  'file.put': {
    args: {
      path: string;
      content: string;
      encoding?: 'utf8' | 'base64';
      mode?: string;
      owner?: string;
      group?: string;
      backup?: boolean;
      check?: boolean;
    } & BackupArgs &
      CreateModeArg;
    // before: previous content (utf8 only, for diffs, omitted when binary or > 256 KiB)
    result: {
      changed: boolean;
      before?: string;
      beforeSha256?: string;
      afterSha256: string;
      backupPath?: string;
      created: boolean;
    };
  };
  'file.restore': { args: { path: string; backupPath: string }; result: { changed: boolean } };
  'file.remove': {
    args: { path: string; backup?: boolean; check?: boolean } & BackupArgs;
    result: { changed: boolean; backupPath?: string };
  };
  // A copy of the file as it is now (before a tool that is not ours changes it, e.g. elasticsearch-keystore).
  'file.backup': { args: { path: string } & BackupArgs; result: { exists: boolean; backupPath?: string } };
  'block.apply': {
    args: {
      path: string;
      marker: string; // name of the block: lines "# BEGIN crosskey <marker>" / "# END crosskey <marker>"
      content: string | null; // null removes the block
      validate?: 'yaml' | 'none';
      mode?: string;
      owner?: string;
      group?: string;
      backup?: boolean;
      check?: boolean;
    } & BackupArgs &
      CreateModeArg;
    result: { changed: boolean; before: string; after: string; backupPath?: string };
  };
  command: {
    args: {
      argv?: string[];
      shell?: string; // exactly one of them; shell runs under /bin/sh -c
      env?: Record<string, string>;
      stdin?: string;
      cwd?: string;
      timeoutMs?: number;
      runAsOwnerOf?: string; // run with the uid/gid of this file's owner (e.g. the keystore)
      creates?: string; // skip when this path exists
    };
    result: {
      rc: number | null;
      stdout: string;
      stderr: string;
      timedOut: boolean;
      durationMs: number;
      skipped?: boolean;
    };
  };
  service: {
    args: { name: string; action: 'start' | 'stop' | 'restart' | 'status'; command?: string[]; timeoutMs?: number };
    // command: argv prefix, run as [...command, action] (e.g. the lab's ["/…/bin/elasticsearch-service"]);
    // without it: ["systemctl", action, name]. `active` comes from the status action's exit code 0.
    result: { rc: number | null; active: boolean; stdout: string; stderr: string };
  };
  'keystore.list': {
    args: { path: string; password?: string };
    result: { exists: boolean; version?: number; hasPassword?: boolean; entries?: string[]; error?: string };
  };
  'port.check': { args: { host: string; port: number; timeoutMs?: number }; result: { open: boolean } };
  'jsonlog.scan': {
    args: { path: string; field: string; prefix: string; maxValues?: number };
    result: {
      exists: boolean;
      size?: number;
      lines: number;
      unparsed: number;
      /** Per value of `field` that starts with `prefix`: how many lines, first and last @timestamp. */
      matches: Record<string, { count: number; first?: string; last?: string }>;
      truncated?: boolean;
    };
  };
}

export type OpName = keyof Ops;
export type OpArgs<O extends OpName> = Ops[O]['args'];
export type OpResult<O extends OpName> = Ops[O]['result'];

export interface AgentRequest<O extends OpName = OpName> {
  id: number;
  op: O;
  args: OpArgs<O>;
}
export type AgentResponse =
  | { id: number; ok: true; result: unknown }
  | { id: number; ok: false; error: { code: string; message: string } };

/** What controller code talks to. Implemented by controller/transport over one ssh exec channel. */
export interface AgentClient {
  readonly host: string;
  call<O extends OpName>(op: O, args: OpArgs<O>): Promise<OpResult<O>>;
}
