import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { detectPii, isIban, renderPiiText, scanPii, scanPiiText } from '../src/index.js';

const FIX = (name: string) => fileURLToPath(new URL(`./fixtures/pii/${name}`, import.meta.url));

function kinds(text: string): string[] {
  return detectPii(text).map((m) => `${m.kind}:${text.slice(m.start, m.end)}`);
}

describe('detectPii', () => {
  it('finds emails, phones, SSNs, card numbers, IBANs and IP addresses', () => {
    expect(kinds('write to ada.l+ml@mail.example.co.uk today')).toEqual(['email:ada.l+ml@mail.example.co.uk']);
    expect(kinds('call (555) 123-4567, 555.123.4567 or +44 20 7946 0958')).toEqual(['phone:(555) 123-4567', 'phone:555.123.4567', 'phone:+44 20 7946 0958']);
    expect(kinds('ssn 123-45-6789')).toEqual(['ssn:123-45-6789']);
    expect(kinds('visa 4111 1111 1111 1111, mc 5555-5555-5555-4444, amex 378282246310005')).toEqual(['creditCard:4111 1111 1111 1111', 'creditCard:5555-5555-5555-4444', 'creditCard:378282246310005']);
    expect(kinds('IBAN GB82 WEST 1234 5698 7654 32 or DE89370400440532013000')).toEqual(['iban:GB82 WEST 1234 5698 7654 32', 'iban:DE89370400440532013000']);
    expect(kinds('from 192.168.0.1 and fe80::1ff:fe23:4567:890a')).toEqual(['ipv4:192.168.0.1', 'ipv6:fe80::1ff:fe23:4567:890a']);
  });

  it('checks what it matches: Luhn, issuer prefixes, IBAN checksum, SSN ranges, IP syntax', () => {
    expect(kinds('4111 1111 1111 1112')).toEqual([]); // Luhn fails
    expect(kinds('0000 0000 0000 0000')).toEqual([]);
    expect(kinds('1234567812345670')).toEqual([]); // Luhn-valid, but no card network starts with 1
    expect(kinds('GB82 WEST 1234 5698 7654 33')).toEqual([]); // mod-97 fails
    expect(isIban('GB82WEST12345698765432')).toBe(true);
    expect(isIban('GB82WEST1234569876543')).toBe(false); // wrong length for GB
    expect(kinds('000-12-3456 666-12-3456 900-12-3456 123-00-4567 123-45-0000')).toEqual([]);
    expect(kinds('version 1.2.3.4.5, 256.1.1.1, std::vector, 12:30:45')).toEqual([]);
    expect(kinds('plain text with no numbers')).toEqual([]);
    expect(kinds('order 20240101123456, epoch 1700000000000')).toEqual([]);
  });

  it('counts each character once: a card number is not also a phone number', () => {
    expect(kinds('4111 1111 1111 1111').map((k) => k.split(':')[0])).toEqual(['creditCard']);
    expect(kinds('123-45-6789').map((k) => k.split(':')[0])).toEqual(['ssn']);
  });
});

describe('scanPii', () => {
  it('CSV: by row and header field, quoted fields with commas, quotes and line breaks', async () => {
    const r = await scanPii(FIX('samples.csv'));
    expect(r).toMatchObject({ format: 'csv', records: 4, total: 5, counts: { email: 1, ipv4: 1, phone: 1, ssn: 1, creditCard: 1, iban: 0 } });
    expect(r.locations).toEqual([
      { kind: 'email', line: 2, row: 1, field: 'contact' },
      { kind: 'ipv4', line: 2, row: 1, field: 'notes' },
      { kind: 'phone', line: 3, row: 2, field: 'contact' },
      { kind: 'ssn', line: 3, row: 2, field: 'notes' },
      { kind: 'creditCard', line: 5, row: 3, field: 'notes' },
    ]);
  });

  it('JSON Lines: by line and JSON path; unparseable lines as text with a column', async () => {
    const r = await scanPii(FIX('samples.jsonl'));
    expect(r.format).toBe('jsonl');
    expect(r.locations).toEqual([
      { kind: 'email', line: 1, field: 'user.email' },
      { kind: 'phone', line: 1, field: 'user.phones[0]' },
      { kind: 'iban', line: 2, field: 'text' },
      { kind: 'creditCard', line: 2, field: 'card' },
      { kind: 'email', line: 3, column: 23 },
      { kind: 'ipv6', line: 4, field: 'text' },
    ]);
  });

  it('Parquet (hand-written fixture, test/fixtures/pii/gen_parquet.py): by row and column', async () => {
    const r = await scanPii(FIX('samples.parquet'));
    expect(r).toMatchObject({ format: 'parquet', records: 5, total: 7, counts: { email: 2, creditCard: 1, ssn: 1, phone: 1, ipv4: 1, iban: 1, ipv6: 0 } });
    expect(r.locations[0]).toEqual({ kind: 'email', row: 1, field: 'email' });
    expect(r.locations.find((l) => l.kind === 'iban')).toEqual({ kind: 'iban', row: 4, field: 'note' });
  });

  it('text (a model card): by line and column', async () => {
    const r = await scanPii(FIX('card.md'));
    expect(r.locations).toEqual([
      { kind: 'email', line: 4, column: 28 },
      { kind: 'phone', line: 7, column: 53 },
    ]);
    expect(scanPiiText('a\nmail x@example.org\n').locations).toEqual([{ kind: 'email', line: 2, column: 6 }]);
  });

  it('never returns the values it found', async () => {
    for (const f of ['samples.csv', 'samples.jsonl', 'samples.parquet', 'card.md']) {
      const out = JSON.stringify(await scanPii(FIX(f))) + renderPiiText([await scanPii(FIX(f))]);
      for (const secret of ['ada@example.com', '123-45-6789', '4111', '5555', 'GB82', '192.168', '2001:db8', '(555)']) expect(out, `${f} ${secret}`).not.toContain(secret);
    }
  });

  it('streams: many lines from an iterator, a very long line, counts complete past the location cap', async () => {
    async function* gen() {
      for (let i = 0; i < 50_000; i++) yield `row ${i} contact user${i}@example.com\n`;
      yield `${'x'.repeat(3 * 1024 * 1024)} tail 10.0.0.1\n`;
    }
    const r = await scanPii(gen(), { name: 'generated', maxLocations: 10 });
    expect(r).toMatchObject({ file: 'generated', format: 'text', records: 50_001, total: 50_001, locationsTruncated: true });
    expect(r.counts.email).toBe(50_000);
    expect(r.counts.ipv4).toBe(1);
    expect(r.locations).toHaveLength(10);
    expect(r.locations[9]).toEqual({ kind: 'email', line: 10, column: 15 });
  });

  it('reads CSV from a stream in small chunks identically', async () => {
    const fs = await import('node:fs');
    const text = fs.readFileSync(FIX('samples.csv'), 'utf8');
    async function* chunks() {
      for (let i = 0; i < text.length; i += 3) yield Buffer.from(text.slice(i, i + 3));
    }
    const streamed = await scanPii(chunks(), { format: 'csv', name: 'x' });
    const file = await scanPii(FIX('samples.csv'));
    expect(streamed.locations).toEqual(file.locations);
  });

  it('renders counts and locations', async () => {
    const text = renderPiiText([await scanPii(FIX('samples.csv'))]);
    expect(text).toContain('samples.csv (csv, 4 records): 5 found: email 1, phone 1, ssn 1, creditCard 1, ipv4 1');
    expect(text).toContain('  ssn        line 3, row 2, field notes');
  });
});
