// Opening one connection to a remote node with real TLS, verified the way the node's SSL context says:
// RCS1 uses the transport context (this node's transport certificate as client certificate, transport CA),
// RCS2 the remote_cluster_client context (its CAs, else the system trust store; verification `full` by default).
// Failures come back as ES-like diagnostics (DiagnosticTrustManager wording) for the logs and the APIs.
import {
  connect,
  checkServerIdentity,
  rootCertificates,
  type ConnectionOptions,
  type PeerCertificate,
  type TLSSocket,
} from 'node:tls';
import { isIP } from 'node:net';
import type { NodeRuntime } from '../runtime.js';
import { FrameChannel } from './wire.js';
import { TLS_UNTRUSTED_NOTICE } from './fulfil.js';

export type Model = 'rcs1' | 'rcs2';

export interface ConnectFailure {
  kind: 'connect' | 'trust' | 'hostname' | 'tls';
  /** The exception line ES prints (also the `_resolve/cluster` error). */
  reason: string;
  /** Extra WARN line for o.e.c.s.DiagnosticTrustManager (trust failures). */
  diagnostic?: string;
}

export class ConnectError extends Error {
  constructor(readonly failure: ConnectFailure) {
    super(failure.reason);
  }
}

function dn(x: Record<string, unknown> | undefined): string {
  if (!x) return '';
  return Object.entries(x)
    .reverse()
    .map(([k, v]) => `${k}=${Array.isArray(v) ? v.join('+') : v}`)
    .join(', ');
}

function sslContextName(rt: NodeRuntime, model: Model): string {
  if (model === 'rcs1')
    return `xpack.security.transport.ssl (with trust configuration: ${rt.config['xpack.security.transport.ssl.certificate_authorities'] ? `PEM-trust-config{${rt.config['xpack.security.transport.ssl.certificate_authorities']}}` : 'StoreTrustConfig{xpack.security.transport.ssl.truststore}'})`;
  const cas = rt.config['xpack.security.remote_cluster_client.ssl.certificate_authorities'];
  return `xpack.security.remote_cluster_client.ssl (with trust configuration: ${cas ? `PEM-trust-config{${[cas].flat().join(',')}}` : 'JDK-trusted-certs'})`;
}

function trustedIssuerCount(rt: NodeRuntime, model: Model): number {
  const ca = model === 'rcs1' ? rt.tls.transport?.ca : rt.tls.remoteClusterClient.ca;
  if (ca === undefined) return rootCertificates.length;
  const list = Array.isArray(ca) ? ca : [ca];
  return list.map((c) => String(c).split('BEGIN CERTIFICATE').length - 1).reduce((a, b) => a + b, 0);
}

function verificationMode(rt: NodeRuntime, model: Model): string {
  if (model === 'rcs2') return rt.tls.remoteClusterClient.verificationMode;
  return String(rt.config['xpack.security.transport.ssl.verification_mode'] ?? 'full');
}

function tlsOptions(rt: NodeRuntime, model: Model): ConnectionOptions {
  if (model === 'rcs1') {
    const t = rt.tls.transport;
    if (!t) throw new ConnectError({ kind: 'tls', reason: 'transport SSL is not configured on this node' });
    return { ...t };
  }
  const { verificationMode: _v, ...opts } = rt.tls.remoteClusterClient;
  return { ...opts };
}

