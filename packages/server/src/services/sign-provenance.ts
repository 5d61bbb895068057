import type { Signature } from '@steward/domain';
import { audit, authorize, type ServiceContext } from './context.js';
import { findModel, resolveVersion } from './views.js';
import { requireSigningKey, storeServerSignature } from '../signing/org-key.js';
import { buildVersionProvenance } from '../signing/provenance.js';
import { signatureView } from '../signing/signature-view.js';
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
    const row = await storeServerSignature(trx, ctx, { orgId: scope.orgId, versionId: v.id, subject: 'provenance', key, statement, at });
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
    return { signature: signatureView(row, await loadOrgTrust(trx, scope.orgId)), bundleJson: row.bundle_json };
  });
}
