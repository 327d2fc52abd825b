// The simulated transport protocol on 9300 (and the framing the remote cluster server reuses on 9443): TLS sockets carrying
// newline-delimited JSON frames. Request `{"id":1,"type":"internal:transport/handshake","body":{…}}`,
// answer `{"id":1,"ok":true,"body":…}` or `{"id":1,"ok":false,"error":{"type":…,"reason":…}}`.
// Real ES speaks a binary protocol here; what the lab keeps real is the TLS (mutual on transport) and the
// certificates, which is what the RCS1/RCS2 migration changes.
import tls, { type ConnectionOptions, type TLSSocket } from 'node:tls';
import type { PeerInfo, TransportHandler } from './runtime.js';

export interface TransportFrame {
  id: number;
  type?: string;
  body?: unknown;
  ok?: boolean;
  error?: { type: string; reason: string };
}

export class TransportError extends Error {
  constructor(
    readonly type: string,
    reason: string,
  ) {
    super(reason);
  }
}

/** Splits a socket's data into JSON frames. */
export function onFrames(socket: TLSSocket, cb: (frame: TransportFrame) => void): void {
  let buf = '';
  socket.setEncoding('utf8');
  socket.on('data', (chunk: string) => {
    buf += chunk;
    let nl: number;
    while ((nl = buf.indexOf('\n')) >= 0) {
      const line = buf.slice(0, nl);
      buf = buf.slice(nl + 1);
      if (!line.trim()) continue;
      try {
        cb(JSON.parse(line) as TransportFrame);
      } catch {
        socket.destroy();
        return;
      }
    }
    if (buf.length > 16 * 1024 * 1024) socket.destroy();
  });
}

export function sendFrame(socket: TLSSocket, frame: TransportFrame): void {
  if (!socket.destroyed) socket.write(JSON.stringify(frame) + '\n');
}

/** Serves frames on an accepted socket with a handler table. */
export function serveFrames(socket: TLSSocket, handlers: Map<string, TransportHandler>): void {
  const peerCert = socket.getPeerCertificate();
  const peer: PeerInfo = {
    remoteAddress: socket.remoteAddress ?? '',
    remotePort: socket.remotePort ?? 0,
    peerCertificate:
      peerCert && Object.keys(peerCert).length
        ? { subject: { ...peerCert.subject }, issuer: { ...peerCert.issuer }, fingerprint256: peerCert.fingerprint256 }
        : undefined,
  };
  socket.on('error', () => socket.destroy());
  onFrames(socket, (frame) => {
    const handler = frame.type ? handlers.get(frame.type) : undefined;
    if (!handler) {
      sendFrame(socket, {
        id: frame.id,
        ok: false,
        error: { type: 'action_not_found_transport_exception', reason: `No handler for action [${frame.type}]` },
      });
      return;
    }
    Promise.resolve()
      .then(() => handler(frame.body, peer))
      .then(
        (body) => sendFrame(socket, { id: frame.id, ok: true, body }),
        (e: unknown) => {
          const err = e as { type?: string; message?: string };
          sendFrame(socket, {
            id: frame.id,
            ok: false,
            error: { type: err.type ?? 'exception', reason: err.message ?? String(e) },
          });
        },
      );
  });
}

export interface TransportRequestOptions {
  host: string;
  port: number;
  tls: ConnectionOptions;
  type: string;
  body?: unknown;
  timeoutMs?: number;
}

/** One request over a fresh TLS connection (TLS errors reject with Node's error, e.g. ERR_TLS_CERT_ALTNAME_INVALID). */
export function transportRequest<T = unknown>(opts: TransportRequestOptions): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const socket = tls.connect({ host: opts.host, port: opts.port, ...opts.tls });
    const timer = setTimeout(() => {
      socket.destroy();
      reject(
        new TransportError(
          'receive_timeout_transport_exception',
          `[${opts.host}:${opts.port}][${opts.type}] request timed out`,
        ),
      );
    }, opts.timeoutMs ?? 10_000);
    const done = (fn: () => void) => {
      clearTimeout(timer);
      socket.end();
      fn();
    };
    socket.once('error', (e) => done(() => reject(e)));
    socket.once('secureConnect', () => {
      onFrames(socket, (frame) => {
        if (frame.id !== 1) return;
        done(() =>
          frame.ok
            ? resolve(frame.body as T)
            : reject(new TransportError(frame.error?.type ?? 'exception', frame.error?.reason ?? 'transport error')),
        );
      });
      sendFrame(socket, { id: 1, type: opts.type, body: opts.body });
    });
    socket.once('close', () =>
      done(() =>
        reject(
          new TransportError('node_disconnected_exception', `[${opts.host}:${opts.port}][${opts.type}] disconnected`),
        ),
      ),
    );
  });
}
