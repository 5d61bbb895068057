import * as crypto from 'node:crypto';

/**
 * API tokens carry 256 random bits, so a plain SHA-256 is enough to store them: there is nothing
 * to brute-force, and a fast hash keeps per-request authentication cheap (see docs/adr/0004).
 */
export const TOKEN_PREFIX = 'stw_';

export function generateToken(): string {
  return TOKEN_PREFIX + crypto.randomBytes(32).toString('base64url');
}

// crypto.hash (Node 20.12+) is a one-shot digest without a Hash object: a third of createHash's cost per request.
const oneShot: ((alg: string, data: string, enc: 'hex') => string) | undefined = (crypto as { hash?: (alg: string, data: string, enc: 'hex') => string }).hash;

export function hashToken(token: string): string {
  return oneShot ? oneShot('sha256', token, 'hex') : crypto.createHash('sha256').update(token, 'utf8').digest('hex');
}

/** The first characters, shown in listings so people can tell tokens apart. */
export function tokenDisplayPrefix(token: string): string {
  return token.slice(0, TOKEN_PREFIX.length + 6);
}
