import { z } from 'zod';
import {
  CheckRunBodySchema,
  CheckRunSchema,
  CreateWaiverBodySchema,
  DatasetParamsSchema,
  EvaluateVersionBodySchema,

  NameSchema,
  OrgParamsSchema,
  PiiReportBodySchema,
  PiiReportSchema,
  PolicyEvaluationSchema,
  PolicyEvaluationsQuerySchema,
  PolicySetParamsSchema,
  PolicySetSchema,
  PolicyWaiverSchema,
  PushPolicySetBodySchema,
  PushPolicySetResponseSchema,
  RingNameSchema,
  VersionParamsSchema,
  WaiverParamsSchema,
} from '@steward/domain';
import { GovernanceRecordSchema } from '@steward/policy';
import { defineRoute } from '../route.js';
import { pushPolicySet } from '../../services/push-policy-set.js';
import { listPolicySets } from '../../services/list-policy-sets.js';
import { getPolicySet } from '../../services/get-policy-set.js';
import { evaluateVersionPolicy } from '../../services/evaluate-version-policy.js';
import { listPolicyEvaluations } from '../../services/list-policy-evaluations.js';
import { getGovernanceRecord } from '../../services/get-governance-record.js';
import { createWaiver } from '../../services/create-waiver.js';
import { listWaivers } from '../../services/list-waivers.js';
import { revokeWaiver } from '../../services/revoke-waiver.js';
import { reportCheckRun } from '../../services/report-check-run.js';
import { listCheckRuns } from '../../services/list-check-runs.js';
import { attachPiiReport } from '../../services/attach-pii-report.js';
import { getPiiReport } from '../../services/get-pii-report.js';

const PolicySetWithFilesSchema = PolicySetSchema.extend({ fileTexts: z.array(z.object({ path: z.string(), sha256: z.string(), text: z.string() })) });
const RingQuerySchema = z.object({ ring: RingNameSchema.optional().describe('Judge for this ring (default: the push-time checks, no ring)') });

