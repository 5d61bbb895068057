/** Report renderers: text for people, SARIF 2.1.0 for code-scanning UIs. JSON is the report itself. */
import type { FileReport, Finding, ScanReport, Severity, Verdict } from './types.js';

export type FailOn = 'unsafe' | 'unknown';

/** CLI exit codes: 0 nothing at or above the threshold, 1 findings at or above it, 3 inconclusive (2 is usage/I-O). */
export function exitCodeFor(report: ScanReport, failOn: FailOn): 0 | 1 | 3 {
  const all = walk(report.files);
  if (all.some((f) => f.verdict === 'unsafe')) return 1;
  if (failOn === 'unknown' && all.some((f) => f.verdict === 'unknown')) return 1;
  if (all.some((f) => f.verdict === 'inconclusive')) return 3;
  return 0;
}

function walk(files: FileReport[]): FileReport[] {
  return files.flatMap((f) => [f, ...walk(f.children ?? [])]);
}

const MARK: Record<Verdict, string> = { safe: 'SAFE', unknown: 'UNKNOWN', inconclusive: 'INCONCLUSIVE', unsafe: 'UNSAFE' };

function where(f: Finding): string {
  const l = f.location;
  if (!l) return '';
  const parts = [l.member ? `member ${l.member}` : '', l.offset !== undefined ? `offset ${l.offset}` : '', l.line !== undefined ? `line ${l.line}` : '', l.path ? `at ${l.path}` : ''].filter(Boolean);
  return parts.length ? ` (${parts.join(', ')})` : '';
}

export function renderText(report: ScanReport, opts: { verbose?: boolean } = {}): string[] {
  const out: string[] = [];
  const visit = (f: FileReport, depth: number) => {
    const pad = '  '.repeat(depth);
    out.push(`${pad}${MARK[f.verdict].padEnd(12)} ${f.path}  [${f.format}${f.sha256 ? `, sha256:${f.sha256.slice(0, 12)}…` : ''}]`);
    for (const x of f.findings) {
      if (x.severity === 'info' && !opts.verbose) continue;
      out.push(`${pad}  ${x.severity.padEnd(8)} ${x.ruleId}: ${x.message}${where(x)}`);
    }
    if (f.imports && f.imports.length > 0) {
      const shown = opts.verbose ? f.imports : f.imports.filter((i) => i.verdict !== 'safe');
      const safeCount = f.imports.length - shown.length;
      for (const i of shown) out.push(`${pad}  import   ${i.verdict.padEnd(7)} ${i.module}.${i.name} (${i.opcode} at ${i.offset}; ${i.reason})`);
      if (safeCount > 0 && (opts.verbose || f.verdict !== 'safe')) out.push(`${pad}  imports  ${safeCount} safe (${[...new Set(f.imports.filter((i) => i.verdict === 'safe').map((i) => `${i.module}.${i.name}`))].slice(0, 6).join(', ')}${safeCount > 6 ? ', …' : ''})`);
    }
    for (const c of f.children ?? []) if (opts.verbose || c.verdict !== 'safe' || c.findings.some((x) => x.severity !== 'info')) visit(c, depth + 1);
  };
  for (const f of report.files) visit(f, 0);
  const s = report.summary;
  out.push(`verdict: ${report.verdict} (${s.files} files, ${s.members} members: ${s.unsafe} unsafe, ${s.inconclusive} inconclusive, ${s.unknown} unknown, ${s.safe} safe)`);
  return out;
}

const LEVEL: Record<Verdict, 'error' | 'warning' | 'note'> = { unsafe: 'error', inconclusive: 'warning', unknown: 'warning', safe: 'note' };
const SECURITY_SEVERITY: Record<Severity, string> = { critical: '9.5', high: '8.0', medium: '5.5', low: '3.0', info: '0.0' };

/** The file part of a display path (`a.zip!x/y` -> `a.zip`), as a URI reference. */
function artifactUri(displayPath: string): string {
  const file = displayPath.split('!')[0] ?? displayPath;
  return file.split('/').map(encodeURIComponent).join('/').replace(/^%2E/, '.');
}

/** SARIF 2.1.0: one run, one result per finding (info findings and safe imports left out). */
export function toSarif(report: ScanReport): Record<string, unknown> {
  const rules = new Map<string, { id: string; severity: Severity; verdict: Verdict; example: string }>();
  const results: Record<string, unknown>[] = [];
  const addResult = (file: FileReport, ruleId: string, verdict: Verdict, severity: Severity, message: string, loc: Finding['location']) => {
    if (!rules.has(ruleId)) rules.set(ruleId, { id: ruleId, severity, verdict, example: message });
    const member = loc?.member ?? (file.path.includes('!') ? file.path.slice(file.path.indexOf('!') + 1) : undefined);
    const region: Record<string, number> = {};
    if (loc?.line !== undefined && loc.line >= 1) region.startLine = loc.line;
    if (loc?.offset !== undefined && loc.offset >= 0 && !member) region.byteOffset = loc.offset;
    results.push({
      ruleId,
      ruleIndex: [...rules.keys()].indexOf(ruleId),
      level: LEVEL[verdict],
      message: { text: `${message}${member ? ` [member ${member}]` : ''}` },
      locations: [
        {
          physicalLocation: { artifactLocation: { uri: artifactUri(file.path) }, ...(Object.keys(region).length ? { region } : {}) },
          ...(member || loc?.path ? { logicalLocations: [{ fullyQualifiedName: [member, loc?.path].filter(Boolean).join('#'), kind: 'member' }] } : {}),
        },
      ],
      properties: { verdict, severity, format: file.format, ...(member ? { member } : {}), ...(loc?.offset !== undefined ? { offset: loc.offset } : {}) },
    });
  };
  for (const f of walk(report.files)) {
    for (const x of f.findings) if (x.severity !== 'info') addResult(f, x.ruleId, x.verdict, x.severity, x.message, x.location);
    for (const i of f.imports ?? []) {
      if (i.verdict === 'safe') continue;
      addResult(f, i.verdict === 'unsafe' ? 'pickle.unsafe-import' : 'pickle.unknown-import', i.verdict, i.verdict === 'unsafe' ? 'critical' : 'medium', `pickle imports ${i.module}.${i.name} (${i.reason})`, { offset: i.offset });
    }
  }
  return {
    $schema: 'https://json.schemastore.org/sarif-2.1.0.json',
    version: '2.1.0',
    runs: [
      {
        tool: {
          driver: {
            name: 'steward-scanner',
            version: report.tool.version,
            informationUri: 'https://github.com/steward/steward/blob/main/docs/scanner.md',
            rules: [...rules.values()].map((r) => ({
              id: r.id,
              name: r.id.replace(/[.-](\w)/g, (_, c: string) => c.toUpperCase()),
              shortDescription: { text: r.id },
              fullDescription: { text: r.example },
              defaultConfiguration: { level: LEVEL[r.verdict] },
              properties: { 'security-severity': SECURITY_SEVERITY[r.severity], tags: ['security', 'ml-model'] },
            })),
          },
        },
        results,
        invocations: [{ executionSuccessful: true, endTimeUtc: report.scannedAt }],
        properties: { verdict: report.verdict, summary: report.summary },
      },
    ],
  };
}
