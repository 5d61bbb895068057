/** DSSE (Dead Simple Signing Envelope) v1: what exactly gets signed. */

/**
 * The pre-authentication encoding `"DSSEv1" SP len(type) SP type SP len(payload) SP payload`,
 * lengths in bytes as ASCII decimal. Signatures are made and checked over this, never over the
 * bare payload, so a payload cannot be re-read as another type.
 */
export function preAuthEncoding(payloadType: string, payload: Uint8Array): Buffer {
  const type = Buffer.from(payloadType, 'utf8');
  return Buffer.concat([Buffer.from(`DSSEv1 ${type.length} `, 'ascii'), type, Buffer.from(` ${payload.length} `, 'ascii'), payload]);
}