/** Opens a TLS connection and checks the server the way ES's SSL context would. */
export function openTlsChannel(
  rt: NodeRuntime,
  model: Model,
  host: string,
  port: number,
  serverName: string,
  timeoutMs = 5000,
): Promise<FrameChannel> {
  return new Promise((resolve, reject) => {
    let socket: TLSSocket;
    const opts: ConnectionOptions = {
      ...tlsOptions(rt, model),
      host,
      port,
      rejectUnauthorized: false, // checked below, to report like ES's DiagnosticTrustManager
      checkServerIdentity: () => undefined, // chain only here; host name checked below per verification_mode
      ...(serverName && !isIP(serverName) ? { servername: serverName } : !isIP(host) ? { servername: host } : {}),
    };
    const timer = setTimeout(() => {
      socket?.destroy();
      reject(new ConnectError({ kind: 'connect', reason: `[][${host}:${port}] connect_timeout[${timeoutMs}ms]` }));
    }, timeoutMs);
    socket = connect(opts, () => {
      clearTimeout(timer);
      const mode = verificationMode(rt, model);
      const cert = socket.getPeerCertificate(true) as PeerCertificate;
      const trustFail = mode !== 'none' && !socket.authorized;
      const identityHost = serverName || host;
      const idErr = !trustFail && mode === 'full' ? checkServerIdentity(identityHost, cert) : undefined;
      if (!trustFail && !idErr) {
        resolve(new FrameChannel(socket));
        return;
      }
      // Tell the server why we hang up (stands in for the TLS alert a JSSE client sends), then close.
      socket.write(
        JSON.stringify({
          id: 0,
          type: TLS_UNTRUSTED_NOTICE,
          body: { reason: trustFail ? 'certificate_unknown' : 'hostname' },
        }) + '\n',
        () => socket.destroy(),
      );
      setTimeout(() => socket.destroy(), 200).unref();
      const san = cert.subjectaltname ?? '';
      const validity = `the certificate is valid between [${new Date(cert.valid_from).toISOString()}] and [${new Date(cert.valid_to).toISOString()}] (current time is [${new Date().toISOString()}], certificate dates are ${Date.now() > Date.parse(cert.valid_to) ? 'NOT valid' : 'valid'})`;
      if (trustFail) {
        const diagnostic = `failed to establish trust with server at [${identityHost}]; the server provided a certificate with subject name [${dn(cert.subject as unknown as Record<string, unknown>)}], fingerprint [${(cert.fingerprint ?? '').replace(/:/g, '').toLowerCase()}], keyUsage [digitalSignature, keyEncipherment]; ${validity}; the session uses protocol [${socket.getProtocol()}]; the certificate has subject alternative names [${san}]; the certificate is issued by [${dn(cert.issuer as unknown as Record<string, unknown>)}] but the server did not provide a copy of the issuing certificate in the certificate chain; this ssl context ([${sslContextName(rt, model)}]) is not configured to trust that issuer but trusts [${trustedIssuerCount(rt, model)}] other issuers`;
        reject(
          new ConnectError({
            kind: 'trust',
            diagnostic,
            reason: `javax.net.ssl.SSLHandshakeException: PKIX path building failed: sun.security.provider.certpath.SunCertPathBuilderException: unable to find valid certification path to requested target (${socket.authorizationError})`,
          }),
        );
      } else {
        const what = isIP(identityHost)
          ? `No subject alternative names matching IP address ${identityHost} found`
          : `No subject alternative DNS name matching ${identityHost} found.`;
        reject(
          new ConnectError({
            kind: 'hostname',
            diagnostic: `failed to establish trust with server at [${identityHost}]; the server provided a certificate with subject name [${dn(cert.subject as unknown as Record<string, unknown>)}]; the certificate has subject alternative names [${san}]; the certificate does not match the server name [${identityHost}] (verification_mode [full] in this ssl context ([${sslContextName(rt, model)}]))`,
            reason: `javax.net.ssl.SSLHandshakeException: ${what}`,
          }),
        );
      }
    });
    socket.once('error', (e: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      socket.destroy();
      const code = e.code ?? '';
      if (code === 'ECONNREFUSED' || code === 'EHOSTUNREACH' || code === 'ENETUNREACH' || code === 'EADDRNOTAVAIL') {
        reject(
          new ConnectError({
            kind: 'connect',
            reason: `[][${host}:${port}] connect_exception (java.net.ConnectException: Connection refused)`,
          }),
        );
      } else if (/CERTIFICATE_REQUIRED|BAD_CERTIFICATE|ALERT/.test(code) || /alert/i.test(e.message)) {
        reject(
          new ConnectError({
            kind: 'tls',
            reason: 'javax.net.ssl.SSLHandshakeException: Received fatal alert: bad_certificate',
          }),
        );
      } else {
        reject(
          new ConnectError({
            kind: 'tls',
            reason: `[][${host}:${port}] general node connection failure (${e.message})`,
          }),
        );
      }
    });
  });
}

/**
 * With TLS 1.3 a server that demands a client certificate rejects it after the client's handshake finished, so the
 * refusal shows up on the first request: report it as ES does (catalogue #3, RCS2 client against the transport port).
 */
export function mapChannelError(e: unknown): unknown {
  if (
    e instanceof Error &&
    'type' in e &&
    (e as { type: string }).type === 'node_disconnected_exception' &&
    /alert|certificate required/i.test(e.message)
  ) {
    return new ConnectError({
      kind: 'tls',
      reason: 'javax.net.ssl.SSLHandshakeException: Received fatal alert: bad_certificate',
    });
  }
  return e;
}
