import type { Lineage } from '@steward/domain';
import { authorize, type ServiceContext } from './context.js';
import { findModel, resolveVersion } from './views.js';

/** Far more than any real lineage; bounds the walk if the data is ever cyclic or enormous. */
const MAX_NODES = 2000;

type Node = Lineage['nodes'][number];
type Edge = Lineage['edges'][number];

/**
 * The version's ancestry (datasets it was trained/evaluated on, the base model version it derives
 * from, recursively, with their datasets) and its descendants (versions derived from it, recursively).
 * Versions in orgs the caller cannot read appear as restricted nodes.
 */
export async function getLineage({ ctx, input }: { ctx: ServiceContext; input: { org: string; model: string; ref: string } }): Promise<Lineage> {
  const scope = authorize(ctx, input.org, 'model.read', { model: input.model });
  const model = await findModel(ctx.db, scope.orgId, input.model);
  const root = await resolveVersion(ctx.db, scope.orgId, model, input.ref);
  const nodes = new Map<string, Node>();
  const edges: Edge[] = [];
  const commits: Lineage['sourceCommits'] = [];
  const readableOrgs = new Set([...ctx.actor.memberships.values()].map((m) => m.orgId));

  const addVersionNode = async (versionId: string): Promise<{ readable: boolean; baseVersionId: string | null } | null> => {
    const v = await ctx.db
      .selectFrom('model_versions as v')
      .innerJoin('models as m', 'm.id', 'v.model_id')
      .innerJoin('orgs as o', 'o.id', 'm.org_id')
      .select(['v.id', 'v.version', 'v.manifest_digest', 'v.source_repo', 'v.source_commit', 'v.base_version_id', 'm.name as model', 'o.name as org', 'o.id as org_id', 'v.created_at'])
      .where('v.id', '=', versionId)
      .executeTakeFirst();
    if (!v) return null;
    const readable = readableOrgs.has(v.org_id);
    const label = readable ? `${v.org}/${v.model}@${v.version}` : '(restricted)';
    nodes.set(`v:${v.id}`, {
      id: `v:${v.id}`,
      kind: 'model_version',
      label,
      detail: readable ? { org: v.org, model: v.model, version: v.version, manifestDigest: v.manifest_digest, createdAt: v.created_at } : {},
    });
    if (readable && v.source_commit) commits.push({ version: label, repo: v.source_repo, commit: v.source_commit });
    return { readable, baseVersionId: readable ? v.base_version_id : null };
  };

  const addDatasets = async (versionId: string) => {
    const ds = await ctx.db
      .selectFrom('version_datasets as vd')
      .innerJoin('datasets as d', 'd.id', 'vd.dataset_id')
      .select(['d.id', 'd.name', 'd.version', 'd.license', 'd.sensitivity', 'd.source_uri', 'd.digest', 'vd.relation'])
      .where('vd.version_id', '=', versionId)
      .orderBy('d.name')
      .execute();
    for (const d of ds) {
      nodes.set(`d:${d.id}`, {
        id: `d:${d.id}`,
        kind: 'dataset',
        label: `${d.name}@${d.version}`,
        detail: { name: d.name, version: d.version, license: d.license, sensitivity: d.sensitivity, sourceUri: d.source_uri, digest: d.digest },
      });
      edges.push({ from: `v:${versionId}`, to: `d:${d.id}`, relation: d.relation as Edge['relation'] });
    }
  };

  // Ancestors: follow derived_from up the chain.
  let current: string | null = root.id;
  const seen = new Set<string>();
  while (current && !seen.has(current) && nodes.size < MAX_NODES) {
    seen.add(current);
    const info = await addVersionNode(current);
    if (!info) break;
    if (!info.readable) break;
    await addDatasets(current);
    if (info.baseVersionId) edges.push({ from: `v:${current}`, to: `v:${info.baseVersionId}`, relation: 'derived_from' });
    current = info.baseVersionId;
  }

  // Descendants: breadth-first over versions whose base is in the frontier.
  let frontier = [root.id];
  while (frontier.length > 0 && nodes.size < MAX_NODES) {
    const children = await ctx.db.selectFrom('model_versions').select(['id', 'base_version_id']).where('base_version_id', 'in', frontier).execute();
    const next: string[] = [];
    for (const c of children) {
      if (seen.has(c.id)) continue;
      seen.add(c.id);
      const info = await addVersionNode(c.id);
      edges.push({ from: `v:${c.id}`, to: `v:${c.base_version_id}`, relation: 'derived_from' });
      if (info?.readable) {
        await addDatasets(c.id);
        next.push(c.id);
      }
    }
    frontier = next;
  }
  return { root: `v:${root.id}`, nodes: [...nodes.values()], edges, sourceCommits: commits };
}
