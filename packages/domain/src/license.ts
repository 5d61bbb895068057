import parseSpdx from 'spdx-expression-parse';
import { createRequire } from 'node:module';
import { z } from 'zod';

const require = createRequire(import.meta.url);
const spdxIds = require('spdx-license-ids') as string[];
const spdxDeprecated = require('spdx-license-ids/deprecated.json') as string[];
const spdxExceptions = require('spdx-exceptions') as string[];

/**
 * Any valid SPDX license expression is accepted (case-insensitive ids, so Hugging Face's
 * lowercase `apache-2.0` works), plus `other` for licenses without an SPDX id.
 * A fixed allowlist (the Hub's mistake) would reject valid identifiers.
 */
export function isValidLicenseExpression(text: string): boolean {
  if (text.toLowerCase() === 'other') return true;
  try {
    parseSpdx(text);
    return true;
  } catch {
    try {
      parseSpdx(normalizeLicenseCase(text));
      return true;
    } catch {
      return false;
    }
  }
}

/** spdx-expression-parse is case-sensitive; map lowercase ids onto canonical ones where we can. */
function normalizeLicenseCase(text: string): string {
  return text
    .split(/(\s+|\(|\))/)
    .map((tok) => {
      const upper = tok.toUpperCase();
      if (upper === 'AND' || upper === 'OR' || upper === 'WITH') return upper;
      const id = CANONICAL_IDS.get(tok.toLowerCase().replace(/\+$/, ''));
      return id ? id + (tok.endsWith('+') ? '+' : '') : tok;
    })
    .join('');
}


const CANONICAL_IDS = new Map<string, string>(
  [...spdxIds, ...spdxDeprecated, ...spdxExceptions].map((id) => [id.toLowerCase(), id]),
);

export const LicenseSchema = z
  .string()
  .min(1)
  .max(512)
  .refine(isValidLicenseExpression, 'must be an SPDX license expression (e.g. Apache-2.0, MIT OR GPL-2.0-or-later) or "other"');
