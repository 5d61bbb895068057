import { toInTotoStatement } from '@steward/attest';
import type { Signature } from '@steward/domain';
import { audit, authorize, type ServiceContext } from './context.js';
import { findModel, resolveVersion } from './views.js';
import { requireSigningKey, storeServerSignature } from '../signing/org-key.js';
import { signatureView } from '../signing/signature-view.js';
import { loadOrgTrust } from '../signing/trust.js';
import { storedManifest } from '../signing/stored-manifest.js';

/**
 * Signs the version with the org key (maintainers, admins): the OpenSSF model-signing bundle
 * `steward sign` writes for a directory holding exactly the version's files, named `subjectName`
 * (default: the model name), over the manifest recorded at push. Stored with source "server".
 */
export async function createVersionSignature({ ctx, input }: { ctx: ServiceContext; input: { org: string; model: string; ref: string; subjectName?: string | undefined } }): Promise<{ signature: Signature; bundleJson: string }> {
  const scope = authorize(ctx, input.org, 'version.sign', { model: input.model });
  const at = ctx.now().toISOString();
  return ctx.db.transaction().execute(async (trx) => {
    const model = await findModel(trx, scope.orgId, input.model);
    const v = await resolveVersion(trx, scope.orgId, model, input.ref);
    const key = await requireSigningKey(trx, scope.orgId, input.org);
    const statement = toInTotoStatement(storedManifest(v), input.subjectName ?? model.name);
    const row = await storeServerSignature(trx, ctx, { orgId: scope.orgId, versionId: v.id, subject: 'model', key, statement, at });
    await audit(trx, ctx, {
      orgId: scope.orgId,
      action: 'version.signed',
      targetType: 'signature',
      targetId: row.id,
      details: { model: `${input.org}/${model.name}`, version: v.version, subject: 'model', subjectName: statement.subject[0]!.name, fingerprint: key.fingerprint, bundleDigest: row.bundle_digest },
    }, at);
    return { signature: signatureView(row, await loadOrgTrust(trx, scope.orgId)), bundleJson: row.bundle_json };
  });
}
