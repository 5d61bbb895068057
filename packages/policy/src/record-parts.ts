/**
 * Pieces shared by the registry and local record builders: card sections, scan summaries,
 * finding counts, model-index evaluations, license file recognition.
 */
import type { ParsedModelCard, SectionKind } from '@steward/modelcard';
import type { FileReport, ScanReport } from '@steward/scanner';
import { z } from 'zod';
import { PII_KINDS } from './pii/kinds.js';
import type { CardSection, EvaluationInfo, FindingCounts, GovernanceRecord, PiiCounts } from './record.js';

export type CardInfo = GovernanceRecord['card'];
export type ScanInfo = GovernanceRecord['scan'];

export function zeroFindings(): FindingCounts {
  return { critical: 0, high: 0, medium: 0, low: 0, info: 0 };
}

export function emptyPii(): PiiCounts {
  const counts = Object.fromEntries(PII_KINDS.map((k) => [k, 0])) as Record<(typeof PII_KINDS)[number], number>;
  return { scanned: false, total: 0, ...counts };
}

/** PII counts from a scan result's per-kind totals. */
export function piiCounts(byKind: Partial<Record<string, number>> | null): PiiCounts {
  const out = emptyPii();
  if (!byKind) return out;
  out.scanned = true;
  for (const k of PII_KINDS) {
    out[k] = byKind[k] ?? 0;
    out.total += out[k];
  }
  return out;
}

const ABSENT_SECTION: CardSection = { present: false, text: null, wordCount: null };

export function emptyCard(): CardInfo {
  return {
    present: false,
    path: null,
    sha256: null,
    intendedUse: ABSENT_SECTION,
    outOfScopeUse: ABSENT_SECTION,
    limitations: ABSENT_SECTION,
    trainingData: ABSENT_SECTION,
    evaluation: ABSENT_SECTION,
    ethicalConsiderations: ABSENT_SECTION,
    recognizedSections: [],
    missingRecommendedSections: [],
    license: null,
    licenseName: null,
    licenseLink: null,
    datasets: [],
    baseModels: [],
    pipelineTag: null,
    libraryName: null,
    eccn: null,
    parameterCount: null,
    errors: 0,
    warnings: 0,
  };
}

const SECTION_FIELDS = {
  intendedUse: 'intended_use',
  outOfScopeUse: 'out_of_scope_use',
  limitations: 'limitations',
  trainingData: 'training_data',
  evaluation: 'evaluation',
  ethicalConsiderations: 'ethical_considerations',
} as const satisfies Record<string, SectionKind>;

