import type { Command } from 'commander';
import { type Lineage, LineageSchema, parseModelVersionRef } from '@steward/domain';
import { enc } from '../client.js';
import { connect, parseArg } from '../command.js';
import { type Io, printJson } from '../output.js';

export function register(program: Command, io: Io): void {
  program
    .command('lineage <ref>')
    .description('print the ancestry (datasets, base models, code) and descendants of ORG/NAME@VERSION')
    .option('--json', 'the graph as JSON (nodes and edges)')
    .action(async (refText: string, opts: { json?: boolean }, cmd: Command) => {
      const r = parseArg(() => parseModelVersionRef(refText, 'lineage'));
      const { client } = connect(cmd, io);
      const g = await client.json('GET', `/api/v1/orgs/${enc(r.org)}/models/${enc(r.model)}/versions/${enc(r.ref)}/lineage`, LineageSchema);
      if (opts.json) return printJson(io, g);
      for (const line of renderLineage(g)) io.out(line);
    });
}

/** Ancestry as an indented tree below the version; descendants listed after it. */
export function renderLineage(g: Lineage): string[] {
  const nodes = new Map(g.nodes.map((n) => [n.id, n]));
  const out: string[] = [];
  const label = (id: string) => nodes.get(id)?.label ?? id;
  // Up from the root: only the root and its ancestors are visited, so every edge leads upward.
  const walkUp = (id: string, depth: number, seen: Set<string>) => {
    if (seen.has(id)) return;
    seen.add(id);
    for (const e of g.edges.filter((e) => e.from === id)) {
      out.push(`${'  '.repeat(depth)}${e.relation.replace('_', ' ')}: ${label(e.to)}`);
      if (e.relation === 'derived_from') walkUp(e.to, depth + 1, seen);
    }
  };
  out.push(label(g.root));
  const commit = g.sourceCommits.find((c) => c.version === label(g.root));
  if (commit) out.push(`  code: ${commit.repo ?? ''}@${commit.commit}`);
  walkUp(g.root, 1, new Set());
  const descendants = descendantsOf(g, g.root);
  if (descendants.length) {
    out.push('descendants:');
    for (const [id, depth] of descendants) out.push(`${'  '.repeat(depth)}${label(id)}`);
  }
  return out;
}

function descendantsOf(g: Lineage, root: string): [string, number][] {
  const out: [string, number][] = [];
  const visit = (id: string, depth: number) => {
    for (const e of g.edges.filter((e) => e.relation === 'derived_from' && e.to === id)) {
      if (out.some(([x]) => x === e.from)) continue;
      out.push([e.from, depth]);
      visit(e.from, depth + 1);
    }
  };
  visit(root, 1);
  return out;
}
