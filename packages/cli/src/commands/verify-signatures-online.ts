/**
 * The signature step of `steward verify`: the version's model signatures, downloaded and checked
 * here (not taken from the server's word) against the keys and CAs the org trusts, over the
 * directory's own digests.
 */
import type { Version } from '@steward/domain';
import { SignatureListSchema, SigningKeysSchema, TrustedSignersSchema } from '@steward/domain';
import type { Manifest } from '@steward/attest';
import { type StewardClient, enc } from '../client.js';

export interface SignatureCheck {
  check: 'signature';
  ok: boolean;
  detail: string;
}

export async function verifyVersionSignatures(client: StewardClient, vbase: string, org: string, manifest: Manifest, v: Version): Promise<SignatureCheck> {
  const list = await client.json('GET', `${vbase}/signatures?subject=model`, SignatureListSchema);
  if (list.items.length === 0) return { check: 'signature', ok: true, detail: 'the version carries no signatures (a policy decides whether the ring needs one)' };
  const attest = await import('@steward/attest');
  const keys = await client.json('GET', `/api/v1/orgs/${enc(org)}/signing-keys`, SigningKeysSchema);
  const signers = await client.json('GET', `/api/v1/orgs/${enc(org)}/trusted-signers`, TrustedSignersSchema);
  const trusts: { label: string; trust: import('@steward/attest').VerificationTrust }[] = [
    ...keys.keys.map((k) => ({ label: `org key ${k.fingerprint.slice(0, 16)}`, trust: { publicKeyPem: k.publicKeyPem } })),
    ...signers.items.map((s) => ({ label: `trusted ${s.kind} ${s.name}`, trust: s.kind === 'key' ? { publicKeyPem: s.pem } : { certificateChainPem: s.pem } })),
  ];
  const failures: string[] = [];
  for (const sig of list.items) {
    const bundle = await client.text('GET', `${vbase}/signatures/${enc(sig.id)}/bundle`);
    let parsed: import('@steward/attest').ParsedModelSigningBundle;
    try {
      parsed = attest.parseModelSigningBundle(bundle);
    } catch (e) {
      failures.push(`${sig.id}: ${(e as Error).message}`);
      continue;
    }
    const diff = attest.diffManifest(parsed.statement, manifest);
    if (diff.changed.length + diff.extra.length + diff.missing.length > 0) {
      failures.push(`${sig.id}: signed files differ from the directory (${[...diff.changed.map((p) => `changed ${p}`), ...diff.missing.map((p) => `missing ${p}`), ...diff.extra.map((p) => `extra ${p}`)].slice(0, 5).join(', ')})`);
      continue;
    }
    for (const t of trusts) {
      try {
        attest.verifyBundleSignature(parsed as unknown as import('@steward/attest').ParsedDsseBundle, { trust: t.trust });
        return { check: 'signature', ok: true, detail: `signature ${sig.id} (${sig.kind}, ${sig.source}) verifies over the directory with ${t.label}` };
      } catch (e) {
        if (!(e instanceof attest.SignatureError)) throw e;
      }
    }
    failures.push(`${sig.id}: signed by ${sig.signer}, which the org does not trust`);
  }
  return { check: 'signature', ok: false, detail: `${v.org}/${v.model}@${v.version} is signed, but no signature verifies with a key the org trusts: ${failures.join('; ')}` };
}
