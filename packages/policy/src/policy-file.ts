/**
 * The policy file format (YAML), documented in docs/policy-library.md ("Writing policies").
 *
 *   policies:
 *     - name: licenses
 *       appliesTo: { rings: [beta, production], riskTiers: [limited, high], models: ["acme/*"] }
 *       params:
 *         allowed: { type: list<string>, default: [MIT, Apache-2.0], description: ... }
 *       rules:
 *         - id: license.commercial-use
 *           severity: error
 *           message: "License {{ record.license.declared }} is not allowed for commercial use"
 *           expression: licenseAllowed(record.license.declared, params.allowed)
 */
import { RiskTierSchema } from '@steward/domain/names';
import { z } from 'zod';

export const PARAM_TYPES = ['bool', 'int', 'double', 'string', 'list<string>', 'list<int>', 'list<double>'] as const;
export type ParamType = (typeof PARAM_TYPES)[number];

export const RuleIdSchema = z
  .string()
  .regex(/^[a-z0-9][a-z0-9._-]{0,127}$/, 'must be 1-128 lowercase letters, digits, ".", "_" or "-" (e.g. license.commercial-use)');

export const PolicyNameSchema = z
  .string()
  .regex(/^[a-z0-9][a-z0-9._-]{0,127}$/, 'must be 1-128 lowercase letters, digits, ".", "_" or "-"');

export const ParamNameSchema = z.string().regex(/^[A-Za-z_][A-Za-z0-9_]{0,63}$/, 'must be an identifier (letters, digits, "_")');

export const RuleSchema = z
  .object({
    id: RuleIdSchema,
    severity: z.enum(['error', 'warning']),
    message: z.string().min(1).describe('Shown when the rule fails; `{{ expr }}` inserts the value of a CEL expression'),
    expression: z.string().min(1).describe('CEL; must be bool; true means the rule passes'),
    description: z.string().optional(),
  })
  .strict();

export const ParamDeclSchema = z
  .object({
    type: z.enum(PARAM_TYPES),
    default: z.unknown().refine((v) => v !== undefined, 'a default is required'),
    description: z.string().optional(),
  })
  .strict();

export const AppliesToSchema = z
  .object({
    rings: z.array(z.string().min(1)).min(1).optional().describe('Target rings; absent means every ring'),
    riskTiers: z.array(RiskTierSchema).min(1).optional().describe('Risk tiers; absent means every tier (a model with no tier gets every policy)'),
    models: z.array(z.string().min(1)).min(1).optional().describe('Globs over ORG/NAME'),
  })
  .strict();

export const PolicySchema = z
  .object({
    name: PolicyNameSchema,
    description: z.string().optional(),
    appliesTo: AppliesToSchema.optional(),
    params: z.record(ParamNameSchema, ParamDeclSchema).optional(),
    rules: z.array(RuleSchema).min(1),
  })
  .strict();

export const PolicyFileSchema = z.object({ policies: z.array(PolicySchema).min(1) }).strict();

export type PolicyFile = z.infer<typeof PolicyFileSchema>;
export type PolicyDecl = z.infer<typeof PolicySchema>;
export type RuleDecl = z.infer<typeof RuleSchema>;
export type ParamDecl = z.infer<typeof ParamDeclSchema>;

/** Per-repository parameter overrides: policy name -> parameter name -> value. */
export const ParamOverridesSchema = z.record(z.string(), z.record(z.string(), z.unknown()));
export type ParamOverrides = z.infer<typeof ParamOverridesSchema>;

const PARAM_VALUE_SCHEMAS: Record<ParamType, z.ZodType> = {
  bool: z.boolean(),
  int: z.int(),
  double: z.number(),
  string: z.string(),
  'list<string>': z.array(z.string()),
  'list<int>': z.array(z.int()),
  'list<double>': z.array(z.number()),
};

/** Validates a parameter value against its declared type; returns the CEL value (BigInt for int) or an error text. */
export function paramValue(type: ParamType, value: unknown): { ok: true; value: unknown } | { ok: false; error: string } {
  const r = PARAM_VALUE_SCHEMAS[type].safeParse(value);
  if (!r.success) return { ok: false, error: `expected ${type}, got ${JSON.stringify(value)}` };
  if (type === 'int') return { ok: true, value: BigInt(r.data as number) };
  if (type === 'list<int>') return { ok: true, value: (r.data as number[]).map((n) => BigInt(n)) };
  return { ok: true, value: r.data };
}
