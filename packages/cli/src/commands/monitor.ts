import type { Command } from 'commander';
import { DriftReportSchema, MonitorSummarySchema, parseModelRef, RingNameSchema, type DriftReport } from '@steward/domain';
import { enc } from '../client.js';
import { connect, parseArg } from '../command.js';
import { CliError } from '../errors.js';
import { type Io, printJson, table } from '../output.js';

const BARS = '▁▂▃▄▅▆▇█';

/** A one-line chart of a series (null: no data in that point). */
export function sparkline(values: readonly (number | null)[]): string {
  const nums = values.filter((v): v is number => v !== null && Number.isFinite(v));
  if (nums.length === 0) return '';
  const lo = Math.min(...nums);
  const hi = Math.max(...nums);
  return values.map((v) => (v === null || !Number.isFinite(v) ? ' ' : BARS[hi === lo ? 3 : Math.round(((v - lo) / (hi - lo)) * (BARS.length - 1))]!)).join('');
}

function fmt(v: unknown, digits = 3): string {
  if (typeof v !== 'number' || !Number.isFinite(v)) return '-';
  if (Number.isInteger(v)) return String(v);
  return Math.abs(v) >= 100 ? v.toFixed(1) : v.toPrecision(digits);
}

function target(ref: string): { org: string; model: string; ring?: string } {
  const at = ref.lastIndexOf('@');
  const m = parseArg(() => parseModelRef(at > 0 ? ref.slice(0, at) : ref));
  if (at <= 0) return m;
  const ring = ref.slice(at + 1);
  if (!RingNameSchema.safeParse(ring).success) throw new CliError(`"${ring}" is not a ring name (ORG/NAME@RING)`, 2);
  return { ...m, ring };
}

function windowQuery(opts: { env?: string; version?: string; window?: string; since?: string; until?: string }, ring?: string): URLSearchParams {
  const q = new URLSearchParams();
  if (ring) q.set('ring', ring);
  if (opts.env) q.set('environment', opts.env);
  if (opts.version) q.set('version', opts.version);
  if (opts.window) {
    if (!/^\d+[smhd]$/.test(opts.window)) throw new CliError(`--window: "${opts.window}" is not a length such as 15m, 24h or 30d`, 2);
    q.set('window', opts.window);
  }
  for (const [k, v] of [['since', opts.since], ['until', opts.until]] as const) {
    if (v === undefined) continue;
    if (!Number.isFinite(Date.parse(v))) throw new CliError(`--${k}: "${v}" is not a time (ISO-8601)`, 2);
    q.set(k, new Date(v).toISOString());
  }
  return q;
}

type DriftFeature = DriftReport['features'][number];

function driftRow(name: string, f: DriftFeature): string[] {
  const stat = f.statistic === null ? 'inf' : fmt(f.statistic, 4);
  const bound = f.errorBound === null ? '±inf' : f.errorBound > 0 ? `±${fmt(f.errorBound, 2)}` : 'exact';
  return [name, f.kind, f.method, stat, f.pValue === null ? '-' : fmt(f.pValue, 3), fmt(f.threshold, 3), f.drifted ? 'DRIFT' : 'ok', `${f.nReference}/${f.nCurrent}`, bound, sparkline(f.trend)];
}

export function driftRows(d: DriftReport): string[][] {
  const rows = d.features.map((f) => driftRow(f.feature, f));
  if (d.output) rows.push(driftRow('(output)', d.output));
  return [['FEATURE', 'KIND', 'TEST', 'STAT', 'P', 'THRESH', 'DRIFT', 'N REF/CUR', 'BOUND', 'TREND'], ...rows];
}

