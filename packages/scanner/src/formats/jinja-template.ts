/**
 * Standalone Jinja templates (`jinja-template` handler): `chat_template.jinja`,
 * `additional_chat_templates/*.jinja` (transformers loads them by name), templates passed to
 * llama.cpp with `--chat-template-file`.
 *
 * Detection heuristic (documented in docs/scanner.md). Any text is a valid Jinja template, so
 * content decides only when it shows template code, and the name breaks the tie otherwise:
 * - UTF-8 text (no NUL), not a JSON object (`{` followed by a key), not Python source;
 * - and either the head holds a Jinja statement tag (`{% if/for/set/macro/... %}`), or a
 *   `{{ ... }}` tag that mentions chat-template vocabulary (`messages`, `bos_token`,
 *   `add_generation_prompt`, `raise_exception`...), a dunder, or an SSTI global (`self`,
 *   `lipsum`, `cycler`, `joiner`, `namespace`, `config`, `request`) — a README that merely shows
 *   `{{ name }}` placeholders is not claimed;
 * - or the name ends in `.jinja`, `.jinja2` or `.j2` (the tie-break: such text is both text and
 *   a template, and the loaders read it as a template).
 * A file claimed by content alone that does not parse as a template and shows none of the tokens
 * an escape needs is reported as `text` (a model card quoting part of a template); a `.jinja`
 * file that does not parse is `unknown` (`template.syntax-error`).
 */
import type { FormatHandler, ScanContext } from '../context.js';
import { checkTemplate } from '../jinja/index.js';
import type { ByteSource } from '../source.js';
import type { FileReport } from '../types.js';

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** UTF-8 text without NUL bytes (a multi-byte character may be cut at the end of the head). */
export function isText(head: Buffer): boolean {
  if (head.includes(0)) return false;
  for (let cut = 0; cut < 4 && cut <= head.length; cut++) {
    try {
      utf8.decode(head.subarray(0, head.length - cut));
      return true;
    } catch {
      // try a shorter prefix
    }
  }
  return false;
}

/** Text that opens a JSON object: `{` then whitespace then a key or `}`. */
export function looksLikeJsonObject(text: string): boolean {
  const t = text.replace(/^\uFEFF/, '').trimStart();
  if (!t.startsWith('{')) return false;
  const after = t.slice(1).trimStart();
  return after === '' || after.startsWith('"') || after.startsWith('}');
}

const STATEMENT_TAG =
  /\{%[-+]?\s*(?:if|elif|else|endif|for|endfor|set|endset|macro|endmacro|call|endcall|filter|endfilter|raw|include|import|from|extends|block|endblock|with|endwith|generation|endgeneration|break|continue|do|autoescape|print)\b/;
const CHAT_EXPR =
  /\{\{[-+]?(?:(?!\}\})[\s\S]){0,400}?(?:__|\b(?:messages?|bos_token|eos_token|add_generation_prompt|raise_exception|tools?|self|lipsum|cycler|joiner|namespace|config|request|loop)\b)/;
const PY_LINE = /^(?:from\s+[\w.]+\s+import\s|import\s+[\w.]+\s*$|def\s+\w+\s*\(|class\s+\w+\s*[(:]|if\s+__name__\s*==)/m;
const TEMPLATE_NAME = /\.(?:jinja2?|j2)$/i;

export function looksLikeTemplate(text: string): boolean {
  return STATEMENT_TAG.test(text) || CHAT_EXPR.test(text);
}

export const jinjaTemplateHandler: FormatHandler = {
  id: 'jinja-template',
  detect(head, _size, name) {
    if (!isText(head)) return false;
    // A `.jinja` file is read as a template by the loaders even when its text starts like JSON
    // (a template that renders JSON): the name breaks that tie.
    if (TEMPLATE_NAME.test(name)) return true;
    const text = head.toString('utf8');
    if (looksLikeJsonObject(text)) return false;
    if (name.endsWith('.py') || PY_LINE.test(text)) return false;
    return looksLikeTemplate(text);
  },
  scan: scanTemplateFile,
};

export function isTemplateName(name: string): boolean {
  return TEMPLATE_NAME.test(name);
}

/** Analyses a whole file as one Jinja template (also used for `.jinja` files that start like JSON). */
export async function scanTemplateFile(ctx: ScanContext, source: ByteSource, report: FileReport): Promise<void> {
  report.format = 'jinja-template';
  const named = TEMPLATE_NAME.test(report.path);
  if (source.size > ctx.limits.maxTextBytes) {
    report.findings.push({
      ruleId: 'template.limit',
      severity: 'medium',
      verdict: 'inconclusive',
      message: `template of ${source.size} bytes exceeds the ${ctx.limits.maxTextBytes}-byte text limit; not analysed`,
    });
    return;
  }
  const text = (await source.read(0, source.size)).toString('utf8');
  const res = checkTemplate(ctx, text, 'template', {});
  report.details = { template: res.summary };
  if (!res.summary.parsed && !named && res.findings.every((f) => f.ruleId === 'template.syntax-error')) {
    // Claimed on content alone, does not parse, nothing an escape needs: prose quoting template code.
    report.format = 'text';
    report.findings.push({
      ruleId: 'template.unparsed-text',
      severity: 'info',
      verdict: 'safe',
      message: `contains Jinja-like tags but does not parse as a template (${res.findings[0]?.message ?? 'syntax error'}); treated as text`,
      location: res.findings[0]?.location ?? {},
    });
    return;
  }
  report.findings.push(...res.findings);
}