function words(text: string): number {
  const m = text.match(/[\p{L}\p{N}][\p{L}\p{N}'’_-]*/gu);
  return m ? m.length : 0;
}

/** Sections from a parsed card (text known) or from a section list (registry: presence only). */
export function cardSections(sections: readonly { kind: string | null; text?: string }[]): Pick<CardInfo, keyof typeof SECTION_FIELDS> {
  const out = {} as Pick<CardInfo, keyof typeof SECTION_FIELDS>;
  for (const [field, kind] of Object.entries(SECTION_FIELDS) as [keyof typeof SECTION_FIELDS, SectionKind][]) {
    const found = sections.filter((s) => s.kind === kind);
    if (found.length === 0) out[field] = ABSENT_SECTION;
    else if (found.every((s) => s.text === undefined)) out[field] = { present: true, text: null, wordCount: null };
    else {
      const text = found.map((s) => s.text ?? '').join('\n\n').trim();
      out[field] = { present: true, text, wordCount: words(text) };
    }
  }
  return out;
}

function str(v: unknown): string | null {
  return typeof v === 'string' && v.trim() !== '' ? v.trim() : typeof v === 'number' ? String(v) : null;
}

function nonNegativeInt(v: unknown): number | null {
  const n = typeof v === 'string' ? Number(v.replace(/[_,\s]/g, '')) : v;
  return typeof n === 'number' && Number.isSafeInteger(n) && n >= 0 ? n : null;
}

/** ECCN: `export_control.eccn`, `export-control.eccn`, or a top-level `eccn`. */
export function eccnOf(frontMatter: Record<string, unknown> | null): string | null {
  if (!frontMatter) return null;
  for (const key of ['export_control', 'export-control', 'exportControl']) {
    const v = frontMatter[key];
    if (v && typeof v === 'object' && !Array.isArray(v)) {
      const e = str((v as Record<string, unknown>).eccn);
      if (e) return e;
    }
  }
  return str(frontMatter.eccn);
}

export function parameterCountOf(frontMatter: Record<string, unknown> | null): number | null {
  if (!frontMatter) return null;
  for (const key of ['parameter_count', 'num_parameters', 'parameters']) {
    const n = nonNegativeInt(frontMatter[key]);
    if (n !== null) return n;
  }
  return null;
}

export function cardFromParsed(card: ParsedModelCard, path: string, sha256: string | null): CardInfo {
  const m = card.metadata;
  return {
    present: true,
    path,
    sha256,
    ...cardSections(card.sections),
    recognizedSections: [...card.recognizedSections],
    missingRecommendedSections: [...card.missingRecommendedSections],
    license: m.license ?? null,
    licenseName: m.licenseName ?? null,
    licenseLink: m.licenseLink ?? null,
    datasets: [...m.datasets],
    baseModels: [...m.baseModels],
    pipelineTag: m.pipelineTag ?? null,
    libraryName: m.libraryName ?? null,
    eccn: eccnOf(card.frontMatter),
    parameterCount: parameterCountOf(card.frontMatter),
    errors: card.problems.filter((p) => p.severity === 'error').length,
    warnings: card.problems.filter((p) => p.severity === 'warning').length,
  };
}

// ---- model-index evaluations (card metadata) ----

const ModelIndexSchema = z.array(
  z.object({
    name: z.string().optional(),
    results: z
      .array(
        z.object({
          task: z.object({ type: z.string().optional(), name: z.string().optional() }).optional(),
          dataset: z.object({ type: z.string().optional(), name: z.string().optional(), split: z.string().optional(), revision: z.string().optional() }).optional(),
          metrics: z.array(z.object({ type: z.string().optional(), name: z.string().optional(), value: z.unknown(), verified: z.boolean().optional() })).default([]),
          source: z.object({ name: z.string().optional(), url: z.string().optional() }).optional(),
        }),
      )
      .default([]),
  }),
);

function metricValue(v: unknown): number | null {
  const n = typeof v === 'string' ? Number(v.replace(/%$/, '')) : v;
  return typeof n === 'number' && Number.isFinite(n) ? n : null;
}

/** Evaluations from a card's model-index (metrics without a numeric value are left out). */
export function evaluationsFromModelIndex(modelIndex: unknown): EvaluationInfo[] {
  const parsed = ModelIndexSchema.safeParse(modelIndex ?? []);
  if (!parsed.success) return [];
  const out: EvaluationInfo[] = [];
  for (const entry of parsed.data) {
    for (const r of entry.results) {
      const metrics = r.metrics.flatMap((m) => {
        const value = metricValue(m.value);
        const name = m.type ?? m.name;
        return value === null || !name ? [] : [{ name, value }];
      });
      out.push({
        benchmark: r.dataset?.name ?? r.dataset?.type ?? r.task?.name ?? entry.name ?? 'unnamed',
        dataset: r.dataset?.type ?? null,
        datasetRevision: r.dataset?.revision ?? null,
        split: r.dataset?.split ?? null,
        task: r.task?.type ?? null,
        source: r.source?.url ?? r.source?.name ?? null,
        verified: r.metrics.some((m) => m.verified === true),
        metrics,
      });
    }
  }
  return out;
}

// ---- scan reports ----

function walk(f: FileReport): FileReport[] {
  return [f, ...(f.children ?? []).flatMap(walk)];
}

/** Findings of a file and its members (the scanner reports each unsafe pickle import as a finding already). */
export function findingCounts(file: FileReport): FindingCounts {
  const c = zeroFindings();
  for (const f of walk(file)) for (const x of f.findings) c[x.severity]++;
  return c;
}

function addCounts(into: FindingCounts, c: FindingCounts): void {
  for (const k of Object.keys(into) as (keyof FindingCounts)[]) into[k] += c[k];
}

export function scanInfoFromReport(report: ScanReport, displayPath: (p: string) => string = (p) => p, status: ScanInfo['status'] = 'done'): ScanInfo {
  const findings = zeroFindings();
  const imports: ScanInfo['imports'] = [];
  for (const top of report.files) {
    addCounts(findings, findingCounts(top));
    for (const f of walk(top)) {
      const seen = new Set<string>();
      for (const i of f.imports ?? []) {
        const key = `${i.module}.${i.name}:${i.verdict}`;
        if (seen.has(key)) continue;
        seen.add(key);
        imports.push({ file: displayPath(f.path), module: i.module, name: i.name, verdict: i.verdict });
      }
    }
  }
  return {
    status,
    verdict: report.verdict,
    scannerVersion: report.tool.version,
    summary: { ...report.summary },
    findings,
    imports,
    allowlist: [...report.extraAllowed],
  };
}

export function emptyScan(): ScanInfo {
  return {
    status: 'none',
    verdict: null,
    scannerVersion: null,
    summary: { files: 0, members: 0, safe: 0, unknown: 0, inconclusive: 0, unsafe: 0 },
    findings: zeroFindings(),
    imports: [],
    allowlist: [],
  };
}

/** Sum of `parameters` the safetensors handler read from tensor headers (null when none). */
export function scannedParameterCount(report: ScanReport | null): number | null {
  if (!report) return null;
  let total = 0;
  let any = false;
  for (const top of report.files) {
    for (const f of walk(top)) {
      const p = f.details?.parameters;
      if (f.format === 'safetensors' && typeof p === 'number' && Number.isSafeInteger(p)) {
        total += p;
        any = true;
      }
    }
  }
  return any && Number.isSafeInteger(total) ? total : null;
}

// ---- license files ----

export const LICENSE_FILE = /(^|\/)(LICEN[CS]E|COPYING|NOTICE)([.-][^/]*)?$/i;

const LICENSE_TEXTS: [RegExp, string][] = [
  [/Apache License[\s,]+Version 2\.0/i, 'Apache-2.0'],
  [/Permission is hereby granted, free of charge, to any person obtaining a copy/i, 'MIT'],
  [/Attribution-NonCommercial-ShareAlike 4\.0/i, 'CC-BY-NC-SA-4.0'],
  [/Attribution-NonCommercial-NoDerivatives 4\.0/i, 'CC-BY-NC-ND-4.0'],
  [/Attribution-NonCommercial 4\.0/i, 'CC-BY-NC-4.0'],
  [/Attribution-ShareAlike 4\.0/i, 'CC-BY-SA-4.0'],
  [/Creative Commons Attribution 4\.0/i, 'CC-BY-4.0'],
  [/GNU AFFERO GENERAL PUBLIC LICENSE\s+Version 3/i, 'AGPL-3.0-only'],
  [/GNU LESSER GENERAL PUBLIC LICENSE\s+Version 3/i, 'LGPL-3.0-only'],
  [/GNU GENERAL PUBLIC LICENSE\s+Version 3/i, 'GPL-3.0-only'],
  [/GNU GENERAL PUBLIC LICENSE\s+Version 2/i, 'GPL-2.0-only'],
  [/Mozilla Public License,? (Version|v\.?) ?2\.0/i, 'MPL-2.0'],
  [/Redistribution and use in source and binary forms[\s\S]{0,1200}Neither the name/i, 'BSD-3-Clause'],
  [/Redistribution and use in source and binary forms/i, 'BSD-2-Clause'],
  [/OpenRAIL-M|Open RAIL-M/i, 'OpenRAIL-M'],
  [/LLAMA 2 COMMUNITY LICENSE/i, 'LicenseRef-llama2'],
  [/Llama 3(\.\d)? Community License/i, 'LicenseRef-llama3'],
  [/Permission to use, copy, modify, and\/or distribute this software for any purpose/i, 'ISC'],
  [/This is free and unencumbered software released into the public domain/i, 'Unlicense'],
];

/** SPDX id (or LicenseRef-) recognized from a license text's first 64 KiB; null when not recognized. */
export function detectLicense(text: string): string | null {
  const head = text.slice(0, 64 * 1024);
  for (const [re, id] of LICENSE_TEXTS) if (re.test(head)) return id;
  const spdx = /SPDX-License-Identifier:\s*([A-Za-z0-9.+-]+(?:\s+(?:AND|OR|WITH)\s+[A-Za-z0-9.+-]+)*)/.exec(head);
  return spdx?.[1] ?? null;
}

export function modelRef(org: string | null, name: string, version: string | null): string {
  return `${org ? `${org}/` : ''}${name}${version ? `@${version}` : ''}`;
}
