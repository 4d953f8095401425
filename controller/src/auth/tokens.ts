// Bearer tokens look like hbx_<name>_<secret>: <name> is the Token object's name (the indexed prefix),
// the secret is 256 random bits. Only the SHA-256 of the whole token is stored; comparison is constant-time
// so response timing says nothing about how much of a guess was right.
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

export const TOKEN_PATTERN = /^hbx_([a-z0-9]{12})_([A-Za-z0-9_-]{43})$/;

export function newToken(): { name: string; token: string } {
  const alphabet = 'abcdefghijklmnopqrstuvwxyz0123456789';
  const bytes = randomBytes(12);
  let name = '';
  for (const b of bytes) name += alphabet[b % alphabet.length];
  return { name, token: `hbx_${name}_${randomBytes(32).toString('base64url')}` };
}

/** The Token object name a token claims, or undefined when it is not shaped like one of ours. */
export function tokenName(token: string): string | undefined {
  return TOKEN_PATTERN.exec(token)?.[1];
}

export function hashToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

/** True when `token` hashes to `expectedHash` (hex), in time independent of where they differ. */
export function tokenMatches(token: string, expectedHash: string | undefined): boolean {
  const a = Buffer.from(hashToken(token), 'hex');
  const b = Buffer.from(expectedHash ?? '', 'hex');
  return a.length === b.length && timingSafeEqual(a, b);
}
