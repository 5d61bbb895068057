/**
 * SLSA provenance v1 of a stored version, from what the registry recorded at push: the training
 * run is the build (buildType model-training/v1, see @steward/attest provenance.ts), the model's
 * manifest root digest the subject; datasets (source URI, digest when registered), the base model
 * version (its manifest digest) and the code (repository + commit) are the resolved
 * dependencies; the card's model-index results are byproducts. The registry did not watch the
 * run, so nothing is claimed about when it ran: no start or finish time.
 */
import {
  buildSlsaProvenance,
  gitDependencyUri,
  type InTotoResourceDescriptor,
  type ProvenanceInput,
  type SlsaProvenanceStatement,
} from '@steward/attest';
import type { ModelIndexEntry } from '@steward/modelcard';
import type { Kysely } from 'kysely';
import type { DB, ModelsTable, ModelVersionsTable } from '../db/schema.js';
import { parseJson, type Tx } from '../services/context.js';

/** builder.id when the caller names none: the registry vouching for what was pushed to it. */
export const REGISTRY_BUILDER_ID = 'https://steward.dev/builders/registry/v1';

const FULL_COMMIT = /^(?:[0-9a-f]{40}|[0-9a-f]{64})$/;

interface DatasetDep {
  name: string;
  version: string;
  relation: string;
  source_uri: string;
  digest: string | null;
  license: string;
}

function evaluationsOf(card: { metadata?: { modelIndex?: ModelIndexEntry[] } } | null): NonNullable<ProvenanceInput['evaluations']> {
  const out: NonNullable<ProvenanceInput['evaluations']> = [];
  for (const entry of card?.metadata?.modelIndex ?? []) {
    for (const r of entry.results ?? []) {
      const metrics: Record<string, number | string> = {};
      for (const m of r.metrics ?? []) {
        if (typeof m.value === 'number' || typeof m.value === 'string') metrics[m.name ?? m.type] = m.value;
      }
      if (Object.keys(metrics).length === 0) continue;
      const d = r.dataset;
      const on = d ? ` on ${[d.name ?? d.type, d.config, d.split].filter(Boolean).join(' / ')}` : '';
      const url = r.source?.url;
      out.push({ name: `${entry.name}: ${r.task?.type ?? 'evaluation'}${on}`, metrics, ...(url && /^[a-z][a-z0-9+.-]*:\S+$/i.test(url) ? { uri: url } : {}) });
    }
  }
  return out;
}

export async function buildVersionProvenance(
  db: Kysely<DB> | Tx,
  org: { id: string; name: string },
  model: ModelsTable,
  v: ModelVersionsTable,
  opts: { builderId?: string | undefined; stewardVersion: string },
): Promise<SlsaProvenanceStatement> {
  const datasets: DatasetDep[] = await db
    .selectFrom('version_datasets as vd')
    .innerJoin('datasets as d', 'd.id', 'vd.dataset_id')
    .select(['d.name', 'd.version', 'vd.relation', 'd.source_uri', 'd.digest', 'd.license'])
    .where('vd.version_id', '=', v.id)
    .orderBy('vd.relation')
    .orderBy('d.name')
    .orderBy('d.version')
    .execute();
  const baseModels: NonNullable<ProvenanceInput['baseModels']> = [];
  if (v.base_version_id) {
    const b = await db
      .selectFrom('model_versions as bv')
      .innerJoin('models as bm', 'bm.id', 'bv.model_id')
      .innerJoin('orgs as bo', 'bo.id', 'bm.org_id')
      .select(['bo.name as org', 'bm.name as name', 'bv.version', 'bv.manifest_digest'])
      .where('bv.id', '=', v.base_version_id)
      .executeTakeFirstOrThrow();
    baseModels.push({ org: b.org, name: b.name, version: b.version, rootDigest: b.manifest_digest });
  }
  const commit = v.source_commit?.toLowerCase() ?? null;
  const fullSource = v.source_repo && commit && FULL_COMMIT.test(commit) ? { repository: v.source_repo, commit } : undefined;

  const statement = buildSlsaProvenance({
    model: { org: org.name, name: model.name, version: v.version, rootDigest: v.manifest_digest },
    ...(fullSource ? { source: fullSource } : {}),
    datasets: datasets.map((d) => ({ name: `${d.name}@${d.version}`, uri: d.source_uri, ...(d.digest?.startsWith('sha256:') ? { sha256: d.digest.slice(7) } : {}) })),
    baseModels,
    internalParameters: { registry: { version: v.id, pushedBy: v.created_by, pushedAt: v.created_at, files: Number(v.file_count), totalSize: Number(v.total_size) } },
    builder: { id: opts.builderId ?? REGISTRY_BUILDER_ID, version: { steward: opts.stewardVersion } },
    run: { invocationId: v.id },
    evaluations: evaluationsOf(parseJson(v.card_json, null)),
  });

  const def = statement.predicate.buildDefinition;
  const deps: InTotoResourceDescriptor[] = def.resolvedDependencies ?? [];
  // Dataset dependencies say how the model used them (trained_on, evaluated_on, ...).
  for (const d of datasets) {
    const dep = deps.find((x) => x.name === `${d.name}@${d.version}`);
    if (dep) dep.annotations = { relation: d.relation, license: d.license };
  }
  // An abbreviated commit (pushes accept 7+ hex digits) is not a digest: recorded by URI only.
  if (!fullSource && (v.source_repo || commit)) {
    def.externalParameters.source = { ...(v.source_repo ? { repository: v.source_repo } : {}), ...(commit ? { commit } : {}) };
    if (v.source_repo) deps.unshift({ uri: commit ? gitDependencyUri(v.source_repo, commit) : v.source_repo, ...(commit ? { annotations: { commit, note: 'abbreviated commit id, as pushed' } } : {}) });
  }
  def.resolvedDependencies = deps;
  return statement;
}
