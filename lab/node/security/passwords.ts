// Password hashes of lab users (security.users[*].password_hash): PBKDF2-HMAC-SHA512, salted, in the form
// `pbkdf2_sha512$<iterations>$<salt b64>$<hash b64>`. Verified results are cached per process so that requests
// do not pay the KDF each time (ES caches realm authentications too).
import { createHash, pbkdf2Sync, randomBytes, timingSafeEqual } from 'node:crypto';

const ITERATIONS = 10_000;

export function hashPassword(password: string): string {
  const salt = randomBytes(16);
  const hash = pbkdf2Sync(password, salt, ITERATIONS, 32, 'sha512');
  return `pbkdf2_sha512$${ITERATIONS}$${salt.toString('base64')}$${hash.toString('base64')}`;
}

const verified = new Map<string, string>(); // stored hash → sha256 of the password that matched

export function verifyPassword(password: string, stored: string): boolean {
  const digest = createHash('sha256').update(password).digest('hex');
  if (verified.get(stored) === digest) return true;
  const [alg, iter, saltB64, hashB64] = stored.split('$');
  if (alg !== 'pbkdf2_sha512' || !iter || !saltB64 || !hashB64) return false;
  const expected = Buffer.from(hashB64, 'base64');
  const got = pbkdf2Sync(password, Buffer.from(saltB64, 'base64'), Number(iter), expected.length, 'sha512');
  const ok = got.length === expected.length && timingSafeEqual(got, expected);
  if (ok) verified.set(stored, digest);
  return ok;
}
