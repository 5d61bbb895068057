import { buildManifest } from '@steward/attest';
import { type PushVersionBody, StewardError, parseModelVersionRef } from '@steward/domain';
import { audit, authorize, can, isUniqueViolation, newId, type ServiceContext } from './context.js';
import { possessedDigests } from './blob-possession.js';
import { readModelCard } from './read-model-card.js';
import { requestScan } from '../scanning/queue.js';
import { findModel, resolveVersion, versionView } from './views.js';
import type { Version } from '@steward/domain';

const FILE_INSERT_CHUNK = 200;

export interface PushVersionResult {
  created: boolean;
  modelCreated: boolean;
  version: Version;
}

/**
 * Registers a model version atomically: model (created on first push), files, lineage, parsed
 * model card and the audit event, in one transaction. Every file's bytes must already have been
 * uploaded by this org. Same version with the same manifest is a no-op; with another manifest, 409.
 */
export async function pushVersion({ ctx, input }: { ctx: ServiceContext; input: { org: string; model: string; body: PushVersionBody } }): Promise<PushVersionResult> {
  const scope = authorize(ctx, input.org, 'version.push', { model: input.model });
  const body = input.body;
  const manifest = buildManifest(body.manifest.files, {
    allowSymlinks: body.manifest.serialization.allow_symlinks,
    ignorePaths: body.manifest.serialization.ignore_paths,
  });
  if (manifest.rootDigest !== body.manifest.rootDigest) {
    throw new StewardError('digest_mismatch', `manifest root digest ${body.manifest.rootDigest} does not match its files (computed ${manifest.rootDigest})`, {
      field: 'manifest.rootDigest',
      expected: body.manifest.rootDigest,
      actual: manifest.rootDigest,
    });
  }

  const digests = [...new Set(manifest.files.map((f) => f.sha256))];
  const have = await possessedDigests(ctx.db, scope.orgId, digests);
  const missing = digests.filter((d) => !have.has(d));
  if (missing.length > 0) {
    throw new StewardError('bad_request', `${missing.length} file(s) were not uploaded before registering the version`, {
      missing: missing.slice(0, 50),
      paths: manifest.files.filter((f) => !have.has(f.sha256)).slice(0, 50).map((f) => f.path),
    });
  }
  for (const f of manifest.files) {
    const size = have.get(f.sha256);
    if (size !== f.size) {
      throw new StewardError('digest_mismatch', `file "${f.path}": declared size ${f.size} but blob sha256:${f.sha256} has ${size} bytes`, { path: f.path });
    }
  }

  const datasetIds: { id: string; relation: string }[] = [];
  for (const [i, d] of body.datasets.entries()) {
    const row = await ctx.db.selectFrom('datasets').select('id').where('org_id', '=', scope.orgId).where('name', '=', d.name).where('version', '=', d.version).executeTakeFirst();
    if (!row) throw new StewardError('bad_request', `datasets[${i}]: dataset ${d.name}@${d.version} is not registered in org "${input.org}"`, { field: `datasets[${i}]` });
    datasetIds.push({ id: row.id, relation: d.relation });
  }

  let baseVersionId: string | null = null;
  if (body.baseModel !== undefined) {
    const ref = parseModelVersionRef(body.baseModel, 'baseModel');
    const baseScope = ctx.actor.memberships.get(ref.org);
    if (!baseScope || !can(ctx, ref.org, 'model.read', { model: ref.model })) throw new StewardError('bad_request', `baseModel: org "${ref.org}" not found`, { field: 'baseModel' });
    try {
      const baseModel = await findModel(ctx.db, baseScope.orgId, ref.model);
      baseVersionId = (await resolveVersion(ctx.db, baseScope.orgId, baseModel, ref.ref)).id;
    } catch (err) {
      if (err instanceof StewardError && err.code === 'not_found') throw new StewardError('bad_request', `baseModel: ${err.message}`, { field: 'baseModel' });
      throw err;
    }
  }

  const card = await readModelCard(ctx, manifest.files);
  const manifestJson = JSON.stringify(manifest);
  const totalSize = manifest.files.reduce((n, f) => n + f.size, 0);

  const attempt = () =>
    ctx.db.transaction().execute(async (trx) => {
      const now = ctx.now().toISOString();
      let modelCreated = false;
      let model = await trx.selectFrom('models').selectAll().where('org_id', '=', scope.orgId).where('name', '=', input.model).executeTakeFirst();
      if (!model) {
        model = {
          id: newId(),
          org_id: scope.orgId,
          name: input.model,
          description: body.description ?? '',
          risk_tier: body.riskTier ?? null,
          owners_json: JSON.stringify([ctx.actor.userName]),
          tags_json: JSON.stringify(body.tags ?? []),
          created_at: now,
          created_by: ctx.actor.userName,
        };
        await trx.insertInto('models').values(model).execute();
        // Its creator owns it (per-model role, docs/authorization.md); model.created records who.
        await trx.insertInto('model_role_grants').values({ org_id: scope.orgId, model_id: model.id, user_id: ctx.actor.userId, role: 'owner', granted_by: ctx.actor.userName, granted_at: now }).execute();
        await audit(trx, ctx, { orgId: scope.orgId, action: 'model.created', targetType: 'model', targetId: model.id, details: { model: `${input.org}/${input.model}` } });
        modelCreated = true;
      }
      const existing = await trx.selectFrom('model_versions').selectAll().where('model_id', '=', model.id).where('version', '=', body.version).executeTakeFirst();
      if (existing) {
        // The OMS root digest covers file digests in order, not names, so compare the file list too.
        const existingFiles = (JSON.parse(existing.manifest_json) as { files: unknown }).files;
        if (existing.manifest_digest !== manifest.rootDigest || JSON.stringify(existingFiles) !== JSON.stringify(manifest.files)) {
          throw new StewardError('version_exists', `${input.org}/${input.model}@${body.version} already exists with different content (manifest sha256:${existing.manifest_digest}); versions are immutable, push a new version`, {
            existingDigest: existing.manifest_digest,
            pushedDigest: manifest.rootDigest,
          });
        }
        return { created: false, modelCreated, version: await versionView(trx, input.org, scope.orgId, model, existing) };
      }
      const versionRow = {
        id: newId(),
        model_id: model.id,
        version: body.version,
        manifest_digest: manifest.rootDigest,
        manifest_json: manifestJson,
        file_count: manifest.files.length,
        total_size: totalSize,
        source_repo: body.sourceRepo ?? null,
        source_commit: body.sourceCommit?.toLowerCase() ?? null,
        source_commit_at: body.sourceCommitTime ? new Date(body.sourceCommitTime).toISOString() : null,
        base_version_id: baseVersionId,
        card_json: card ? JSON.stringify(card) : null,
        created_at: now,
        created_by: ctx.actor.userName,
      };
      await trx.insertInto('model_versions').values(versionRow).execute();
      for (let i = 0; i < manifest.files.length; i += FILE_INSERT_CHUNK) {
        await trx
          .insertInto('version_files')
          .values(manifest.files.slice(i, i + FILE_INSERT_CHUNK).map((f) => ({ version_id: versionRow.id, path: f.path, size: f.size, sha256: f.sha256 })))
          .execute();
      }
      if (datasetIds.length > 0) {
        const unique = new Map(datasetIds.map((d) => [`${d.id}/${d.relation}`, d]));
        await trx
          .insertInto('version_datasets')
          .values([...unique.values()].map((d) => ({ version_id: versionRow.id, dataset_id: d.id, relation: d.relation })))
          .execute();
      }
      await requestScan(trx, { versionId: versionRow.id, orgId: scope.orgId, trigger: 'push', requestedBy: ctx.actor.userName, now });
      await audit(trx, ctx, {
        orgId: scope.orgId,
        action: 'version.pushed',
        targetType: 'model_version',
        targetId: versionRow.id,
        details: {
          model: `${input.org}/${input.model}`,
          version: body.version,
          manifestDigest: manifest.rootDigest,
          files: manifest.files.length,
          totalSize,
          datasets: body.datasets,
          baseModel: body.baseModel ?? null,
          sourceRepo: body.sourceRepo ?? null,
          sourceCommit: body.sourceCommit ?? null,
          cardProblems: card?.problems.length ?? null,
        },
      });
      return { created: true, modelCreated, version: await versionView(trx, input.org, scope.orgId, model, versionRow) };
    });

  let result: PushVersionResult;
  try {
    result = await attempt();
  } catch (err) {
    // A concurrent push of the same model or version won the race: re-run, which now sees its row.
    if (!isUniqueViolation(err)) throw err;
    result = await attempt();
  }
  // The scan row was committed with the version; the response does not wait for the scan.
  if (result.created) ctx.scans.wake();
  return result;
}
