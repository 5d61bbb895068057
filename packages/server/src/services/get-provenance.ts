import { parseDsseBundle } from '@steward/attest';
import { StewardError } from '@steward/domain';
import { authorize, type ServiceContext } from './context.js';
import { findModel, resolveVersion } from './views.js';
import { signatureRows, signatureView } from '../signing/signature-view.js';
import { loadOrgTrust } from '../signing/trust.js';

/**
 * The version's signed provenance: the newest provenance signature, trusted ones first (a
 * server-signed one over an untrusted upload). Returns the bundle and the statement it signs
 * (its payload, byte for byte).
 */
export async function getProvenance({ ctx, input }: { ctx: ServiceContext; input: { org: string; model: string; ref: string } }): Promise<{ bundleJson: string; statementJson: string; id: string; fileName: string }> {
  const scope = authorize(ctx, input.org, 'model.read', { model: input.model });
  const model = await findModel(ctx.db, scope.orgId, input.model);
  const v = await resolveVersion(ctx.db, scope.orgId, model, input.ref);
  const rows = await signatureRows(ctx.db, scope.orgId, v.id, 'provenance');
  const ref = `${input.org}/${model.name}@${v.version}`;
  if (rows.length === 0) {
    throw new StewardError('not_found', `${ref} has no signed provenance: a maintainer signs it with \`steward provenance ${ref} --sign\``);
  }
  const trust = await loadOrgTrust(ctx.db, scope.orgId);
  const newestFirst = [...rows].reverse();
  const row = newestFirst.find((r) => signatureView(r, trust).trusted) ?? newestFirst[0]!;
  const statementJson = Buffer.from(parseDsseBundle(row.bundle_json).payloadBytes).toString('utf8');
  return { bundleJson: row.bundle_json, statementJson, id: row.id, fileName: `${model.name}-${v.version}.provenance` };
}
