import { audit, authorize, type Deps, type ServiceContext } from './context.js';

export interface GcResult {
  blobsDeleted: number;
  bytesFreed: number;
  possessionsDeleted: number;
  temporariesDeleted: number;
}

/** `steward gc`: garbage-collect as an org admin. */
export async function runGc({ ctx, input }: { ctx: ServiceContext; input: { org: string } }): Promise<GcResult> {
  const scope = authorize(ctx, input.org, 'gc.run');
  return collectGarbage(ctx, { orgIds: [scope.orgId], actor: ctx });
}

/**
 * Removes what a crashed or abandoned push left behind, never anything a version or dataset uses:
 * 1. upload temporaries older than the grace period;
 * 2. an org's blob possessions that no version or dataset of that org references (older than grace,
 *    because a push uploads blobs before it registers the version);
 * 3. stored blobs that no org possesses any more (older than grace).
 * The grace period is what keeps an in-flight push safe; see docs/adr/0003.
 */
export async function collectGarbage(deps: Deps, opts: { orgIds: string[] | 'all'; actor: ServiceContext | null }): Promise<GcResult> {
  const cutoff = new Date(deps.now().getTime() - deps.config.gcGraceSeconds * 1000);
  const cutoffIso = cutoff.toISOString();
  const temporariesDeleted = await deps.blobs.sweepTemporaries(cutoff);

  const orgIds = opts.orgIds === 'all' ? (await deps.db.selectFrom('orgs').select('id').execute()).map((o) => o.id) : opts.orgIds;
  let possessionsDeleted = 0;
  for (const orgId of orgIds) {
    possessionsDeleted += await deps.db.transaction().execute(async (trx) => {
      const stale = await trx
        .selectFrom('blob_possessions as p')
        .select(['p.digest', 'p.size'])
        .where('p.org_id', '=', orgId)
        .where('p.created_at', '<', cutoffIso)
        .where((eb) =>
          eb.not(
            eb.exists(
              eb
                .selectFrom('version_files as f')
                .innerJoin('model_versions as v', 'v.id', 'f.version_id')
                .innerJoin('models as m', 'm.id', 'v.model_id')
                .select('f.sha256')
                .whereRef('f.sha256', '=', 'p.digest')
                .where('m.org_id', '=', orgId),
            ),
          ),
        )
        .where((eb) =>
          eb.not(eb.exists(eb.selectFrom('datasets as d').select('d.id').whereRef('d.transform_script_sha256', '=', 'p.digest').where('d.org_id', '=', orgId))),
        )
        .execute();
      if (stale.length === 0) return 0;
      for (let i = 0; i < stale.length; i += 500) {
        await trx.deleteFrom('blob_possessions').where('org_id', '=', orgId).where('digest', 'in', stale.slice(i, i + 500).map((s) => s.digest)).execute();
      }
      await audit(trx, opts.actor ?? deps, {
        orgId,
        action: 'gc.possessions_released',
        targetType: 'org',
        targetId: orgId,
        details: { count: stale.length, bytes: stale.reduce((n, s) => n + Number(s.size), 0), digests: stale.slice(0, 100).map((s) => s.digest) },
      });
      return stale.length;
    });
  }

  let blobsDeleted = 0;
  let bytesFreed = 0;
  for await (const blob of deps.blobs.list()) {
    if (blob.storedAt >= cutoff) continue;
    const held = await deps.db.selectFrom('blob_possessions').select('digest').where('digest', '=', blob.digest).limit(1).executeTakeFirst();
    if (held) continue;
    const referenced = await deps.db.selectFrom('version_files').select('sha256').where('sha256', '=', blob.digest).limit(1).executeTakeFirst();
    if (referenced) continue;
    await deps.blobs.delete(blob.digest);
    blobsDeleted++;
    bytesFreed += blob.size;
  }
  if (blobsDeleted > 0 || temporariesDeleted > 0) {
    await audit(deps.db, opts.actor ?? deps, { orgId: null, action: 'gc.blobs_deleted', targetType: 'blob_store', targetId: null, details: { blobsDeleted, bytesFreed, temporariesDeleted } });
  }
  return { blobsDeleted, bytesFreed, possessionsDeleted, temporariesDeleted };
}