export function register(program: Command, io: Io): void {
  program
    .command('monitor <model[@ring]>')
    .description('a deployment\'s production figures over a window: traffic, latency, quality, toxicity, fairness, drift per feature with trends, open alerts')
    .option('--env <environment>', 'environment')
    .option('--version <semver>', 'the version (default: the one the ring points at)')
    .option('--window <length>', 'window ending now (or at --until), e.g. 15m, 24h, 30d', '1h')
    .option('--since <time>', 'window start instead of --window')
    .option('--until <time>', 'window end (default now)')
    .option('--json', 'machine-readable output')
    .action(async (ref: string, opts: { env?: string; version?: string; window?: string; since?: string; until?: string; json?: boolean }, cmd: Command) => {
      const t = target(ref);
      const q = windowQuery(opts.since ? { ...opts, window: undefined } : opts, t.ring);
      const { client } = connect(cmd, io);
      const s = await client.json('GET', `/api/v1/orgs/${enc(t.org)}/models/${enc(t.model)}/monitor?${q}`, MonitorSummarySchema);
      if (opts.json) return printJson(io, s);
      const d = s.deployment;
      const f = s.figures as Record<string, any>;
      io.out(`${d.model}@${d.version} in ${d.ring}/${d.environment}${d.inRing ? '' : '  (NOT the ring\'s current version)'}   ${s.window.from} .. ${s.window.to}`);
      if (d.flaggedPoints > 0) io.out(`flagged: ${d.flaggedPoints} points claimed a ring that does not point at this version`);
      const trend = s.trend;
      const rows: string[][] = [['FIGURE', 'VALUE', 'N', 'TREND']];
      rows.push(['requests', fmt(f.requests), '', sparkline(trend.map((p) => p.requests))]);
      rows.push(['error rate', fmt(f.error_rate), fmt(f.requests), sparkline(trend.map((p) => p.errorRate))]);
      if (f.latency) rows.push(['latency p50/p95/p99 ms', `${fmt(f.latency.p50)} / ${fmt(f.latency.p95)} / ${fmt(f.latency.p99)}`, fmt(f.latency.n), sparkline(trend.map((p) => p.latencyP99))]);
      if (f.accuracy !== undefined) rows.push(['accuracy', fmt(f.accuracy), fmt(f.labeled), '']);
      if (f.f1 !== undefined) rows.push(['precision / recall / f1', `${fmt(f.precision)} / ${fmt(f.recall)} / ${fmt(f.f1)}`, fmt(f.labeled), '']);
      if (f.toxicity) rows.push([`toxic rate (score >= ${f.toxicity.threshold})`, `${fmt(f.toxicity.rate)} [${fmt(f.toxicity.low)}, ${fmt(f.toxicity.high)}]`, fmt(f.toxicity.n), '']);
      if (f.fairness) rows.push(['fairness dpd / eod', `${fmt(f.fairness.dpd)} / ${fmt(f.fairness.eod)}`, fmt(f.fairness.n), '']);
      if (f.gpu_memory) rows.push(['GPU memory p95 / max MB', `${fmt(f.gpu_memory.p95)} / ${fmt(f.gpu_memory.max)}`, fmt(f.gpu_memory.n), '']);
      if (f.tokens) rows.push(['tokens per request', fmt(f.tokens.per_request), fmt(f.tokens.n), '']);
      if (s.drift.share !== null) rows.push(['drift share', `${fmt(s.drift.share)}${s.drift.drifted ? ' DRIFTED' : ''}`, String(s.drift.features.length), sparkline(trend.map((p) => p.driftShare))]);
      for (const line of table(rows)) io.out(line);
      io.out('');
      if (s.drift.reference === null) io.out('drift: no reference (attach a dataset profile with `steward profile`, or `steward deploy --baseline`)');
      else {
        io.out(`drift against ${s.drift.reference.description} (${s.drift.reference.rows} rows):`);
        for (const line of table(driftRows(s.drift))) io.out(line);
      }
      io.out('');
      if (s.alerts.length === 0) io.out('alerts: none open');
      else for (const line of table([['ALERT', 'RULE', 'STATE', 'SEVERITY', 'SINCE'], ...s.alerts.map((a) => [a.id.slice(0, 8), a.rule, a.state + (a.acknowledged ? ' (acked)' : '') + (a.silenced ? ' (silenced)' : ''), a.severity, a.stateSince])])) io.out(line);
    });

  program
    .command('drift <model[@ring]>')
    .description('drift per feature of a deployment against its reference, with the test, statistic, threshold and sample sizes')
    .option('--ring <ring>', 'the ring (or MODEL@RING)')
    .option('--env <environment>', 'environment')
    .option('--version <semver>', 'the version (default: the one the ring points at)')
    .option('--since <time>', 'window start (default: --window before --until)')
    .option('--until <time>', 'window end (default now)')
    .option('--window <length>', 'window length, e.g. 24h', '24h')
    .option('--method <test>', 'override the default test: ks, chisquare, z, psi, wasserstein, jensenshannon')
    .option('--threshold <x>', 'override the test\'s threshold')
    .option('--share <x>', 'share of drifted features from which the dataset drifted (default 0.5)')
    .option('--binning <how>', 'numeric PSI and Jensen-Shannon: evidently (equal-width, default) or reference-quantiles')
    .option('--json', 'machine-readable output')
    .action(async (ref: string, opts: { ring?: string; env?: string; version?: string; since?: string; until?: string; window?: string; method?: string; threshold?: string; share?: string; binning?: string; json?: boolean }, cmd: Command) => {
      const t = target(ref);
      const q = windowQuery(opts.since ? { ...opts, window: undefined } : opts, opts.ring ?? t.ring);
      if (opts.method) {
        if (!['ks', 'chisquare', 'z', 'psi', 'wasserstein', 'jensenshannon'].includes(opts.method)) throw new CliError(`--method: "${opts.method}" is not one of ks, chisquare, z, psi, wasserstein, jensenshannon`, 2);
        q.set('method', opts.method);
      }
      if (opts.binning) {
        if (!['evidently', 'reference-quantiles'].includes(opts.binning)) throw new CliError(`--binning: "${opts.binning}" is not evidently or reference-quantiles`, 2);
        q.set('binning', opts.binning);
      }
      for (const [k, v] of [['threshold', opts.threshold], ['share', opts.share]] as const) {
        if (v === undefined) continue;
        if (!Number.isFinite(Number(v))) throw new CliError(`--${k}: "${v}" is not a number`, 2);
        q.set(k, v);
      }
      const { client } = connect(cmd, io);
      const d = await client.json('GET', `/api/v1/orgs/${enc(t.org)}/models/${enc(t.model)}/drift?${q}`, DriftReportSchema);
      if (opts.json) return printJson(io, d);
      io.out(`${d.window.from} .. ${d.window.to}  against ${d.reference ? `${d.reference.description} (${d.reference.rows} rows)` : 'no reference'}`);
      if (d.share !== null) io.out(`dataset drift: ${d.drifted ? 'YES' : 'no'} (${d.features.filter((f) => f.drifted).length} of ${d.features.length} features, share ${fmt(d.share)} vs ${d.driftShare})`);
      for (const line of table(driftRows(d))) io.out(line);
      // Scripts gate on drift: exit 1 when a feature drifted (the table is already printed).
      if (d.features.some((f) => f.drifted)) throw new CliError('', 1);
    });
}


