/**
 * Hugging Face chat templates in JSON (`tokenizer-config` handler): `tokenizer_config.json`,
 * `chat_template.json`, `processor_config.json` — any JSON object with a top-level
 * `chat_template` key: a template string, a list of `{name, template}` objects (transformers'
 * named templates), or a name -> template mapping (which transformers also accepts). Each
 * template is analysed as Jinja (../jinja).
 *
 * Detection: the template key is often far from the start (`added_tokens_decoder` comes first
 * and runs to tens of kilobytes), beyond the head the detector sees. So this handler claims every
 * JSON object (text starting with `{` and a key) and then decides with a streaming scan of the
 * top-level keys (escaped keys such as `chat\u005ftemplate` included): an object without
 * `chat_template` is reported as plain `json` with no findings, exactly as the `json` handler
 * would. It must therefore come right before the `json` handler, after every handler that
 * claims more specific JSON documents.
 *
 * The document is parsed the way Python's `json.load` reads it (NaN/Infinity accepted); when a
 * key repeats, every value is analysed (Python keeps the last, other readers the first).
 */
import { type FormatHandler, LimitExceeded, type ScanContext } from '../context.js';
import { checkTemplate } from '../jinja/index.js';
import { JsonError, type JsonValue, parseJson, utf8Offset } from '../jinja/json.js';
import type { ByteSource } from '../source.js';
import type { FileReport } from '../types.js';
import { isTemplateName, isText, looksLikeJsonObject, scanTemplateFile } from './jinja-template.js';

const TEMPLATE_KEY = 'chat_template';

/**
 * Streaming check for a top-level key equal to `chat_template` in a JSON object. Tracks strings,
 * escapes and nesting byte by byte; keys are decoded with their escapes before comparing.
 */
export class TopLevelKeyScanner {
  private depth = 0;
  private inString = false;
  private escape = false;
  private expectKey = false;
  private collecting = false;
  private raw: number[] = [];
  private overflow = false;
  found = false;

  constructor(private readonly wanted: string) {}

  push(chunk: Buffer): void {
    for (let i = 0; i < chunk.length; i++) {
      const b = chunk[i]!;
      if (this.inString) {
        if (this.escape) this.escape = false;
        else if (b === 0x5c) this.escape = true;
        else if (b === 0x22) {
          this.inString = false;
          if (this.collecting) this.endKey();
          continue;
        }
        if (this.collecting) {
          if (this.raw.length < 256) this.raw.push(b);
          else this.overflow = true;
        }
        continue;
      }
      switch (b) {
        case 0x22:
          this.inString = true;
          this.collecting = this.depth === 1 && this.expectKey;
          this.expectKey = false;
          this.raw = [];
          this.overflow = false;
          break;
        case 0x7b:
        case 0x5b:
          this.depth++;
          if (this.depth === 1) this.expectKey = b === 0x7b;
          break;
        case 0x7d:
        case 0x5d:
          this.depth--;
          break;
        case 0x2c:
          if (this.depth === 1) this.expectKey = true;
          break;
        default:
          break;
      }
    }
  }

  private endKey(): void {
    this.collecting = false;
    if (this.overflow) return;
    const raw = Buffer.from(this.raw).toString('utf8');
    if (raw === this.wanted) this.found = true;
    else if (raw.includes('\\')) {
      try {
        if (JSON.parse(`"${raw}"`) === this.wanted) this.found = true;
      } catch {
        // not a valid string; the full parse will say so if it matters
      }
    }
  }
}

export const tokenizerConfigHandler: FormatHandler = {
  id: 'tokenizer-config',
  detect: (head) => isText(head) && looksLikeJsonObject(head.toString('utf8')),
  async scan(ctx, source, report) {
    await scanConfig(ctx, source, report);
  },
};

