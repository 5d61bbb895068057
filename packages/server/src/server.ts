import { cedarAuthorizer } from './authz/cedar.js';
import fs from 'node:fs';
import type { AddressInfo } from 'node:net';
import type { FastifyInstance } from 'fastify';
import { createBlobStore } from './blobs/index.js';
import type { ServerConfig } from './config.js';
import { openDatabase } from './db/database.js';
import { buildApp } from './http/app.js';
import { bootstrap } from './services/bootstrap.js';
import { escalateOverdue } from './promotion/escalation.js';
import { collectGarbage } from './services/run-gc.js';
import type { Deps } from './services/context.js';
import { EventBus } from './events.js';
import { ScanQueue } from './scanning/queue.js';
import { defaultEngine, type ScanEngine } from '@steward/scanner';
import { LedgerKeyring, loadMasterKey } from './ledger/keys.js';
import { Checkpointer } from './ledger/log.js';
import { backfillLedger } from './ledger/append.js';
import { Webhooks } from './webhooks/runtime.js';
import { Telemetry } from './telemetry/runtime.js';
import { AlertEvaluator } from './alerts/evaluator.js';

/** How long shutdown waits for in-flight requests before closing their connections. */
const SHUTDOWN_GRACE_MS = 5_000;

export interface RunningServer {
  url: string;
  app: FastifyInstance;
  deps: Deps;
  scans: ScanQueue;
  webhooks: Webhooks;
  telemetry: Telemetry;
  alerts: AlertEvaluator;
  /** The admin token when this start generated it (print once); null otherwise. */
  generatedToken: string | null;
  close(): Promise<void>;
}

/** Opens storage, migrates, bootstraps an empty database, listens, and schedules garbage collection. */
export async function startServer(config: ServerConfig, opts: { log?: (line: string) => void; logger?: boolean; scanEngine?: ScanEngine } = {}): Promise<RunningServer> {
  const log = opts.log ?? ((line: string) => process.stderr.write(line + '\n'));
  // The authorization policies are loaded, validated against their schema and pre-parsed before anything else: a bad policy stops the boot.
  cedarAuthorizer();
  fs.mkdirSync(config.dataDir, { recursive: true });
  const store = await openDatabase(config.database);
  const blobs = await createBlobStore(config.blobs).catch(async (err) => {
    await store.close();
    throw err;
  });
  const now = () => new Date();
  const master = loadMasterKey(config);
  const keyring = await LedgerKeyring.open(store.db, master.key, config.ledgerName, now).catch(async (err) => {
    await blobs.close();
    await store.close();
    throw err;
  });
  const events = new EventBus();
  // Deps and the queue refer to each other: the queue runs scans with deps, services wake the queue.
  const scanRef: { queue: ScanQueue | null } = { queue: null };
  const webhookRef: { runtime: Webhooks | null } = { runtime: null };
  const alertRef: { evaluator: AlertEvaluator | null } = { evaluator: null };
  const telemetryLog = { error: (obj: object, msg: string) => process.stderr.write(`steward: ${msg}: ${String((obj as { err?: Error }).err?.message ?? '')}\n`) };
  const telemetry = new Telemetry({ db: store.db, dbKind: store.kind, now, config }, telemetryLog, (ids) => alertRef.evaluator?.wake(ids));
  const deps: Deps = { db: store.db, dbKind: store.kind, blobs, config, now, events, cache: store.cache, ledger: keyring, masterKey: master.key, scans: { wake: () => scanRef.queue?.wake() }, webhooks: { wake: () => webhookRef.runtime?.wake() }, telemetry, alerts: { wake: () => alertRef.evaluator?.wake() } };
  const boot = await bootstrap({ deps });
  const adopted = await backfillLedger(store.db, config.ledgerName);
  if (master.source === 'created') log(`steward: created the ledger master key in ${config.dataDir}/master.key (set STEWARD_MASTER_KEY to keep it elsewhere)`);
  const https = config.tlsCert && config.tlsKey ? { cert: fs.readFileSync(config.tlsCert), key: fs.readFileSync(config.tlsKey) } : undefined;
  const app = await buildApp(deps, {
    logger: opts.logger === false || config.logLevel === 'silent' ? false : { level: config.logLevel },
    https,
  });
  const checkpointer = new Checkpointer(store.db, keyring, now, config.checkpointIntervalMs, (err, logId) => app.log.error({ err, logId }, 'ledger checkpoint refused'));
  if (adopted > 0) app.log.info({ adopted }, 'adopted earlier audit events into the ledger');
  await checkpointer.tick();
  checkpointer.start();
  const queue = new ScanQueue(deps, opts.scanEngine ?? defaultEngine(), events, app.log);
  scanRef.queue = queue;
  await queue.start();
  const webhooks = new Webhooks(deps, app.log);
  webhookRef.runtime = webhooks;
  await webhooks.start();
  telemetry.start();
  const alerts = new AlertEvaluator(deps, app.log);
  alertRef.evaluator = alerts;
  alerts.start();
  await app.listen({ host: config.host, port: config.port });
  const addr = app.server.address() as AddressInfo;
  const host = addr.family === 'IPv6' ? `[${addr.address}]` : addr.address;
  const url = `${https ? 'https' : 'http'}://${host}:${addr.port}`;

  let gcTimer: NodeJS.Timeout | undefined;
  if (config.gcIntervalSeconds > 0) {
    gcTimer = setInterval(() => {
      collectGarbage(deps, { orgIds: 'all', actor: null }).catch((err) => app.log.error({ err }, 'scheduled gc failed'));
    }, config.gcIntervalSeconds * 1000);
    gcTimer.unref();
  }

  let escalationTimer: NodeJS.Timeout | undefined;
  if (config.escalationIntervalSeconds > 0) {
    escalationTimer = setInterval(() => {
      escalateOverdue(deps).catch((err) => app.log.error({ err }, 'escalating overdue promotion requests failed'));
    }, config.escalationIntervalSeconds * 1000);
    escalationTimer.unref();
  }

  if (boot.created) log(`steward: created org "default" and admin user "admin"`);
  if (boot.generatedToken) {
    log(`steward: admin API token (shown once, store it now): ${boot.generatedToken}`);
  }
  log(`steward: listening on ${url} (database: ${config.database.kind}, blobs: ${config.blobs.kind})`);

  return {
    url,
    app,
    deps,
    generatedToken: boot.generatedToken,
    scans: queue,
    webhooks,
    telemetry,
    alerts,
    close: async () => {
      if (gcTimer) clearInterval(gcTimer);
      if (escalationTimer) clearInterval(escalationTimer);
      // Let in-flight requests finish, but never wait on a connection that will not finish
      // (a client that stopped mid-request holds it until the 60 s headers timeout).
      const grace = setTimeout(() => app.server.closeAllConnections(), SHUTDOWN_GRACE_MS);
      try {
        await app.close();
      } finally {
        clearTimeout(grace);
      }
      await alerts.stop();
      await telemetry.stop().catch((err) => app.log.error({ err }, 'final telemetry flush failed'));
      await webhooks.stop();
      await queue.stop();
      await checkpointer.stop();
      await blobs.close();
      await store.close();
    },
  };
}
