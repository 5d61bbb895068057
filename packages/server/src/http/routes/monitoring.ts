import { z } from 'zod';
import {
  AlertListQuerySchema,
  AlertParamsSchema,
  AlertSchema,
  DatasetParamsSchema,
  DatasetProfileSchema,
  DeploymentSchema,
  DriftReportSchema,
  IncidentSchema,
  IngestResultSchema,
  ModelParamsSchema,
  MonitorQuerySchema,
  MonitorSummarySchema,
  OrgParamsSchema,
  OtlpIngestResultSchema,
  RegisterDeploymentBodySchema,
  SilenceAlertBodySchema,
  StewardError,
  TelemetryBatchEnvelopeSchema,
  TelemetrySamplesSchema,
  TelemetryBatchSchema,
} from '@steward/domain';
import { defineRoute } from '../route.js';
import { ingestTelemetry } from '../../services/ingest-telemetry.js';
import { ingestOtlp } from '../../services/ingest-otlp.js';
import { registerDeployment } from '../../services/register-deployment.js';
import { listDeployments } from '../../services/list-deployments.js';
import { getMonitorSummary } from '../../services/get-monitor-summary.js';
import { getDrift } from '../../services/get-drift.js';
import { listAlerts } from '../../services/list-alerts.js';
import { acknowledgeAlert } from '../../services/acknowledge-alert.js';
import { silenceAlert } from '../../services/silence-alert.js';
import { listIncidents } from '../../services/list-incidents.js';
import { attachDatasetProfile } from '../../services/attach-dataset-profile.js';
import { renderMetrics } from '../../services/render-metrics.js';
import { listTelemetrySamples } from '../../services/list-telemetry-samples.js';

const DriftQuerySchema = MonitorQuerySchema.extend({
  method: z.enum(['ks', 'chisquare', 'z', 'psi', 'wasserstein', 'jensenshannon']).optional().describe('Override the default test by type and size'),
  threshold: z.coerce.number().positive().optional(),
  share: z.coerce.number().min(0).max(1).optional().describe('Share of drifted features from which the dataset drifted (default 0.5)'),
  binning: z.enum(['evidently', 'reference-quantiles']).optional().describe('Numeric PSI and Jensen-Shannon: Evidently\'s equal-width bins (default) or bins of equal reference mass'),
});

/** ExportMetricsServiceResponse in protobuf: partial_success (1) { rejected_data_points (1), error_message (2) }. */
function otlpResponseProtobuf(r: { partialSuccess?: { rejectedDataPoints: number; errorMessage: string } }): Buffer {
  if (!r.partialSuccess) return Buffer.alloc(0);
  const msg = Buffer.from(r.partialSuccess.errorMessage, 'utf8');
  const varint = (n: number) => {
    const out: number[] = [];
    while (n > 127) {
      out.push((n & 127) | 128);
      n = Math.floor(n / 128);
    }
    out.push(n);
    return Buffer.from(out);
  };
  const inner = Buffer.concat([Buffer.from([0x08]), varint(r.partialSuccess.rejectedDataPoints), Buffer.from([0x12]), varint(msg.length), msg]);
  return Buffer.concat([Buffer.from([0x0a]), varint(inner.length), inner]);
}

