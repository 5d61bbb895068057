import crypto from 'node:crypto';
import { StewardError } from '@steward/domain';
import { decryptSeed, encryptSeed } from '../ledger/keys.js';

/** `whsec_` and 32 random bytes (base64url): receivers key HMAC-SHA256 with this whole string's UTF-8 bytes. */
export function generateWebhookSecret(): string {
  return `whsec_${crypto.randomBytes(32).toString('base64url')}`;
}

// The AAD binds a ciphertext to its subscription (and keeps it apart from ledger key rows).
const aad = (subscriptionId: string) => `webhook-secret:${subscriptionId}`;

/** Encrypts a subscription's secret under the master key (AES-256-GCM, as the ledger keys are). */
export function sealWebhookSecret(master: Buffer, subscriptionId: string, secret: string): string {
  return encryptSeed(master, aad(subscriptionId), Buffer.from(secret, 'utf8'));
}

const routingAad = (subscriptionId: string) => `webhook-routing-key:${subscriptionId}`;

/** A PagerDuty routing key, sealed like a secret (it lets anyone page the service). */
export function sealRoutingKey(master: Buffer, subscriptionId: string, key: string): string {
  return encryptSeed(master, routingAad(subscriptionId), Buffer.from(key, 'utf8'));
}

export function openRoutingKey(master: Buffer, subscriptionId: string, sealed: string): string {
  return decryptSeed(master, routingAad(subscriptionId), sealed).toString('utf8');
}

export function openWebhookSecret(master: Buffer, subscriptionId: string, sealed: string): string {
  try {
    return decryptSeed(master, aad(subscriptionId), sealed).toString('utf8');
  } catch {
    throw new StewardError('internal', `the secret of webhook ${subscriptionId} cannot be decrypted: the master key is not the one it was encrypted with`);
  }
}
