/**
 * The risk taxonomy: a model's risk tier follows from the most sensitive data it was trained on
 * and the impact of its use case. Documented in docs/policy-library.md ("Risk taxonomy").
 */
import { RiskTierSchema, SensitivitySchema, type RiskTier, type Sensitivity } from '@steward/domain/names';
import { z } from 'zod';

/**
 * - negligible: internal tooling, experiments, no decisions about people (code completion for staff).
 * - moderate: user-facing content or recommendations a person reviews (chat assistant, search ranking).
 * - significant: decisions with legal or similarly significant effects on people, or safety
 *   (credit scoring, hiring, medical triage, critical infrastructure).
 * - prohibited: practices that must not be deployed (social scoring, manipulative techniques).
 */
export const UseCaseImpactSchema = z.enum(['negligible', 'moderate', 'significant', 'prohibited']);
export type UseCaseImpact = z.infer<typeof UseCaseImpactSchema>;

const SENSITIVITY_ORDER: readonly Sensitivity[] = SensitivitySchema.options;
const TIERS: readonly RiskTier[] = RiskTierSchema.options;

/** Rows: use-case impact; columns: data sensitivity (public, internal, confidential, restricted). */
export const RISK_MATRIX: Record<UseCaseImpact, Record<Sensitivity, RiskTier>> = {
  negligible: { public: 'minimal', internal: 'minimal', confidential: 'limited', restricted: 'limited' },
  moderate: { public: 'limited', internal: 'limited', confidential: 'limited', restricted: 'high' },
  significant: { public: 'high', internal: 'high', confidential: 'high', restricted: 'high' },
  prohibited: { public: 'unacceptable', internal: 'unacceptable', confidential: 'unacceptable', restricted: 'unacceptable' },
};

export function riskTier(input: { dataSensitivity: Sensitivity; useCaseImpact: UseCaseImpact }): RiskTier {
  const sensitivity = SensitivitySchema.parse(input.dataSensitivity);
  const impact = UseCaseImpactSchema.parse(input.useCaseImpact);
  return RISK_MATRIX[impact][sensitivity];
}

/** The most sensitive of the given levels (public when none), to feed riskTier from a model's datasets. */
export function mostSensitive(levels: Iterable<Sensitivity | null>): Sensitivity {
  let worst = 0;
  for (const s of levels) if (s !== null) worst = Math.max(worst, SENSITIVITY_ORDER.indexOf(s));
  return SENSITIVITY_ORDER[worst]!;
}

/** Tier order, lowest first, for "at least high" comparisons. */
export function tierRank(tier: RiskTier): number {
  return TIERS.indexOf(tier);
}
