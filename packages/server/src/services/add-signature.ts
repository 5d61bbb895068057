import type { AddSignatureBody, Signature } from '@steward/domain';
import { audit, authorize, isUniqueViolation, newId, type ServiceContext } from './context.js';
import { findModel, resolveVersion } from './views.js';
import { storedManifest } from '../signing/stored-manifest.js';
import { bundleDigest, signatureView } from '../signing/signature-view.js';
import { loadOrgTrust } from '../signing/trust.js';
import { verifyUploadedBundle } from '../signing/verify-upload.js';

/**
 * Attaches a user-supplied bundle to a version (contributors and up), verified before anything is
 * stored: it must sign exactly the version's manifest (model) or name it as its subject
 * (provenance), and its signature must verify with the org key, a key or CA the org trusts, or the
 * key / CA certificates given with it (then it is stored, untrusted). The same bundle again is a
 * no-op (created: false).
 */
export async function addSignature({ ctx, input }: { ctx: ServiceContext; input: { org: string; model: string; ref: string; body: AddSignatureBody } }): Promise<{ created: boolean; signature: Signature }> {
  const scope = authorize(ctx, input.org, 'signature.add', { model: input.model });
  const model = await findModel(ctx.db, scope.orgId, input.model);
  const v = await resolveVersion(ctx.db, scope.orgId, model, input.ref);
  const versionRef = `${input.org}/${model.name}@${v.version}`;
  const orgKeys = await ctx.db.selectFrom('signing_keys').select('public_key_pem').where('org_id', '=', scope.orgId).orderBy('created_at', 'desc').execute();
  const trusted = await ctx.db.selectFrom('trusted_signers').select(['kind', 'pem']).where('org_id', '=', scope.orgId).where('removed_at', 'is', null).orderBy('created_at').execute();
  const verified = verifyUploadedBundle({
    bundleJson: input.body.bundle,
    subject: input.body.subject,
    manifest: storedManifest(v),
    versionRef,
    trust: {
      orgKeys: orgKeys.map((k) => k.public_key_pem),
      trustedKeys: trusted.filter((t) => t.kind === 'key').map((t) => t.pem),
      trustedCas: trusted.filter((t) => t.kind === 'ca').map((t) => t.pem),
    },
    supplied: { publicKeyPem: input.body.publicKeyPem, caCertificatesPem: input.body.caCertificatesPem },
  });

  const digest = bundleDigest(input.body.bundle);
  const at = ctx.now().toISOString();
  const existing = async () => {
    const row = await ctx.db.selectFrom('signatures').selectAll().where('version_id', '=', v.id).where('bundle_digest', '=', digest).executeTakeFirst();
    return row ? { created: false, signature: signatureView(row, await loadOrgTrust(ctx.db, scope.orgId)) } : null;
  };
  const already = await existing();
  if (already) return already;
  try {
    return await ctx.db.transaction().execute(async (trx) => {
      const row = {
        id: newId(),
        org_id: scope.orgId,
        version_id: v.id,
        subject: input.body.subject,
        kind: verified.kind,
        source: 'uploaded',
        signer: verified.signer,
        key_fingerprint: verified.keyFingerprint,
        bundle_digest: digest,
        bundle_json: input.body.bundle,
        status: 'valid',
        signed_at: null,
        added_at: at,
        added_by: ctx.actor.userName,
        trust_anchor: verified.trustAnchor,
      };
      await trx.insertInto('signatures').values(row).execute();
      const signature = signatureView(row, await loadOrgTrust(trx, scope.orgId));
      await audit(trx, ctx, {
        orgId: scope.orgId,
        action: 'signature.added',
        targetType: 'signature',
        targetId: row.id,
        details: { model: `${input.org}/${model.name}`, version: v.version, subject: row.subject, kind: row.kind, signer: row.signer, fingerprint: row.key_fingerprint, trustAnchor: row.trust_anchor, trusted: signature.trusted, bundleDigest: digest },
      }, at);
      return { created: true, signature };
    });
  } catch (err) {
    // Two uploads of the same bundle at once: the loser reports the winner's row.
    if (isUniqueViolation(err)) {
      const row = await existing();
      if (row) return row;
    }
    throw err;
  }
}