export const policyRoutes = [
  defineRoute({
    method: 'POST',
    url: '/api/v1/orgs/:org/policy-sets',
    operationId: 'pushPolicySet',
    summary: 'Lint policy files and make them the org\'s active policy set (stored by digest)',
    description: 'Files that do not lint are refused (400 validation_failed) with every diagnostic (file, rule, line, column). Pushing an older set again re-activates it.',
    tag: 'policy',
    params: OrgParamsSchema,
    body: PushPolicySetBodySchema,
    response: { status: 201, schema: PushPolicySetResponseSchema, description: 'Stored (201) or already stored and now active (200)' },
    handler: async ({ ctx, input, reply }) => {
      const r = await pushPolicySet({ ctx, input: { org: input.params.org, files: input.body.files, params: input.body.params, comment: input.body.comment } });
      reply.code(r.created ? 201 : 200);
      return r;
    },
  }),
  defineRoute({
    method: 'GET',
    url: '/api/v1/orgs/:org/policy-sets',
    operationId: 'listPolicySets',
    summary: 'The org\'s policy sets, newest first, with who pushed them and when',
    tag: 'policy',
    params: OrgParamsSchema,
    response: { status: 200, schema: z.object({ items: z.array(PolicySetSchema) }), description: 'Policy sets' },
    handler: ({ ctx, input }) => listPolicySets({ ctx, input: input.params }),
  }),
  defineRoute({
    method: 'GET',
    url: '/api/v1/orgs/:org/policy-sets/active',
    operationId: 'getActivePolicySet',
    summary: 'The active policy set with its files',
    tag: 'policy',
    params: OrgParamsSchema,
    response: { status: 200, schema: PolicySetWithFilesSchema, description: 'The active set' },
    handler: ({ ctx, input }) => getPolicySet({ ctx, input: { org: input.params.org, digest: 'active' } }),
  }),
  defineRoute({
    method: 'GET',
    url: '/api/v1/orgs/:org/policy-sets/:digest',
    operationId: 'getPolicySet',
    summary: 'One policy set by digest, with its files',
    tag: 'policy',
    params: PolicySetParamsSchema,
    response: { status: 200, schema: PolicySetWithFilesSchema, description: 'The set' },
    handler: ({ ctx, input }) => getPolicySet({ ctx, input: input.params }),
  }),
  defineRoute({
    method: 'POST',
    url: '/api/v1/orgs/:org/models/:model/versions/:ref/policy/evaluate',
    operationId: 'evaluateVersionPolicy',
    summary: 'Evaluate a version for a ring against the active policy set, now',
    description: 'Stored with an audit event; `record: false` is a dry run that needs only read access. 409 when the org has no policy set.',
    tag: 'policy',
    params: VersionParamsSchema,
    body: EvaluateVersionBodySchema,
    response: { status: 200, schema: PolicyEvaluationSchema, description: 'The evaluation (outcome, blocking rules, every rule result)' },
    errors: [409],
    handler: ({ ctx, input }) => evaluateVersionPolicy({ ctx, input: { ...input.params, ring: input.body.ring, record: input.body.record } }),
  }),
  defineRoute({
    method: 'GET',
    url: '/api/v1/orgs/:org/models/:model/versions/:ref/policy/evaluations',
    operationId: 'listPolicyEvaluations',
    summary: 'Stored policy evaluations of a version (newest per ring by default)',
    tag: 'policy',
    params: VersionParamsSchema,
    query: PolicyEvaluationsQuerySchema,
    response: { status: 200, schema: z.object({ items: z.array(PolicyEvaluationSchema) }), description: 'Evaluations, newest first' },
    handler: ({ ctx, input }) => listPolicyEvaluations({ ctx, input: { ...input.params, ring: input.query.ring, latest: input.query.latest } }),
  }),
  defineRoute({
    method: 'GET',
    url: '/api/v1/orgs/:org/models/:model/versions/:ref/governance-record',
    operationId: 'getGovernanceRecord',
    summary: 'The governance record policies judge (docs/governance-record.schema.json)',
    tag: 'policy',
    params: VersionParamsSchema,
    query: RingQuerySchema,
    response: { status: 200, schema: GovernanceRecordSchema, description: 'The record' },
    handler: ({ ctx, input }) => getGovernanceRecord({ ctx, input: { ...input.params, ring: input.query.ring ?? null } }),
  }),
  defineRoute({
    method: 'POST',
    url: '/api/v1/orgs/:org/models/:model/versions/:ref/waivers',
    operationId: 'createWaiver',
    summary: 'Waive one rule (or rule glob) for one version, with reason and expiry (reviewers, admins; not the pusher)',
    tag: 'policy',
    params: VersionParamsSchema,
    body: CreateWaiverBodySchema,
    response: { status: 201, schema: PolicyWaiverSchema, description: 'The waiver' },
    handler: async ({ ctx, input, reply }) => {
      const r = await createWaiver({ ctx, input: { ...input.params, ...input.body } });
      reply.code(201);
      return r;
    },
  }),
  defineRoute({
    method: 'GET',
    url: '/api/v1/orgs/:org/models/:model/versions/:ref/waivers',
    operationId: 'listWaivers',
    summary: 'Waivers of a version, including revoked and expired ones',
    tag: 'policy',
    params: VersionParamsSchema,
    response: { status: 200, schema: z.object({ items: z.array(PolicyWaiverSchema) }), description: 'Waivers' },
    handler: ({ ctx, input }) => listWaivers({ ctx, input: input.params }),
  }),
  defineRoute({
    method: 'POST',
    url: '/api/v1/orgs/:org/waivers/:id/revoke',
    operationId: 'revokeWaiver',
    summary: 'End a waiver before it expires',
    tag: 'policy',
    params: WaiverParamsSchema,
    body: z.object({ reason: z.string().max(2000).optional() }),
    response: { status: 200, schema: PolicyWaiverSchema, description: 'The revoked waiver' },
    errors: [409],
    handler: ({ ctx, input }) => revokeWaiver({ ctx, input: { ...input.params, reason: input.body.reason } }),
  }),
  defineRoute({
    method: 'POST',
    url: '/api/v1/orgs/:org/check-runs',
    operationId: 'reportCheckRun',
    summary: 'Record a `steward check` run (`--report`)',
    tag: 'policy',
    params: OrgParamsSchema,
    body: CheckRunBodySchema,
    response: { status: 201, schema: CheckRunSchema, description: 'The recorded run' },
    handler: async ({ ctx, input, reply }) => {
      const r = await reportCheckRun({ ctx, input: { org: input.params.org, body: input.body } });
      reply.code(201);
      return r;
    },
  }),
  defineRoute({
    method: 'GET',
    url: '/api/v1/orgs/:org/check-runs',
    operationId: 'listCheckRuns',
    summary: 'Recorded `steward check` runs, newest first',
    tag: 'policy',
    params: OrgParamsSchema,
    query: z.object({ model: NameSchema.optional() }),
    response: { status: 200, schema: z.object({ items: z.array(CheckRunSchema) }), description: 'Runs' },
    handler: ({ ctx, input }) => listCheckRuns({ ctx, input: { org: input.params.org, model: input.query.model } }),
  }),
  defineRoute({
    method: 'POST',
    url: '/api/v1/orgs/:org/datasets/:dataset/versions/:version/pii-report',
    operationId: 'attachPiiReport',
    summary: 'Attach a PII report (`steward pii` counts by kind and location) to a dataset version',
    tag: 'datasets',
    params: DatasetParamsSchema,
    body: PiiReportBodySchema,
    response: { status: 201, schema: PiiReportSchema, description: 'The stored report' },
    handler: async ({ ctx, input, reply }) => {
      const r = await attachPiiReport({ ctx, input: { org: input.params.org, name: input.params.dataset, version: input.params.version, body: input.body } });
      reply.code(201);
      return r;
    },
  }),
  defineRoute({
    method: 'GET',
    url: '/api/v1/orgs/:org/datasets/:dataset/versions/:version/pii-report',
    operationId: 'getPiiReport',
    summary: 'The newest PII report of a dataset version',
    tag: 'datasets',
    params: DatasetParamsSchema,
    response: { status: 200, schema: PiiReportSchema, description: 'The report' },
    handler: ({ ctx, input }) => getPiiReport({ ctx, input: { org: input.params.org, name: input.params.dataset, version: input.params.version } }),
  }),
];
