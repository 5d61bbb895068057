import type { Signature } from '@steward/domain';
import { audit, authorize, newId, type ServiceContext } from './context.js';
import { findModel, resolveVersion } from './views.js';
import { requireSigningKey, signWithOrgKey } from '../signing/org-key.js';
import { buildVersionProvenance } from '../signing/provenance.js';
import { bundleDigest, signatureView } from '../signing/signature-view.js';
import { loadOrgTrust } from '../signing/trust.js';
import { TOOL } from '../signing/tool.js';

/**
 * Builds the version's SLSA provenance v1 from the registry's records and signs it with the org
 * key (maintainers, admins); stored as a signature with subject "provenance".
 */
export async function signProvenance({ ctx, input }: { ctx: ServiceContext; input: { org: string; model: string; ref: string; builderId?: string | undefined } }): Promise<{ signature: Signature; bundleJson: string }> {
  const scope = authorize(ctx, input.org, 'version.sign', { model: input.model });
  const at = ctx.now().toISOString();
  return ctx.db.transaction().execute(async (trx) => {
    const model = await findModel(trx, scope.orgId, input.model);
    const v = await resolveVersion(trx, scope.orgId, model, input.ref);
    const key = await requireSigningKey(trx, scope.orgId, input.org);
    const statement = await buildVersionProvenance(trx, { id: scope.orgId, name: input.org }, model, v, { builderId: input.builderId, stewardVersion: TOOL.version });
    const bundleJson = signWithOrgKey(ctx.masterKey, key, statement);
    const row = {
      id: newId(),
      org_id: scope.orgId,
      version_id: v.id,
      subject: 'provenance',
      kind: 'key',
      source: 'server',
      signer: `sha256:${key.fingerprint}`,
      key_fingerprint: key.fingerprint,
      bundle_digest: bundleDigest(bundleJson),
      bundle_json: bundleJson,
      status: 'valid',
      signed_at: at,
      added_at: at,
      added_by: ctx.actor.userName,
      trust_anchor: null,
    };
    await trx.insertInto('signatures').values(row).execute();
    await audit(trx, ctx, {
      orgId: scope.orgId,
      action: 'version.provenance_signed',
      targetType: 'signature',
      targetId: row.id,
      details: {
        model: `${input.org}/${model.name}`,
        version: v.version,
        subject: 'provenance',
        builderId: statement.predicate.runDetails.builder.id,
        dependencies: (statement.predicate.buildDefinition.resolvedDependencies ?? []).length,
        fingerprint: key.fingerprint,
        bundleDigest: row.bundle_digest,
      },
    }, at);
    return { signature: signatureView(row, await loadOrgTrust(trx, scope.orgId)), bundleJson };
  });
}
