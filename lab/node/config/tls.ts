// SSL contexts of a node as ES's SSLService builds them from `xpack.security.<ctx>.ssl.*`: PKCS#12 keystore
// (+ secure_password from the keystore) or PEM key + certificate, trust from certificate_authorities or the
// keystore's CA entries. Errors carry ES's messages (troubleshooting catalogue #16, #17).
import { existsSync, readFileSync } from 'node:fs';
import { isAbsolute, join } from 'node:path';
import { createSecureContext, type SecureContextOptions } from 'node:tls';
import type { FlatSettings } from '../cluster/state.js';

export class SslConfigError extends Error {}

export type SslContextName = 'http' | 'transport' | 'remote_cluster_server' | 'remote_cluster_client';

const ENABLED_DEFAULT: Record<SslContextName, boolean> = {
  http: false,
  transport: false,
  remote_cluster_server: true,
  remote_cluster_client: true,
};

function str(config: FlatSettings, key: string): string | undefined {
  const v = config[key];
  return v === undefined ? undefined : Array.isArray(v) ? v.join(',') : v;
}

function list(config: FlatSettings, key: string): string[] {
  const v = config[key];
  if (v === undefined) return [];
  return Array.isArray(v)
    ? v
    : v
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean);
}

function resolvePath(configDir: string, p: string): string {
  return isAbsolute(p) ? p : join(configDir, p);
}

export function sslEnabled(ctx: SslContextName, config: FlatSettings): boolean {
  const v = str(config, `xpack.security.${ctx}.ssl.enabled`);
  return v === undefined ? ENABLED_DEFAULT[ctx] : v === 'true';
}

export interface LoadedSsl extends SecureContextOptions {
  verificationMode: 'full' | 'certificate' | 'none';
  clientAuthentication: 'none' | 'optional' | 'required';
  /** Key material present (a server context needs it). */
  hasKey: boolean;
}

/**
 * Loads one SSL context. `server` contexts without key material fail like ES (#16). Returns null when the context
 * is disabled.
 */
export function loadSslContext(
  ctx: SslContextName,
  config: FlatSettings,
  secure: Map<string, Buffer>,
  configDir: string,
  server: boolean,
): LoadedSsl | null {
  if (!sslEnabled(ctx, config)) return null;
  const prefix = `xpack.security.${ctx}.ssl`;
  const secureStr = (k: string) => secure.get(`${prefix}.${k}`)?.toString('utf8');
  const out: LoadedSsl = {
    verificationMode: (str(config, `${prefix}.verification_mode`) ?? 'full') as LoadedSsl['verificationMode'],
    clientAuthentication: (str(config, `${prefix}.client_authentication`) ??
      (ctx === 'transport' ? 'required' : 'none')) as LoadedSsl['clientAuthentication'],
    hasKey: false,
  };
  const ksPath = str(config, `${prefix}.keystore.path`);
  const keyPath = str(config, `${prefix}.key`);
  const certPath = str(config, `${prefix}.certificate`);
  if (ksPath) {
    const file = resolvePath(configDir, ksPath);
    const type = (
      str(config, `${prefix}.keystore.type`) ?? (/\.(p12|pfx|pkcs12)$/i.test(file) ? 'PKCS12' : 'jks')
    ).toUpperCase();
    if (!existsSync(file)) {
      throw new SslConfigError(
        `failed to load SSL configuration [${prefix}] - cannot read configured [${type}] keystore [${file}] because the file does not exist`,
      );
    }
    if (type !== 'PKCS12')
      throw new SslConfigError(
        `failed to load SSL configuration [${prefix}] - the crosskey lab only simulates PKCS12 keystores, not [${type}] ([${file}])`,
      );
    const passphrase = secureStr('keystore.secure_password') ?? str(config, `${prefix}.keystore.password`) ?? '';
    const pfx = readFileSync(file);
    try {
      createSecureContext({ pfx, passphrase });
    } catch {
      throw new SslConfigError(
        `failed to load SSL configuration [${prefix}] - cannot read configured [PKCS12] keystore (as a keystore) [${file}] - this is usually caused by an incorrect password; (${passphrase ? 'a' : 'no'} keystore password was provided)`,
      );
    }
    out.pfx = pfx;
    out.passphrase = passphrase;
    out.hasKey = true;
  } else if (keyPath || certPath) {
    if (!keyPath || !certPath) {
      throw new SslConfigError(
        `invalid SSL configuration for ${prefix} - both [${prefix}.key] and [${prefix}.certificate] must be set`,
      );
    }
    const kf = resolvePath(configDir, keyPath);
    const cf = resolvePath(configDir, certPath);
    for (const f of [kf, cf]) {
      if (!existsSync(f))
        throw new SslConfigError(
          `failed to load SSL configuration [${prefix}] - cannot read configured PEM certificate or key [${f}] because the file does not exist`,
        );
    }
    out.key = readFileSync(kf);
    out.cert = readFileSync(cf);
    const pass = secureStr('secure_key_passphrase');
    if (pass) out.passphrase = pass;
    try {
      createSecureContext({ key: out.key, cert: out.cert, passphrase: out.passphrase });
    } catch (e) {
      throw new SslConfigError(
        `failed to load SSL configuration [${prefix}] - cannot load PEM private key [${kf}]: ${(e as Error).message}`,
      );
    }
    out.hasKey = true;
  }
  if (server && !out.hasKey) {
    throw new SslConfigError(
      `invalid SSL configuration for ${prefix} - server ssl configuration requires a key and certificate, but these have not been configured; you must set either [${prefix}.keystore.path], or both [${prefix}.key] and [${prefix}.certificate]`,
    );
  }
  const cas = list(config, `${prefix}.certificate_authorities`);
  if (cas.length) {
    out.ca = cas.map((p) => {
      const f = resolvePath(configDir, p);
      if (!existsSync(f))
        throw new SslConfigError(
          `failed to load SSL configuration [${prefix}] - cannot read configured PEM certificate_authorities [${f}] because the file does not exist`,
        );
      return readFileSync(f);
    });
  }
  const tsPath = str(config, `${prefix}.truststore.path`);
  if (tsPath && (!ksPath || resolvePath(configDir, tsPath) !== resolvePath(configDir, ksPath))) {
    // A separate truststore: Node reads a PKCS#12 only together with its key, so the lab supports a truststore
    // only when it is the keystore file itself (as ES's auto-configuration writes it) — say so plainly.
    throw new SslConfigError(
      `failed to load SSL configuration [${prefix}] - the crosskey lab supports [${prefix}.truststore.path] only when it names the keystore file; use [${prefix}.certificate_authorities]`,
    );
  }
  return out;
}
