// The op table and request handling of the agent (one JSON request in, one JSON response out).
import { PROTOCOL_VERSION, type AgentResponse, type OpName } from './protocol.js';
import { AgentOpError } from './ops/errors.js';
import { fileRead, filePut, fileRemove, fileBackup, fileRestore, fileStat } from './ops/files.js';
import { blockApply } from './ops/block.js';
import { command, service } from './ops/command.js';
import { facts } from './ops/facts.js';
import { keystoreList } from './ops/keystore.js';
import { portCheck } from './ops/net.js';
import { jsonlogScan } from './ops/jsonlog.js';

export interface AgentIdentity {
  agentHash: string;
}

// biome-ignore lint/suspicious/noExplicitAny: each op's argument type is checked by its own handler (agent/protocol.ts)
type Handler = (args: any) => Promise<unknown> | unknown;

export function opTable(id: AgentIdentity): Record<OpName, Handler> {
  return {
    hello: () => ({
      protocol: PROTOCOL_VERSION,
      agentHash: id.agentHash,
      pid: process.pid,
      node: process.version,
      execPath: process.execPath,
      uptimeMs: Math.round(process.uptime() * 1000),
    }),
    facts,
    'file.stat': fileStat,
    'file.read': fileRead,
    'file.put': filePut,
    'file.restore': fileRestore,
    'file.remove': fileRemove,
    'file.backup': fileBackup,
    'block.apply': blockApply,
    command,
    service,
    'keystore.list': keystoreList,
    'port.check': portCheck,
    'jsonlog.scan': jsonlogScan,
  };
}

/** Parses one request line and runs it; never throws (errors become error responses). */
export async function handleLine(line: string, ops: Record<string, Handler>): Promise<AgentResponse> {
  let req: { id?: unknown; op?: unknown; args?: unknown };
  try {
    req = JSON.parse(line);
  } catch {
    return { id: -1, ok: false, error: { code: 'EPROTO', message: 'request is not valid JSON' } };
  }
  const id = typeof req.id === 'number' ? req.id : -1;
  const op = typeof req.op === 'string' ? req.op : '';
  if (!Object.hasOwn(ops, op))
    return { id, ok: false, error: { code: 'EUNKNOWNOP', message: `unknown op ${JSON.stringify(op)}` } };
  const args = req.args && typeof req.args === 'object' ? req.args : {};
  try {
    return { id, ok: true, result: await ops[op](args) };
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    const code = err instanceof AgentOpError ? err.code : typeof e.code === 'string' ? e.code : 'EAGENT';
    const message = e.message ?? String(err);
    return { id, ok: false, error: { code, message: message.startsWith(op) ? message : `${op}: ${message}` } };
  }
}
