import { describe, expect, it } from 'vitest';
import { evaluate, globMatch, licenseAllowed, riskTier, spdxIds, spdxSatisfies, spdxValid } from '../src/index.js';
import { compile, oneRule, record } from './helpers.js';

function run(expression: string, rec = record()) {
  const ev = evaluate(compile(oneRule(expression)), rec);
  return ev.results[0]!;
}

describe('helper functions in CEL', () => {
  it('spdx', () => {
    expect(run('spdxSatisfies("MIT OR GPL-3.0-only", ["MIT"])').status).toBe('pass');
    expect(run('spdxSatisfies("MIT AND GPL-3.0-only", ["MIT"])').status).toBe('fail');
    expect(run('spdxSatisfies("apache-2.0", ["Apache-2.0"])').status).toBe('pass');
    expect(run('licenseAllowed("other", ["MIT"])').status).toBe('fail');
    expect(run('spdxSatisfies("other", ["MIT"])').status).toBe('error');
    expect(run('spdxValid("GPL-2.0-or-later") && !spdxValid("other")').status).toBe('pass');
    expect(run('spdxIds("(MIT OR cc-by-nc-4.0) AND Apache-2.0 WITH LLVM-exception") == ["MIT", "CC-BY-NC-4.0", "Apache-2.0", "LLVM-exception"]').status).toBe('pass');
  });

  it('semver', () => {
    expect(run('semverAtLeast("1.10.0", "1.9.0") && semverCompare("1.0.0-rc.1", "1.0.0") == -1 && semverValid("2.0.0") && !semverValid("v2")').status).toBe('pass');
    expect(run('semverAtLeast("latest", "1.0.0")')).toMatchObject({ status: 'error', error: expect.stringContaining('"latest" is not a semantic version') });
  });

  it('glob', () => {
    expect(run('glob("**/*.pkl", "a/b/c.pkl") && glob("*.pkl", "c.pkl") && !glob("*.pkl", "a/c.pkl") && globAny(["*.bin", "*.gguf"], "m.gguf")').status).toBe('pass');
  });

  it('findings, verdicts, tiers and the risk taxonomy', () => {
    expect(run('countFindings(record, "critical") == 0 && record.countFindings("info") == 0 && findingsAtLeast(record, "low") == 0').status).toBe('pass');
    expect(run('countFindings(record, "severe") == 0')).toMatchObject({ status: 'error', error: expect.stringContaining('unknown finding severity "severe"') });
    expect(run('verdictAtLeast("unsafe", "unknown") && !verdictAtLeast("safe", "unknown")').status).toBe('pass');
    expect(run('tierAtLeast("high", "limited") && !tierAtLeast("minimal", "limited")').status).toBe('pass');
    expect(run('riskTier("restricted", "moderate") == "high" && riskTier("public", "negligible") == "minimal"').status).toBe('pass');
  });
});

describe('helpers in TypeScript', () => {
  it('spdx', () => {
    expect(spdxSatisfies('GPL-3.0-or-later', ['GPL-2.0+'])).toBe(true);
    expect(() => spdxSatisfies('MIT', ['MIT OR ISC'])).toThrow();
    expect(licenseAllowed('', ['MIT'])).toBe(false);
    expect(spdxValid('LicenseRef-acme')).toBe(true);
    expect(spdxIds('bogus')).toEqual([]);
  });

  it('glob', () => {
    expect(globMatch('acme/*', 'acme/tiny')).toBe(true);
    expect(globMatch('acme/*', 'acme/a/b')).toBe(false);
    expect(globMatch('**/x', 'x')).toBe(true);
    expect(globMatch('[!a]?.txt', 'bc.txt')).toBe(true);
    expect(globMatch('a.b', 'axb')).toBe(false);
  });

  it('riskTier covers the whole matrix and validates its inputs', () => {
    expect(riskTier({ dataSensitivity: 'public', useCaseImpact: 'negligible' })).toBe('minimal');
    expect(riskTier({ dataSensitivity: 'confidential', useCaseImpact: 'negligible' })).toBe('limited');
    expect(riskTier({ dataSensitivity: 'internal', useCaseImpact: 'significant' })).toBe('high');
    expect(riskTier({ dataSensitivity: 'public', useCaseImpact: 'prohibited' })).toBe('unacceptable');
    expect(() => riskTier({ dataSensitivity: 'secret' as never, useCaseImpact: 'moderate' })).toThrow();
  });
});