export const monitoringRoutes = [
  defineRoute({
    method: 'POST',
    url: '/api/v1/orgs/:org/models/:model/telemetry',
    operationId: 'ingestTelemetry',
    summary: 'Send a batch of prediction records of one deployment (telemetry scope)',
    description: 'Features, output, label (or a later label joined by requestId), scores, group, latency, GPU memory, tokens. The whole batch is checked first; a bad record refuses it with its index and field, and nothing of it is kept.',
    tag: 'monitoring',
    params: ModelParamsSchema,
    body: TelemetryBatchEnvelopeSchema,
    documentedBody: TelemetryBatchSchema,
    response: { status: 202, schema: IngestResultSchema, description: 'Accepted; figures include it within one flush interval' },
    errors: [409, 413],
    handler: ({ ctx, input }) => ingestTelemetry({ ctx, input: { ...input.params, ...input.body } }),
  }),
  defineRoute({
    method: 'POST',
    url: '/v1/metrics',
    operationId: 'ingestOtlpMetrics',
    summary: 'OpenTelemetry OTLP/HTTP metrics export (application/x-protobuf or application/json; telemetry scope)',
    description: 'Resource attributes name the deployment: steward.model (ORG/NAME), steward.ring (default production), steward.version (default: the ring\'s version), deployment.environment.name (default production). GenAI semantic conventions are read by name (gen_ai.client.operation.duration, gen_ai.server.request.duration, gen_ai.client.token.usage); other gauges, sums and histograms are kept as otel:NAME series.',
    tag: 'monitoring',
    body: 'binary',
    response: { status: 200, schema: OtlpIngestResultSchema, description: 'ExportMetricsServiceResponse (protobuf for a protobuf request)' },
    errors: [413],
    handler: async ({ ctx, req, reply }) => {
      const type = String(req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
      const protobuf = type === 'application/x-protobuf' || type === 'application/protobuf';
      if (!protobuf && type !== 'application/json') throw new StewardError('bad_request', `content-type "${type}": OTLP/HTTP takes application/x-protobuf or application/json`);
      const r = await ingestOtlp({ ctx, input: { body: req.body, protobuf } });
      if (protobuf) {
        reply.type('application/x-protobuf').send(otlpResponseProtobuf(r));
        return undefined;
      }
      return r;
    },
  }),
  defineRoute({
    method: 'POST',
    url: '/api/v1/orgs/:org/models/:model/deployments',
    operationId: 'registerDeployment',
    summary: 'Register a deployment (version, ring, environment) and its drift reference',
    tag: 'monitoring',
    params: ModelParamsSchema,
    body: RegisterDeploymentBodySchema,
    response: { status: 201, schema: z.object({ created: z.boolean(), deployment: DeploymentSchema }), description: 'Registered (201) or updated (200)' },
    errors: [409, 422],
    handler: async ({ ctx, input, reply }) => {
      const r = await registerDeployment({ ctx, input: { ...input.params, ...input.body } });
      reply.code(r.created ? 201 : 200);
      return r;
    },
  }),
  defineRoute({
    method: 'GET',
    url: '/api/v1/orgs/:org/models/:model/deployments',
    operationId: 'listDeployments',
    summary: 'Deployments of the model, most recently seen first',
    tag: 'monitoring',
    params: ModelParamsSchema,
    response: { status: 200, schema: z.object({ items: z.array(DeploymentSchema) }), description: 'Deployments' },
    handler: async ({ ctx, input }) => ({ items: await listDeployments({ ctx, input: input.params }) }),
  }),
  defineRoute({
    method: 'GET',
    url: '/api/v1/orgs/:org/models/:model/monitor',
    operationId: 'getMonitorSummary',
    summary: 'Monitored figures of a deployment over a window, drift per feature, trends and open alerts',
    tag: 'monitoring',
    params: ModelParamsSchema,
    query: MonitorQuerySchema,
    response: { status: 200, schema: MonitorSummarySchema, description: 'The summary' },
    handler: ({ ctx, input }) => getMonitorSummary({ ctx, input: { ...input.params, ...input.query } }),
  }),
  defineRoute({
    method: 'GET',
    url: '/api/v1/orgs/:org/models/:model/telemetry/samples',
    operationId: 'listTelemetrySamples',
    summary: 'The deployment\'s reservoir of raw records (a uniform sample, capped), oldest first',
    tag: 'monitoring',
    params: ModelParamsSchema,
    query: MonitorQuerySchema.pick({ ring: true, environment: true, version: true }),
    response: { status: 200, schema: TelemetrySamplesSchema, description: 'The sample' },
    handler: ({ ctx, input }) => listTelemetrySamples({ ctx, input: { ...input.params, ...input.query } }),
  }),
  defineRoute({
    method: 'GET',
    url: '/api/v1/orgs/:org/models/:model/drift',
    operationId: 'getDrift',
    summary: 'Drift per feature (and of the output) against the deployment\'s reference',
    tag: 'monitoring',
    params: ModelParamsSchema,
    query: DriftQuerySchema,
    response: { status: 200, schema: DriftReportSchema, description: 'Drift report' },
    handler: ({ ctx, input }) => getDrift({ ctx, input: { ...input.params, ...input.query } }),
  }),
  defineRoute({
    method: 'GET',
    url: '/api/v1/orgs/:org/alerts',
    operationId: 'listAlerts',
    summary: 'Alert instances of the org (open ones unless all=true)',
    tag: 'monitoring',
    params: OrgParamsSchema,
    query: AlertListQuerySchema,
    response: { status: 200, schema: z.object({ items: z.array(AlertSchema) }), description: 'Alerts' },
    handler: async ({ ctx, input }) => ({ items: await listAlerts({ ctx, input: { org: input.params.org, model: input.query.model, state: input.query.state, all: input.query.all === 'true' } }) }),
  }),
  defineRoute({
    method: 'POST',
    url: '/api/v1/orgs/:org/alerts/:alert/ack',
    operationId: 'acknowledgeAlert',
    summary: 'Acknowledge a pending or firing alert',
    tag: 'monitoring',
    params: AlertParamsSchema,
    body: z.object({}).strict(),
    response: { status: 200, schema: AlertSchema, description: 'The alert' },
    errors: [409],
    handler: ({ ctx, input }) => acknowledgeAlert({ ctx, input: input.params }),
  }),
  defineRoute({
    method: 'POST',
    url: '/api/v1/orgs/:org/alerts/:alert/silence',
    operationId: 'silenceAlert',
    summary: 'Silence an alert until a time, with a reason (transitions are still recorded; nobody is notified)',
    tag: 'monitoring',
    params: AlertParamsSchema,
    body: SilenceAlertBodySchema,
    response: { status: 200, schema: AlertSchema, description: 'The alert' },
    handler: ({ ctx, input }) => silenceAlert({ ctx, input: { ...input.params, ...input.body } }),
  }),
  defineRoute({
    method: 'GET',
    url: '/api/v1/orgs/:org/incidents',
    operationId: 'listIncidents',
    summary: 'Incidents of the org, newest first',
    tag: 'monitoring',
    params: OrgParamsSchema,
    response: { status: 200, schema: z.object({ items: z.array(IncidentSchema) }), description: 'Incidents' },
    handler: async ({ ctx, input }) => ({ items: await listIncidents({ ctx, input: input.params }) }),
  }),
  defineRoute({
    method: 'PUT',
    url: '/api/v1/orgs/:org/datasets/:dataset/versions/:version/profile',
    operationId: 'attachDatasetProfile',
    summary: 'Attach a dataset version\'s profile (per-feature sketches from `steward profile`), the drift reference',
    tag: 'monitoring',
    params: DatasetParamsSchema,
    body: DatasetProfileSchema,
    response: { status: 200, schema: z.object({ dataset: z.string(), rows: z.number().int(), features: z.number().int(), sha256: z.string() }), description: 'Attached' },
    handler: ({ ctx, input }) => attachDatasetProfile({ ctx, input: { org: input.params.org, name: input.params.dataset, version: input.params.version, profile: input.body } }),
  }),
  defineRoute({
    method: 'GET',
    url: '/metrics',
    operationId: 'getMetrics',
    summary: 'Prometheus text exposition: server health and monitored figures by org, model, version, ring, environment',
    tag: 'monitoring',
    response: { status: 200, schema: 'text', description: 'text/plain; version=0.0.4' },
    handler: async ({ ctx, reply }) => {
      const text = await renderMetrics({ ctx, input: {} });
      reply.type('text/plain; version=0.0.4; charset=utf-8').send(text);
      return undefined;
    },
  }),
];
