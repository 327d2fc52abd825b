// Request/response correlation over one long-lived TLS connection between clusters, in both directions, on the
// lab's transport framing (lab/node/transport.ts: one JSON object per line):
//   request  {"id":1,"type":"cluster:internal/remote_cluster/handshake","body":{…}}
//   response {"id":1,"ok":true,"body":{…}}  |  {"id":1,"ok":false,"error":{"type":"…","reason":"…"}}
import type { TLSSocket } from 'node:tls';
import { onFrames, sendFrame, type TransportFrame } from '../transport.js';

export interface WireError {
  type: string;
  reason: string;
  status?: number;
}
export class RemoteError extends Error {
  constructor(
    readonly type: string,
    readonly reason: string,
    readonly status = 500,
  ) {
    super(reason);
  }
}

/** HTTP status ES gives an exception type (frames from the transport server carry no status). */
export function statusOf(e: { type?: string; reason?: string } | undefined): number {
  switch (e?.type) {
    case 'security_exception':
      return /^(unable to authenticate|missing authentication|Cross cluster requests)/.test(e.reason ?? '') ? 401 : 403;
    case 'index_not_found_exception':
    case 'no_such_remote_cluster_exception':
    case 'resource_not_found_exception':
      return 404;
    case 'illegal_argument_exception':
    case 'action_not_found_transport_exception':
      return 400;
    default:
      return 500;
  }
}

type Pending = { resolve(v: unknown): void; reject(e: Error): void; timer: NodeJS.Timeout };
export type RequestHandler = (type: string, body: unknown) => Promise<unknown>;

/** Both ends of a socket: send requests and answer the peer's requests. */
export class FrameChannel {
  private nextId = 1;
  private pending = new Map<number, Pending>();
  private handler?: RequestHandler;
  closed = false;
  private closeListeners: Array<(err?: Error) => void> = [];

  constructor(readonly socket: TLSSocket) {
    onFrames(socket, (frame) => this.onFrame(frame));
    socket.on('error', (e) => this.shutdown(e));
    socket.on('close', () => this.shutdown());
  }

  onRequest(h: RequestHandler): void {
    this.handler = h;
  }
  onClose(fn: (err?: Error) => void): void {
    if (this.closed) fn();
    else this.closeListeners.push(fn);
  }

  request(type: string, body: unknown, timeoutMs = 10_000): Promise<unknown> {
    if (this.closed) return Promise.reject(new RemoteError('node_disconnected_exception', 'connection closed'));
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(
          new RemoteError(
            'receive_timeout_transport_exception',
            `[${type}] request_id [${id}] timed out after [${timeoutMs}ms]`,
          ),
        );
      }, timeoutMs);
      this.pending.set(id, { resolve, reject, timer });
      sendFrame(this.socket, { id, type, body });
    });
  }

  close(): void {
    this.socket.destroy();
    this.shutdown();
  }

  private onFrame(msg: TransportFrame & { error?: WireError }) {
    if (msg.type !== undefined) {
      void this.answer(msg.id, msg.type, msg.body);
      return;
    }
    const p = this.pending.get(msg.id);
    if (!p) return;
    this.pending.delete(msg.id);
    clearTimeout(p.timer);
    if (msg.ok) p.resolve(msg.body);
    else
      p.reject(
        new RemoteError(
          msg.error?.type ?? 'exception',
          msg.error?.reason ?? 'unknown error',
          msg.error?.status ?? statusOf(msg.error),
        ),
      );
  }

  private async answer(id: number, type: string, body: unknown) {
    let out: unknown;
    try {
      if (!this.handler)
        throw new RemoteError('action_not_found_transport_exception', `No handler for action [${type}]`);
      out = { id, ok: true, body: await this.handler(type, body) };
    } catch (e) {
      const err =
        e instanceof RemoteError
          ? { type: e.type, reason: e.reason, status: e.status }
          : { type: 'exception', reason: (e as Error).message };
      out = { id, ok: false, error: err };
    }
    if (!this.closed) sendFrame(this.socket, out as TransportFrame);
  }

  private shutdown(err?: Error) {
    if (this.closed) return;
    this.closed = true;
    for (const p of this.pending.values()) {
      clearTimeout(p.timer);
      p.reject(new RemoteError('node_disconnected_exception', err?.message ?? 'connection closed'));
    }
    this.pending.clear();
    for (const l of this.closeListeners.splice(0)) l(err);
  }
}
