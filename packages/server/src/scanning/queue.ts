import { type ScanEngine, scanSources, SCANNER_VERSION } from '@steward/scanner';
import type { FastifyBaseLogger } from 'fastify';
import type { Deps } from '../services/context.js';
import { audit, newId, parseJson, type Tx } from '../services/context.js';
import type { EventBus } from '../events.js';
import { BlobByteSource } from './blob-source.js';
import { orgAllowlist } from './scan-view.js';
import { computeEvaluation, orgRings, storeEvaluation } from '../policy/evaluations.js';

/** Records a pending scan inside the caller's transaction; the queue picks it up after commit. */
export async function requestScan(trx: Tx, input: { versionId: string; orgId: string; trigger: 'push' | 'rescan'; requestedBy: string; now: string }): Promise<string> {
  const id = newId();
  await trx
    .insertInto('scan_reports')
    .values({
      id,
      version_id: input.versionId,
      status: 'pending',
      trigger: input.trigger,
      verdict: null,
      summary_json: null,
      report_json: null,
      allowlist_json: JSON.stringify(await orgAllowlist(trx, input.orgId)),
      scanner_version: null,
      error: null,
      requested_at: input.now,
      requested_by: input.requestedBy,
      started_at: null,
      finished_at: null,
    })
    .execute();
  return id;
}

/**
 * Runs scans in the background, one at a time, from the `scan_reports` table: pending rows are the
 * queue, so a scan requested before a crash still runs after the restart. Several servers on one
 * Postgres share the work: claiming is a conditional update, so each scan runs once.
 */
export class ScanQueue {
  private loop: Promise<void> | null = null;
  private again = false;
  private stopped = false;

  constructor(
    private readonly deps: Deps,
    private readonly engine: ScanEngine,
    private readonly events: EventBus,
    private readonly log: FastifyBaseLogger | null,
  ) {}

  /** Resets scans a crashed process left running, then starts working. */
  async start(): Promise<void> {
    await this.deps.db.updateTable('scan_reports').set({ status: 'pending', started_at: null }).where('status', '=', 'running').execute();
    this.wake();
  }

  wake(): void {
    if (this.stopped) return;
    if (this.loop) {
      this.again = true;
      return;
    }
    this.loop = this.drain().finally(() => {
      this.loop = null;
      if (this.again && !this.stopped) {
        this.again = false;
        this.wake();
      }
    });
  }

  /** Resolves when nothing is pending or running (tests, shutdown). */
  async idle(): Promise<void> {
    while (this.loop) await this.loop;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.idle();
  }

  private async drain(): Promise<void> {
    for (;;) {
      if (this.stopped) return;
      const job = await this.claim();
      if (!job) return;
      await this.run(job).catch((err) => this.log?.error({ err, scan: job }, 'scan bookkeeping failed'));
    }
  }

  private async claim(): Promise<string | null> {
    for (;;) {
      const next = await this.deps.db.selectFrom('scan_reports').select('id').where('status', '=', 'pending').orderBy('requested_at').limit(1).executeTakeFirst();
      if (!next) return null;
      const r = await this.deps.db
        .updateTable('scan_reports')
        .set({ status: 'running', started_at: this.deps.now().toISOString() })
        .where('id', '=', next.id)
        .where('status', '=', 'pending')
        .executeTakeFirst();
      if (Number(r.numUpdatedRows) === 1) return next.id;
    }
  }

  /**
   * The push-time policy gate: with the scan's verdicts in, the version is judged for every ring
   * against the org's active policy set, in the transaction that records the scan (no scan without
   * its evaluations). Nothing happens when the org has pushed no policy set.
   */
  private async evaluatePolicies(trx: Tx, orgId: string, orgName: string, versionId: string, trigger: 'push' | 'rescan'): Promise<void> {
    const version = await trx.selectFrom('model_versions').selectAll().where('id', '=', versionId).executeTakeFirstOrThrow();
    const model = await trx.selectFrom('models').selectAll().where('id', '=', version.model_id).executeTakeFirstOrThrow();
    const subject = { orgId, orgName, model, version };
    const rings = await orgRings(trx, orgId);
    // Judge first, then write: a policy that cannot be evaluated must not cost the scan its record.
    const computed = [];
    try {
      for (const ring of rings.length > 0 ? rings : [null]) {
        const c = await computeEvaluation(trx, subject, { targetRing: ring, now: this.deps.now() });
        if (!c) return;
        computed.push(c);
      }
    } catch (err) {
      this.log?.error({ err, versionId }, 'policy evaluation after scan failed');
      return;
    }
    for (const c of computed) await storeEvaluation(trx, this.deps, subject, c, { trigger, evaluatedBy: 'steward-server' });
  }

  private async run(scanId: string): Promise<void> {
    const db = this.deps.db;
    const job = await db
      .selectFrom('scan_reports as s')
      .innerJoin('model_versions as v', 'v.id', 's.version_id')
      .innerJoin('models as m', 'm.id', 'v.model_id')
      .innerJoin('orgs as o', 'o.id', 'm.org_id')
      .select(['s.id', 's.trigger', 's.allowlist_json', 'v.id as version_id', 'v.version', 'v.manifest_json', 'm.name as model', 'o.name as org', 'o.id as org_id'])
      .where('s.id', '=', scanId)
      .executeTakeFirstOrThrow();
    const files = (JSON.parse(job.manifest_json) as { files: { path: string; size: number; sha256: string }[] }).files;
    const allow = parseJson<string[]>(job.allowlist_json, []);
    let outcome: { status: 'done'; verdict: string; summary: unknown; report: unknown } | { status: 'failed'; error: string };
    try {
      const report = await scanSources(
        this.engine,
        files.map((f) => ({ source: new BlobByteSource(this.deps.blobs, f.sha256, f.size), path: f.path, sha256: f.sha256 })),
        { allow },
      );
      outcome = { status: 'done', verdict: report.verdict, summary: report.summary, report };
    } catch (err) {
      outcome = { status: 'failed', error: (err as Error).message };
      this.log?.error({ err, scanId }, 'scan failed');
    }
    const finishedAt = this.deps.now().toISOString();
    await db.transaction().execute(async (trx) => {
      await trx
        .updateTable('scan_reports')
        .set(
          outcome.status === 'done'
            ? { status: 'done', verdict: outcome.verdict, summary_json: JSON.stringify(outcome.summary), report_json: JSON.stringify(outcome.report), scanner_version: SCANNER_VERSION, finished_at: finishedAt }
            : { status: 'failed', error: outcome.error, scanner_version: SCANNER_VERSION, finished_at: finishedAt },
        )
        .where('id', '=', scanId)
        .execute();
      await audit(trx, this.deps, {
        orgId: job.org_id,
        action: outcome.status === 'done' ? 'version.scanned' : 'version.scan_failed',
        targetType: 'model_version',
        targetId: job.version_id,
        details: {
          model: `${job.org}/${job.model}`,
          version: job.version,
          scanId,
          trigger: job.trigger,
          ...(outcome.status === 'done' ? { verdict: outcome.verdict, summary: outcome.summary } : { error: outcome.error }),
        },
      }, finishedAt);
      if (outcome.status === 'done') await this.evaluatePolicies(trx, job.org_id, job.org, job.version_id, job.trigger === 'rescan' ? 'rescan' : 'push');
    });
    if (outcome.status === 'done') {
      this.events.emit('version.scanned', { org: job.org, model: job.model, version: job.version, versionId: job.version_id, scanId, verdict: outcome.verdict, trigger: job.trigger });
    }
  }
}
