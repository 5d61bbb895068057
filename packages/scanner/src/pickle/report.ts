/**
 * Glue between the pickle machine and a FileReport, shared by every pickle-family handler (and
 * usable by the PyTorch zip handler for `data.pkl` members): run the machine with the scan's
 * limits and allowlist, copy imports and findings, summarize details, scan nested payloads.
 */
import type { ScanContext } from '../context.js';
import { SliceSource, type ByteSource } from '../source.js';
import type { FileReport } from '../types.js';
import { denyMatch } from './allowlist.js';
import { PickleMachine, probePickle, type MachineOptions, type MachineResult } from './machine.js';

/** Machine options from a scan context (limits, allowlist, time budget). */
export function machineOptions(ctx: ScanContext, extra: Partial<MachineOptions> = {}): MachineOptions {
  return {
    allowlist: ctx.allowlist,
    limits: ctx.limits,
    checkTime: () => ctx.checkTime(),
    ...extra,
  };
}

/** Runs the machine over every stacked pickle of the source (or region) and records the result. */
export async function scanPickleStream(ctx: ScanContext, source: ByteSource, report: FileReport, extra: Partial<MachineOptions> = {}): Promise<MachineResult> {
  const result = await new PickleMachine(source, machineOptions(ctx, extra)).scanAll();
  applyMachineResult(report, result);
  await scanNestedPayloads(ctx, source, report, result);
  return result;
}

/** Copies imports, findings, limit and details of a machine run into the report. */
export function applyMachineResult(report: FileReport, result: MachineResult, detailPrefix = ''): void {
  report.imports = [...(report.imports ?? []), ...result.imports];
  report.findings.push(...result.findings);
  if (result.limit) {
    report.findings.push({
      ruleId: `limit.${result.limit.limit}`,
      severity: 'medium',
      verdict: 'inconclusive',
      message: `${result.limit.message}; imports seen before the limit are listed`,
      location: { offset: result.end },
    });
  }
  const details = (report.details ??= {});
  const calls = Object.entries(result.calls)
    .sort((a, b) => b[1] - a[1])
    .slice(0, 50);
  Object.assign(details, {
    [`${detailPrefix}protocol`]: result.protocols.length === 0 ? 0 : Math.max(...result.protocols),
    [`${detailPrefix}protocols`]: result.protocols,
    [`${detailPrefix}pickles`]: result.completePickles,
    [`${detailPrefix}opcodes`]: result.opcodes,
    [`${detailPrefix}persistentIds`]: result.persistentIds,
    [`${detailPrefix}calls`]: Object.fromEntries(calls),
  });
  if (result.persistentIdExamples.length > 0) details[`${detailPrefix}persistentIdExamples`] = result.persistentIdExamples;
  if (Object.keys(result.suppressed).length > 0) details[`${detailPrefix}suppressedFindings`] = result.suppressed;
}

/** Nested documents a pickle loads (torch.storage._load_from_bytes payloads) are scanned as children. */
export async function scanNestedPayloads(ctx: ScanContext, source: ByteSource, report: FileReport, result: MachineResult): Promise<void> {
  const MAX_NESTED = 256;
  for (const [i, n] of result.nested.entries()) {
    if (i >= MAX_NESTED) {
      report.findings.push({
        ruleId: 'pickle.nested-load-unverified',
        severity: 'medium',
        verdict: 'unknown',
        message: `${result.nested.length - MAX_NESTED} more nested torch.load payloads were not scanned`,
      });
      break;
    }
    const child = await ctx.scanChild(new SliceSource(source, n.offset, n.length), `${report.path}!<${n.via}@${n.offset}>`, 'payload');
    (report.children ??= []).push(child);
  }
}

const PROTO_START = (head: Buffer): boolean => head.length >= 2 && head[0] === 0x80 && head[1]! <= 5;

/**
 * Content detection for pickles: a PROTO header, or protocol 0/1 opcodes that parse cleanly (to STOP
 * or to the end of the head), or a prefix that would make a loader import a denylisted name or call
 * something before it breaks (a payload followed by garbage must still be claimed). Ordinary text
 * fails on its first characters ("# Title", "In this", JSON brackets are not opcodes).
 */
export function looksLikePickle(head: Buffer, size: number): boolean {
  if (head.length === 0) return false;
  const r = probePickle(head, size);
  if (r.calls > 0 || r.extOpcodes > 0 || r.imports.some((i) => denyMatch(i.module, i.name) !== undefined)) return true;
  if (PROTO_START(head)) return r.ok || r.ops >= 2;
  return r.complete || (r.ok && r.ops >= 1);
}
