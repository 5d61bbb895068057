/**
 * A tiny document model for the prose exports (Annex IV, GPAI form), rendered to Markdown or to
 * a standalone HTML page. Building blocks first and rendering second is what keeps the HTML
 * escaped everywhere: no text reaches the page without passing escapeHtml.
 *
 * Text in headings, paragraphs, lists and tables is plain text in which `backticks` mark code;
 * card text is Markdown written by model authors and is quoted, never interpreted, in HTML.
 */
import { cell, escapeHtml } from './markdown.js';

export const TO_BE_COMPLETED = 'To be completed by the provider';

export type Block =
  | { kind: 'heading'; level: 1 | 2 | 3 | 4; text: string }
  | { kind: 'paragraph'; text: string }
  /** Label/value pairs, e.g. "Provider: acme". */
  | { kind: 'facts'; items: [string, string][] }
  | { kind: 'list'; items: string[] }
  | { kind: 'table'; header: string[]; rows: string[][] }
  /** Text quoted from the model card; `source` names the card section. */
  | { kind: 'quote'; source: string; text: string }
  /** Information the registry does not hold: what the provider must add. */
  | { kind: 'todo'; text: string };

export function renderMarkdown(blocks: Block[]): string {
  const out: string[] = [];
  for (const b of blocks) {
    switch (b.kind) {
      case 'heading':
        out.push(`${'#'.repeat(b.level)} ${b.text}`);
        break;
      case 'paragraph':
        out.push(b.text);
        break;
      case 'facts':
        out.push(b.items.map(([k, v]) => `- **${k}:** ${v}`).join('\n'));
        break;
      case 'list':
        out.push(b.items.map((i) => `- ${i}`).join('\n'));
        break;
      case 'table':
        out.push(
          [`| ${b.header.map(cell).join(' | ')} |`, `|${b.header.map(() => '---').join('|')}|`, ...b.rows.map((r) => `| ${r.map(cell).join(' | ')} |`)].join('\n'),
        );
        break;
      case 'quote':
        // Quoted line by line so that the card's Markdown stays inside the quote.
        out.push([`> _From the model card, section "${b.source}":_`, '>', ...b.text.split('\n').map((l) => (l === '' ? '>' : `> ${l}`))].join('\n'));
        break;
      case 'todo':
        out.push(`**${TO_BE_COMPLETED}:** ${b.text}`);
        break;
    }
  }
  return `${out.join('\n\n')}\n`;
}

/** Escaped text with `code` spans as <code>. */
function inline(text: string): string {
  return escapeHtml(text).replace(/`([^`]+)`/g, '<code>$1</code>');
}

const STYLE = [
  'body{font-family:system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem;line-height:1.5;color:#1a1a1a}',
  'table{border-collapse:collapse;margin:1rem 0}th,td{border:1px solid #bbb;padding:.25rem .5rem;text-align:left;vertical-align:top}',
  'code{font-size:.9em;word-break:break-all}',
  'blockquote{margin:1rem 0;padding:.5rem 1rem;border-left:4px solid #bbb;background:#f6f6f6}',
  'blockquote pre{white-space:pre-wrap;margin:0;font-family:inherit}',
  '.todo{border-left:4px solid #c60;background:#fff4e5;padding:.5rem 1rem}',
].join('');

/** A complete page: no scripts, no external resources. */
export function renderHtml(title: string, blocks: Block[]): string {
  const body: string[] = [];
  for (const b of blocks) {
    switch (b.kind) {
      case 'heading':
        body.push(`<h${b.level}>${inline(b.text)}</h${b.level}>`);
        break;
      case 'paragraph':
        body.push(`<p>${inline(b.text)}</p>`);
        break;
      case 'facts':
        body.push(`<ul>${b.items.map(([k, v]) => `<li><strong>${inline(k)}:</strong> ${inline(v)}</li>`).join('')}</ul>`);
        break;
      case 'list':
        body.push(`<ul>${b.items.map((i) => `<li>${inline(i)}</li>`).join('')}</ul>`);
        break;
      case 'table':
        body.push(
          `<table><thead><tr>${b.header.map((h) => `<th>${inline(h)}</th>`).join('')}</tr></thead><tbody>${b.rows
            .map((r) => `<tr>${r.map((c) => `<td>${inline(c)}</td>`).join('')}</tr>`)
            .join('')}</tbody></table>`,
        );
        break;
      case 'quote':
        body.push(`<blockquote><p><em>From the model card, section “${escapeHtml(b.source)}”:</em></p><pre>${escapeHtml(b.text)}</pre></blockquote>`);
        break;
      case 'todo':
        body.push(`<p class="todo"><strong>${TO_BE_COMPLETED}:</strong> ${inline(b.text)}</p>`);
        break;
    }
  }
  return [
    '<!DOCTYPE html>',
    '<html lang="en">',
    '<head>',
    '<meta charset="utf-8">',
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    `<title>${escapeHtml(title)}</title>`,
    `<style>${STYLE}</style>`,
    '</head>',
    '<body>',
    ...body,
    '</body>',
    '</html>',
    '',
  ].join('\n');
}
