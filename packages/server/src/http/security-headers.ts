/**
 * Response security headers for a JSON API, after the OWASP REST Security Cheat Sheet: no
 * framing, no content sniffing, no referrer leaks, no caching of authenticated answers by shared
 * caches, HSTS under TLS. Computed once; browser-page headers (XSS filter, DNS prefetch, download
 * options...) are left out because nothing here is a page, and every byte is paid on every response.
 */
export function securityHeaders(opts: { https: boolean }): Record<string, string> {
  return {
    'content-security-policy': "default-src 'none'; frame-ancestors 'none'",
    'x-content-type-options': 'nosniff',
    'x-frame-options': 'DENY',
    'referrer-policy': 'no-referrer',
    'cross-origin-resource-policy': 'same-origin',
    'cache-control': 'no-store',
    ...(opts.https ? { 'strict-transport-security': 'max-age=31536000; includeSubDomains' } : {}),
  };
}
