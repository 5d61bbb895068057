import { parseModelCard } from '@steward/modelcard';
import { lintPolicyFiles, recordFromLocal, type CompiledPolicySet, type GovernanceRecord, type LocalRecordInput, type PolicySource } from '../src/index.js';

export const GOOD_CARD = `---
license: apache-2.0
datasets: [acme/reviews]
export_control:
  eccn: EAR99
model-index:
  - name: tiny
    results:
      - task: { type: text-classification }
        dataset: { type: glue, name: glue-sst2, revision: 3f2e1d0 }
        metrics:
          - { type: accuracy, value: 0.91 }
---
# Tiny classifier

## Intended use
Classifying short product reviews as positive or negative, for internal dashboards.

## Limitations
English only; short texts; not for decisions about people.

## Training data
The acme/reviews dataset, 2024 snapshot, approved by the data council.

## Evaluation
Accuracy on GLUE SST-2 (revision 3f2e1d0).
`;

export const DIGEST = (c: string) => c.repeat(64);

export function localInput(patch: Partial<LocalRecordInput> = {}): LocalRecordInput {
  return {
    model: { org: 'acme', name: 'tiny', version: '1.0.0', riskTier: 'limited', owners: ['alice'] },
    manifest: {
      files: [
        { path: 'README.md', size: 900, sha256: DIGEST('1') },
        { path: 'model.safetensors', size: 4096, sha256: DIGEST('2') },
      ],
      rootDigest: DIGEST('f'),
    },
    card: { path: 'README.md', sha256: DIGEST('1'), parsed: parseModelCard(GOOD_CARD) },
    scan: null,
    datasets: [{ name: 'acme/reviews', version: '2024-01', relation: 'trained_on', source: 's3://acme/reviews', license: 'CC-BY-4.0', approvedBy: 'bob', sensitivity: 'internal', pii: { email: 0 } }],
    integrity: { lockPresent: true, mismatches: [] },
    targetRing: 'beta',
    ...patch,
  };
}

export function record(patch: Partial<LocalRecordInput> = {}): GovernanceRecord {
  return recordFromLocal(localInput(patch));
}

/** Lints and returns the compiled set, failing the test on any lint error. */
export function compile(files: PolicySource[] | string, options?: Parameters<typeof lintPolicyFiles>[1]): CompiledPolicySet {
  const list = typeof files === 'string' ? [{ path: 'policy.yaml', text: files }] : files;
  const r = lintPolicyFiles(list, options);
  if (!r.policySet) throw new Error(`lint errors:\n${r.diagnostics.map((d) => `${d.file}:${d.line}:${d.column} ${d.message}`).join('\n')}`);
  return r.policySet;
}

/** One policy with one rule. */
export function oneRule(expression: string, opts: { message?: string; severity?: 'error' | 'warning'; appliesTo?: string; params?: string; id?: string } = {}): string {
  return [
    'policies:',
    '  - name: test',
    ...(opts.appliesTo ? [`    appliesTo: ${opts.appliesTo}`] : []),
    ...(opts.params ? [`    params: ${opts.params}`] : []),
    '    rules:',
    `      - id: ${opts.id ?? 'test.rule'}`,
    `        severity: ${opts.severity ?? 'error'}`,
    `        message: ${JSON.stringify(opts.message ?? 'rule failed')}`,
    `        expression: ${JSON.stringify(expression)}`,
    '',
  ].join('\n');
}
