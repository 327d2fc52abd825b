// A minimal HTTPS client for the lab's own checks and tests (CA-verified TLS, Basic auth from the password file).
import https from 'node:https';
import { readFileSync } from 'node:fs';

export interface LabHttpTarget {
  url: string;
  user: string;
  passwordFile: string;
  caCert: string;
}

export interface LabHttpResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
  json: unknown;
}

export function labHttp(
  target: LabHttpTarget,
  method: string,
  path: string,
  body?: unknown,
  opts: { auth?: string | null; timeoutMs?: number; headers?: Record<string, string> } = {},
): Promise<LabHttpResponse> {
  const url = new URL(path, target.url);
  const password = readFileSync(target.passwordFile, 'utf8').trim();
  const auth =
    opts.auth === undefined ? 'Basic ' + Buffer.from(`${target.user}:${password}`).toString('base64') : opts.auth;
  const payload = body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body);
  return new Promise((resolve, reject) => {
    const req = https.request(
      url,
      {
        method,
        ca: readFileSync(target.caCert),
        headers: {
          ...(auth ? { authorization: auth } : {}),
          ...(payload ? { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) } : {}),
          ...opts.headers,
        },
        timeout: opts.timeoutMs ?? 120_000, // above the server-side waits the lab itself asks for (60 s)
        agent: false,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let json: unknown;
          try {
            json = text ? JSON.parse(text) : undefined;
          } catch {
            json = undefined;
          }
          resolve({ status: res.statusCode ?? 0, headers: res.headers, text, json });
        });
      },
    );
    req.on('timeout', () => req.destroy(new Error(`${method} ${url} timed out`)));
    req.on('error', reject);
    if (payload) req.write(payload);
    req.end();
  });
}
