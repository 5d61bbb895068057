import type { Command } from 'commander';
import { ModelSchema, ScanReportResponseSchema, type Version, VersionSchema, parseModelRef, parseModelVersionRef } from '@steward/domain';
import { enc } from '../client.js';
import { connect, parseArg } from '../command.js';
import { type Io, formatBytes, printJson, table } from '../output.js';

export function register(program: Command, io: Io): void {
  program
    .command('show <ref>')
    .description('show a model (ORG/NAME) or one version (ORG/NAME@VERSION or @RING)')
    .option('--json', 'machine-readable output')
    .action(async (refText: string, opts: { json?: boolean }, cmd: Command) => {
      const { client } = connect(cmd, io);
      if (!refText.includes('@')) {
        const m = parseArg(() => parseModelRef(refText, 'show'));
        const model = await client.json('GET', `/api/v1/orgs/${enc(m.org)}/models/${enc(m.model)}`, ModelSchema);
        if (opts.json) return printJson(io, model);
        io.out(`${model.org}/${model.name}`);
        if (model.description) io.out(`  ${model.description}`);
        io.out(`  owners:    ${model.owners.join(', ') || '-'}`);
        io.out(`  risk tier: ${model.riskTier ?? '-'}`);
        io.out(`  tags:      ${model.tags.join(', ') || '-'}`);
        io.out(`  latest:    ${model.latestVersion ?? '-'}`);
        io.out('  rings:');
        for (const [ring, version] of Object.entries(model.rings)) io.out(`    ${ring.padEnd(12)} ${version ?? '-'}`);
        return;
      }
      const r = parseArg(() => parseModelVersionRef(refText, 'show'));
      const base = `/api/v1/orgs/${enc(r.org)}/models/${enc(r.model)}/versions/${enc(r.ref)}`;
      const v = await client.json('GET', base, VersionSchema);
      if (opts.json) return printJson(io, v);
      printVersion(io, v);
      if (v.scan?.status === 'done' && v.scan.verdict !== 'safe') {
        const s = await client.json('GET', `${base}/scan?id=${enc(v.scan.id)}`, ScanReportResponseSchema);
        for (const line of scanProblems(s.report)) io.out(`    ${line}`);
      }
    });
}

export function printVersion(io: Io, v: Version): void {
  io.out(`${v.org}/${v.model}@${v.version}`);
  io.out(`  manifest:  sha256:${v.manifestDigest} (model-signing files, sha256)`);
  io.out(`  pushed:    ${v.createdAt} by ${v.createdBy}`);
  io.out(`  rings:     ${v.rings.join(', ') || '-'}`);
  io.out(`  scan:      ${scanLine(v)}`);
  io.out(`  base:      ${v.baseModel ?? '-'}`);
  io.out(`  source:    ${v.sourceRepo ?? '-'}${v.sourceCommit ? ` @ ${v.sourceCommit}` : ''}`);
  io.out(`  datasets:  ${v.datasets.map((d) => `${d.name}@${d.version} (${d.relation}, ${d.license}, ${d.sensitivity})`).join('; ') || '-'}`);
  io.out(`  files:     ${v.fileCount} (${formatBytes(v.totalSize)})`);
  for (const line of table(v.manifest.files.map((f) => [f.sha256, formatBytes(f.size).padStart(10), f.path]))) io.out(`    ${line}`);
  if (v.card) {
    const md = v.card.metadata as Record<string, unknown>;
    io.out(`  model card: ${v.card.path}`);
    for (const key of ['license', 'pipelineTag', 'libraryName', 'language', 'tags', 'datasets', 'baseModels']) {
      const val = md[key];
      if (val === undefined || (Array.isArray(val) && val.length === 0)) continue;
      io.out(`    ${key.padEnd(12)} ${Array.isArray(val) ? val.join(', ') : String(val)}`);
    }
    const results = (md.modelIndex as { name: string; results: { task: { type: string }; dataset?: { name?: string }; metrics: { type: string; value: unknown }[] }[] }[] | undefined) ?? [];
    for (const mi of results)
      for (const res of mi.results)
        for (const m of res.metrics) io.out(`    result       ${res.task.type}${res.dataset?.name ? ` on ${res.dataset.name}` : ''}: ${m.type} = ${String(m.value)}`);
    io.out(`    sections     ${v.card.recognizedSections.join(', ') || '-'}`);
    if (v.card.missingRecommendedSections.length) io.out(`    missing      ${v.card.missingRecommendedSections.join(', ')}`);
    for (const p of v.card.problems) io.out(`    ${p.severity.padEnd(12)} line ${p.line}: ${p.message}`);
  } else {
    io.out('  model card: none (add a README.md with Hugging Face front matter)');
  }
}

function scanLine(v: Version): string {
  const s = v.scan;
  if (!s) return 'not scanned';
  if (s.status === 'pending' || s.status === 'running') return `${s.status} (requested ${s.requestedAt})`;
  if (s.status === 'failed') return `failed: ${s.error ?? 'unknown error'}`;
  const sum = s.summary;
  return `${s.verdict?.toUpperCase()} at ${s.finishedAt}${sum ? ` (${sum.files} files, ${sum.members} members; ${sum.unsafe} unsafe, ${sum.inconclusive} inconclusive, ${sum.unknown} unknown)` : ''}${s.allowlist.length ? `; org allowlist: ${s.allowlist.join(', ')}` : ''}`;
}

interface ReportNode {
  path: string;
  verdict: string;
  findings: { ruleId: string; severity: string; verdict: string; message: string }[];
  imports?: { module: string; name: string; verdict: string }[];
  children?: ReportNode[];
}

/** The findings and imports that made the verdict, at most 20 lines. */
export function scanProblems(report: Record<string, unknown> | null): string[] {
  const out: string[] = [];
  const visit = (n: ReportNode) => {
    for (const f of n.findings) if (f.verdict !== 'safe') out.push(`${f.verdict.toUpperCase()} ${n.path}: ${f.ruleId}: ${f.message}`);
    for (const i of n.imports ?? []) if (i.verdict !== 'safe') out.push(`${i.verdict.toUpperCase()} ${n.path}: imports ${i.module}.${i.name}`);
    for (const c of n.children ?? []) visit(c);
  };
  for (const f of ((report?.files as ReportNode[] | undefined) ?? [])) visit(f);
  return out.length > 20 ? [...out.slice(0, 20), `... ${out.length - 20} more (steward show --json, or GET .../scan)`] : out;
}
