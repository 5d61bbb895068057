/** Identifiers derived from content, so the same input always gives the same document. */
import { createHash } from 'node:crypto';

export function sha256Hex(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex');
}

/**
 * A UUID (RFC 9562 version 8, "custom") made from the SHA-256 of `seed`: stable for a given seed,
 * unlike the random v4 serial numbers SBOM tools usually write.
 */
export function uuidFromSeed(seed: string): string {
  const h = sha256Hex(seed).slice(0, 32).split('');
  h[12] = '8';
  h[16] = ((parseInt(h[16]!, 16) & 0x3) | 0x8).toString(16);
  const s = h.join('');
  return `${s.slice(0, 8)}-${s.slice(8, 12)}-${s.slice(12, 16)}-${s.slice(16, 20)}-${s.slice(20, 32)}`;
}

/**
 * A package URL for a registry model version: `pkg:generic/ORG/NAME@VERSION?checksum=sha256:ROOT`.
 * There is no purl type for Steward; `generic` with the manifest root digest pins the exact bytes.
 */
export function modelPurl(org: string, name: string, version: string, manifestDigest: string): string {
  return `pkg:generic/${encodeURIComponent(org)}/${encodeURIComponent(name)}@${encodeURIComponent(version)}?checksum=sha256:${manifestDigest}`;
}

/** `ORG/NAME@VERSION` as a purl when it is one; null for refs of another shape (Hub ids, URLs). */
export function registryRefPurl(ref: string, manifestDigest: string | null): string | null {
  const m = /^([A-Za-z0-9][A-Za-z0-9._-]*)\/([A-Za-z0-9][A-Za-z0-9._-]*)@([^@/\s]+)$/.exec(ref);
  if (!m) return null;
  const [, org, name, version] = m as unknown as [string, string, string, string];
  const base = `pkg:generic/${encodeURIComponent(org)}/${encodeURIComponent(name)}@${encodeURIComponent(version)}`;
  return manifestDigest ? `${base}?checksum=sha256:${manifestDigest}` : base;
}
