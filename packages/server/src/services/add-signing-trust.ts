import { createHash } from 'node:crypto';
import { loadVerificationPublicKey, parsePemCertificates } from '@steward/attest';
import { type AddTrustedSignerBody, StewardError, type TrustedSigner } from '@steward/domain';
import { audit, authorize, newId, type ServiceContext } from './context.js';
import { keyFingerprint } from '../signing/org-key.js';
import { trustedSignerView } from '../signing/trusted-signer-view.js';

/** What a trusted signer entry holds, checked: an ECDSA public key, or one CA certificate. */
function material(body: AddTrustedSignerBody): { kind: 'key' | 'ca'; pem: string; fingerprint: string; description: string } {
  if (body.publicKeyPem !== undefined) {
    const key = loadVerificationPublicKey(body.publicKeyPem);
    return { kind: 'key', pem: key.key.export({ type: 'spki', format: 'pem' }) as string, fingerprint: keyFingerprint(key.key), description: `ECDSA ${key.curve}` };
  }
  const certs = parsePemCertificates(body.caCertificatePem ?? '', 'CA certificate');
  if (certs.length !== 1) throw new StewardError('bad_request', `give one CA certificate per trusted signer (the file holds ${certs.length}); add each CA on its own`);
  const cert = certs[0]!;
  const subject = cert.subject.replace(/\n/g, ', ');
  if (!cert.ca) throw new StewardError('bad_request', `certificate ${subject} is not a CA certificate (basicConstraints CA:TRUE): trust its issuer, or trust the signer's public key instead`);
  return { kind: 'ca', pem: cert.toString(), fingerprint: createHash('sha256').update(cert.raw).digest('hex'), description: `${subject}, valid ${new Date(cert.validFrom).toISOString()} to ${new Date(cert.validTo).toISOString()}` };
}

/** Trusts a public key or a CA certificate for the org's signatures (org admins). */
export async function addSigningTrust({ ctx, input }: { ctx: ServiceContext; input: { org: string; body: AddTrustedSignerBody } }): Promise<TrustedSigner> {
  const scope = authorize(ctx, input.org, 'signing.manage');
  const m = material(input.body);
  const at = ctx.now().toISOString();
  return ctx.db.transaction().execute(async (trx) => {
    const existing = await trx.selectFrom('trusted_signers').selectAll().where('org_id', '=', scope.orgId).where('fingerprint', '=', m.fingerprint).executeTakeFirst();
    if (existing && existing.removed_at === null) {
      throw new StewardError('conflict', `org "${input.org}" already trusts this ${m.kind === 'key' ? 'key' : 'CA'} (as "${existing.name}", id ${existing.id})`, { id: existing.id });
    }
    const row = {
      id: existing?.id ?? newId(),
      org_id: scope.orgId,
      kind: m.kind,
      name: input.body.name,
      pem: m.pem,
      fingerprint: m.fingerprint,
      description: m.description,
      created_at: at,
      created_by: ctx.actor.userName,
      removed_at: null,
      removed_by: null,
    };
    // Trusted again after a removal: the same row (one per fingerprint), its history in the ledger.
    if (existing) await trx.updateTable('trusted_signers').set(row).where('id', '=', existing.id).execute();
    else await trx.insertInto('trusted_signers').values(row).execute();
    await audit(trx, ctx, { orgId: scope.orgId, action: 'signing_trust.added', targetType: 'trusted_signer', targetId: row.id, details: { kind: m.kind, name: row.name, fingerprint: m.fingerprint, description: m.description } }, at);
    return trustedSignerView(row);
  });
}