async function scanConfig(ctx: ScanContext, source: ByteSource, report: FileReport): Promise<void> {
  if (isTemplateName(report.path)) {
    // `chat_template.jinja` whose text starts like a JSON object: loaders render it as a template.
    await scanTemplateFile(ctx, source, report);
    return;
  }
  const scanner = new TopLevelKeyScanner(TEMPLATE_KEY);
  let whole: Buffer | null = null;
  if (source.size <= ctx.limits.maxTextBytes) {
    whole = await source.read(0, source.size);
    scanner.push(whole);
  } else {
    for await (const chunk of source.chunks()) {
      ctx.checkTime();
      scanner.push(chunk);
      if (scanner.found) break;
    }
  }
  if (!scanner.found) {
    report.format = 'json';
    return;
  }
  // Set explicitly: the registry may run this analysis inside a combined JSON-object handler.
  report.format = 'tokenizer-config';
  if (!whole) throw new LimitExceeded('maxTextBytes', `JSON document with a chat_template of ${source.size} bytes exceeds the ${ctx.limits.maxTextBytes}-byte text limit`);
  const text = whole.toString('utf8');
  let root: JsonValue;
  const duplicates: string[] = [];
  try {
    root = parseJson(text.replace(/^\uFEFF/, ''), {
      python: true,
      onDuplicate: (key, _pos, path) => {
        if (path === '' && key === TEMPLATE_KEY) duplicates.push(key);
      },
      tick: () => ctx.checkTime(),
    });
  } catch (err) {
    if (!(err instanceof JsonError)) throw err;
    report.findings.push({
      ruleId: 'tokenizer-config.invalid-json',
      severity: 'medium',
      verdict: 'unknown',
      message: `has a chat_template key but is not valid JSON (${err.message}); its template could not be analysed`,
      location: { offset: utf8Offset(text, Math.min(err.pos, text.length)) },
    });
    return;
  }
  if (root.t !== 'obj') {
    report.format = 'json';
    return;
  }
  const bom = text.startsWith('\uFEFF') ? 3 : 0;
  const names: string[] = [];
  let bytes = 0;
  for (const [key, v] of root.entries) {
    if (key !== TEMPLATE_KEY) continue;
    const offset = bom + utf8Offset(text.replace(/^\uFEFF/, ''), v.pos);
    if (v.t === 'null') continue;
    if (v.t === 'str') {
      const res = checkTemplate(ctx, v.v, 'chat_template', { offset, path: TEMPLATE_KEY });
      report.findings.push(...res.findings);
      names.push('default');
      bytes += res.summary.bytes;
      continue;
    }
    if (v.t === 'arr') {
      v.items.forEach((item, i) => {
        const path = `${TEMPLATE_KEY}[${i}]`;
        const name = item.t === 'obj' ? item.entries.find(([k]) => k === 'name')?.[1] : undefined;
        const tmpl = item.t === 'obj' ? item.entries.find(([k]) => k === 'template')?.[1] : undefined;
        if (!tmpl || tmpl.t !== 'str' || (name && name.t !== 'str')) {
          report.findings.push({
            ruleId: 'tokenizer-config.invalid-chat-template',
            severity: 'medium',
            verdict: 'unknown',
            message: `${path} is not a {"name": string, "template": string} object`,
            location: { offset: bom + utf8Offset(text.replace(/^\uFEFF/, ''), item.pos), path },
          });
          return;
        }
        const label = name?.t === 'str' ? name.v : `#${i}`;
        const res = checkTemplate(ctx, tmpl.v, `chat_template "${label}"`, { offset: bom + utf8Offset(text.replace(/^\uFEFF/, ''), tmpl.pos), path: `${path}.template` });
        report.findings.push(...res.findings);
        names.push(label);
        bytes += res.summary.bytes;
      });
      continue;
    }
    if (v.t === 'obj') {
      // transformers keeps a mapping name -> template as is (the list form is converted to one).
      for (const [name, tmpl] of v.entries) {
        const path = `${TEMPLATE_KEY}.${name}`;
        const at = bom + utf8Offset(text.replace(/^\uFEFF/, ''), tmpl.pos);
        if (tmpl.t !== 'str') {
          report.findings.push({ ruleId: 'tokenizer-config.invalid-chat-template', severity: 'medium', verdict: 'unknown', message: `${path} is not a template string`, location: { offset: at, path } });
          continue;
        }
        const res = checkTemplate(ctx, tmpl.v, `chat_template "${name}"`, { offset: at, path });
        report.findings.push(...res.findings);
        names.push(name);
        bytes += res.summary.bytes;
      }
      continue;
    }
    report.findings.push({
      ruleId: 'tokenizer-config.invalid-chat-template',
      severity: 'medium',
      verdict: 'unknown',
      message: `chat_template is a ${v.t === 'num' ? 'number' : 'boolean'}, not a template string or a list of named templates`,
      location: { offset, path: TEMPLATE_KEY },
    });
  }
  if (duplicates.length) {
    report.findings.push({
      ruleId: 'tokenizer-config.duplicate-key',
      severity: 'info',
      verdict: 'safe',
      message: 'chat_template appears more than once; every value was analysed (Python keeps the last)',
      location: { path: TEMPLATE_KEY },
    });
  }
  report.details = { chatTemplates: names, templateBytes: bytes };
}
