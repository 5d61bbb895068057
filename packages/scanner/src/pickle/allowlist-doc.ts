/**
 * Renders docs/scanner-allowlist.md from the allowlist data, so the document cannot drift from
 * what the scanner decides (a test compares them; regenerate with
 * `npx tsc -b packages/scanner && node packages/scanner/test/pickle/gen-allowlist-doc.mjs`).
 */
import { ALLOW_GROUPS, DENY_GROUPS } from './allowlist.js';

export function renderAllowlistDoc(): string {
  const out: string[] = [];
  const allowCount = ALLOW_GROUPS.reduce((n, g) => n + g.entries.length, 0);
  const denyCount = DENY_GROUPS.reduce((n, g) => n + g.entries.length, 0);
  out.push(
    '# Pickle import allowlist',
    '',
    '<!-- Generated from packages/scanner/src/pickle/allowlist.ts by packages/scanner/test/pickle/gen-allowlist-doc.mjs; do not edit by hand. -->',
    '',
    'Every import a pickle performs (GLOBAL, INST, STACK_GLOBAL, and the EXT opcodes) is classified:',
    '',
    '- **safe**: the exact `module.name` is on the allowlist below. An entry means: calling it with any',
    '  arguments built from other allowed values, and restoring its state with BUILD, runs no code the',
    '  pickle author chose. Arguments that are themselves callables must be imports of the same pickle',
    '  and are classified on their own.',
    '- **unsafe**: the import matches the denylist below (which only explains and escalates: the verdict',
    '  would fail the gate anyway), or its name walks through a dunder attribute (`x.__globals__`).',
    '- **unknown**: everything else. It cannot be proved safe, so it fails the default gate',
    '  (`--fail-on unknown`).',
    '',
    'A file is `safe` only when every import of every pickle in it is safe and the pickle is',
    'structurally valid (see docs/scanner.md for the structural rules).',
    '',
    '## Matching rules',
    '',
    '- Allowlist entries match exactly. There are no module wildcards in the built-in list: a module',
    '  that holds one safe class usually also holds functions that are not (`sklearn.utils._testing`',
    '  runs Python code, `pathlib` re-exports `os`).',
    '- Denylist entries match a dotted prefix: `asyncio` denies `asyncio.unix_events._UnixSubprocessTransport`,',
    '  `os` denies `os.path.join`.',
    '- Dotted names are attribute walks (protocol 4 `find_class` resolves `name` with getattr, one',
    '  segment at a time), so the denylist is also checked against every dotted suffix of the name:',
    '  `pathlib` + `os.system` is `os.system`, `torch._utils` + `builtins.eval` is `builtins.eval`.',
    '- Python 2 names are mapped the way CPython does below protocol 3 (`__builtin__` -> `builtins`,',
    '  `copy_reg` -> `copyreg`, `exceptions.ValueError` -> `builtins.ValueError`, ...); a name denied as',
    '  written stays denied.',
    '- The denylist always wins, also over `--allow`.',
    '',
    '## Extending the allowlist',
    '',
    '`steward scan --allow MODULE.NAME` (repeatable) or a policy entry adds an exact name;',
    '`--allow MODULE.*` allows every non-dotted, non-dunder name of `MODULE` and its submodules. Prefer',
    'exact names: a wildcard over a package you do not control allows everything it will ever contain.',
    '',
    `## Allowlist (${allowCount} entries)`,
    '',
  );
  for (const g of ALLOW_GROUPS) {
    out.push(`### ${g.title}`, '', `Why safe: ${g.why}`, '', ...wrapEntries(g.entries), '');
  }
  out.push(
    `## Denylist (${denyCount} entries, prefix match)`,
    '',
    'These are the callables (and whole modules) public advisories and scanners have shown to run',
    'code, touch files or the network, or load further pickles. Listing them only sets the severity',
    'and the explanation: anything not on the allowlist already fails the gate.',
    '',
  );
  for (const g of DENY_GROUPS) {
    out.push(`### ${g.title} (severity ${g.severity})`, '', g.why, '', ...wrapEntries(g.entries), '');
  }
  return `${out.join('\n').trimEnd()}\n`;
}

function wrapEntries(entries: readonly string[]): string[] {
  return entries.map((e) => `- \`${e}\``);
}
