/**
 * Glob patterns for paths, model names and rule ids: `*` any run of characters except `/`,
 * `**` any run including `/` (`**\/` also matches no directory), `?` one character except `/`,
 * `[abc]`/`[a-z]`/`[!a]` classes, `\x` a literal. Compiled patterns are cached.
 */
const cache = new Map<string, RegExp>();

export function globToRegExp(pattern: string): RegExp {
  const hit = cache.get(pattern);
  if (hit) return hit;
  let re = '^';
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i]!;
    if (c === '*') {
      if (pattern[i + 1] === '*') {
        i++;
        if (pattern[i + 1] === '/') {
          i++;
          re += '(?:.*/)?';
        } else re += '.*';
      } else re += '[^/]*';
    } else if (c === '?') re += '[^/]';
    else if (c === '[') {
      const close = pattern.indexOf(']', i + 2);
      if (close < 0) re += '\\[';
      else {
        let body = pattern.slice(i + 1, close);
        if (body.startsWith('!')) body = `^${body.slice(1)}`;
        re += `[${body.replace(/\\/g, '\\\\')}]`;
        i = close;
      }
    } else if (c === '\\' && i + 1 < pattern.length) {
      re += pattern[++i]!.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
    } else re += c.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
  }
  const compiled = new RegExp(`${re}$`, 'u');
  if (cache.size > 4096) cache.clear();
  cache.set(pattern, compiled);
  return compiled;
}

export function globMatch(pattern: string, text: string): boolean {
  return globToRegExp(pattern).test(text);
}
