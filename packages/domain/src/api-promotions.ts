/**
 * HTTP API schemas of release rings' entry criteria, freezes, promotion requests, reviews and the
 * published decisions (issue 5).
 */
import { z } from 'zod';
import { NameSchema, RiskTierSchema, RingNameSchema, RoleSchema, SemverSchema } from './names.js';
import { IsoDateSchema } from './api.js';

export const RingCriteriaSchema = z.object({
  ring: z.string(),
  position: z.number().int(),
  requiredApprovals: z.number().int().describe('Approvals from distinct reviewers (never the requester or the pusher)'),
  approverRoles: z.array(RoleSchema).describe('Org roles whose approvals count'),
  boardApprovals: z.record(z.string(), z.number().int()).describe('Extra governance-board approvals by risk tier, e.g. { "high": 1 }'),
  policyMustPass: z.boolean().describe('Error-severity policy failures without a waiver block entry'),
  reviewDeadlineHours: z.number().int().nullable().describe('An open request older than this is escalated to the governance board'),
  ciOnly: z.boolean().describe('Only CI tokens may request promotion to this ring'),
  frozen: z.object({ at: IsoDateSchema, by: z.string(), reason: z.string() }).nullable(),
});
export const UpdateRingCriteriaBodySchema = z
  .object({
    requiredApprovals: z.number().int().min(0).max(20),
    approverRoles: z.array(RoleSchema).min(1).max(10),
    boardApprovals: z.record(RiskTierSchema, z.number().int().min(0).max(10)),
    policyMustPass: z.boolean(),
    reviewDeadlineHours: z.number().int().min(1).max(24 * 365).nullable(),
    ciOnly: z.boolean(),
  })
  .partial()
  .strict();
export const FreezeBodySchema = z.object({ reason: z.string().min(1).max(2000) });
export const UnfreezeBodySchema = z.object({ reason: z.string().max(2000).optional() });
export const RingCriteriaParamsSchema = z.object({ org: NameSchema, ring: RingNameSchema });
export const ModelFreezeSchema = z.object({ model: z.string(), frozen: z.object({ at: IsoDateSchema, by: z.string(), reason: z.string() }).nullable() });

export const CreatePromotionBodySchema = z.object({
  version: SemverSchema,
  ring: RingNameSchema,
  reason: z.string().min(1).max(4000),
});
export const ReviewDecisionSchema = z.enum(['approve', 'reject', 'request_changes']);
export const ReviewBodySchema = z.object({ decision: ReviewDecisionSchema, comment: z.string().min(1).max(4000) });
export const PromotionReviewSchema = z.object({
  reviewer: z.string(),
  role: z.string(),
  decision: ReviewDecisionSchema,
  comment: z.string(),
  at: IsoDateSchema,
});
export const PromotionStatusSchema = z.enum(['open', 'promoted', 'rejected', 'changes_requested', 'withdrawn', 'stale']);
export const PromotionRequestSchema = z.object({
  id: z.string(),
  org: z.string(),
  model: z.string(),
  version: z.string(),
  ring: z.string(),
  status: PromotionStatusSchema,
  requestedBy: z.string(),
  requestedAt: IsoDateSchema,
  reason: z.string(),
  /** What the ring pointed at when the request was opened. */
  currentVersion: z.string().nullable(),
  pushedBy: z.string(),
  evaluation: z
    .object({ id: z.string(), outcome: z.enum(['passed', 'failed']), blocking: z.array(z.string()), waived: z.array(z.string()), policySetDigest: z.string() })
    .nullable()
    .describe('The policy evaluation for the ring taken when the request was opened (null: the org has no policy set)'),
  diff: z.record(z.string(), z.unknown()).nullable().describe('Files, card, metrics, licenses and datasets against the current version of the ring'),
  criteria: RingCriteriaSchema,
  approvals: z.object({ have: z.number().int(), need: z.number().int(), boardHave: z.number().int(), boardNeed: z.number().int() }),
  reviews: z.array(PromotionReviewSchema),
  decidedAt: IsoDateSchema.nullable(),
  decidedBy: z.string().nullable(),
  decisionReason: z.string().nullable(),
  escalatedAt: IsoDateSchema.nullable(),
  assignedRole: z.string().nullable(),
});
export const PromotionRequestParamsSchema = z.object({ org: NameSchema, id: z.string().min(1).max(100) });
export const PromotionRequestsQuerySchema = z.object({
  status: PromotionStatusSchema.optional(),
  mine: z.enum(['true', 'false']).default('false').transform((v) => v === 'true').describe('Only requests you opened'),
  toReview: z.enum(['true', 'false']).default('false').transform((v) => v === 'true').describe('Only open requests you may still review'),
  model: NameSchema.optional(),
  version: SemverSchema.optional().describe('Only requests for this version (with model)'),
});

export const DecisionSchema = z.object({
  at: IsoDateSchema,
  kind: z.enum(['promoted', 'rejected', 'changes_requested', 'withdrawn', 'stale', 'rolled_back', 'moved', 'frozen', 'unfrozen']),
  model: z.string(),
  version: z.string().nullable(),
  ring: z.string().nullable(),
  by: z.string(),
  reason: z.string().nullable(),
  requestId: z.string().nullable(),
  /** One sentence a person can read: who decided what, why, against which policy results. */
  text: z.string(),
});

export type RingCriteria = z.infer<typeof RingCriteriaSchema>;
export type PromotionRequest = z.infer<typeof PromotionRequestSchema>;
export type Decision = z.infer<typeof DecisionSchema>;
export type ReviewDecision = z.infer<typeof ReviewDecisionSchema>;
