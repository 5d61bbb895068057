import crypto from 'node:crypto';

/**
 * The delivery signature (ADR 0014, README "Webhooks"): hex HMAC-SHA256, keyed with the secret's
 * UTF-8 bytes, over `<id>.<timestamp>.<body>`, where id and timestamp are the Steward-Webhook-Id
 * and Steward-Webhook-Timestamp headers (unix seconds) and body the exact bytes sent.
 */
export function webhookSignature(secret: string, id: string, timestamp: number, body: string): string {
  return crypto.createHmac('sha256', secret).update(`${id}.${timestamp}.${body}`).digest('hex');
}

/** `v1=<hex>`, space-separated when a rotated-out secret still signs too; receivers accept any one that verifies. */
export function signatureHeader(secrets: readonly string[], id: string, timestamp: number, body: string): string {
  return secrets.map((s) => `v1=${webhookSignature(s, id, timestamp, body)}`).join(' ');
}
