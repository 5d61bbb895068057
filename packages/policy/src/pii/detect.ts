/**
 * PII detectors over one piece of text (a line, a cell, a JSON string). Patterns are checked,
 * not just matched: card numbers by Luhn and issuer prefix, IBANs by the ISO 13616 mod-97
 * checksum and country length, SSNs by the SSA's never-issued ranges, IP addresses by parsing.
 * Detectors run most specific first and a character belongs to at most one finding, so a card
 * number is not also counted as a phone number.
 */
import { isIPv6 } from 'node:net';
import type { PiiKind } from './kinds.js';

export interface PiiMatch {
  kind: PiiKind;
  /** 0-based offsets into the text. */
  start: number;
  end: number;
}

function luhn(digits: string): boolean {
  let sum = 0;
  for (let i = 0; i < digits.length; i++) {
    let d = digits.charCodeAt(digits.length - 1 - i) - 48;
    if (i % 2 === 1) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
  }
  return sum % 10 === 0;
}

/** Issuer prefixes of the major card networks (Visa, Mastercard, Amex, Discover, JCB, Diners, UnionPay). */
const CARD_PREFIX = /^(?:4|5[1-5]|2(?:2[2-9]|[3-6]\d|7[01]|720)|3[47]|6(?:011|5|4[4-9]|2)|35|3(?:0[0-5]|[68]))/;

function isCard(digits: string): boolean {
  return digits.length >= 13 && digits.length <= 19 && CARD_PREFIX.test(digits) && luhn(digits) && !/^(\d)\1+$/.test(digits);
}

function isSsn(area: string, group: string, serial: string): boolean {
  return area !== '000' && area !== '666' && area[0] !== '9' && group !== '00' && serial !== '0000';
}

/** IBAN lengths by country (ISO 13616 registry). */
const IBAN_LENGTH: Record<string, number> = {
  AD: 24, AE: 23, AL: 28, AT: 20, AZ: 28, BA: 20, BE: 16, BG: 22, BH: 22, BR: 29, BY: 28, CH: 21, CR: 22, CY: 28, CZ: 24, DE: 22, DK: 18,
  DO: 28, EE: 20, EG: 29, ES: 24, FI: 18, FO: 18, FR: 27, GB: 22, GE: 22, GI: 23, GL: 18, GR: 27, GT: 28, HR: 21, HU: 28, IE: 22, IL: 23,
  IQ: 23, IS: 26, IT: 27, JO: 30, KW: 30, KZ: 20, LB: 28, LC: 32, LI: 21, LT: 20, LU: 20, LV: 21, MC: 27, MD: 24, ME: 22, MK: 19, MR: 27,
  MT: 31, MU: 30, NL: 18, NO: 15, PK: 24, PL: 28, PS: 29, PT: 25, QA: 29, RO: 24, RS: 22, SA: 24, SC: 31, SE: 24, SI: 19, SK: 24, SM: 27,
  ST: 25, SV: 28, TL: 23, TN: 24, TR: 26, UA: 29, VA: 22, VG: 24, XK: 20,
};

export function isIban(compact: string): boolean {
  const len = IBAN_LENGTH[compact.slice(0, 2)];
  if (len === undefined || compact.length !== len) return false;
  const rearranged = compact.slice(4) + compact.slice(0, 4);
  let rem = 0;
  for (const ch of rearranged) {
    const code = ch.charCodeAt(0);
    const v = code >= 65 ? code - 55 : code - 48;
    rem = (v >= 10 ? rem * 100 + v : rem * 10 + v) % 97;
  }
  return rem === 1;
}

function isIpv4(text: string): boolean {
  return text.split('.').every((o) => o.length <= 3 && Number(o) <= 255 && !(o.length > 1 && o[0] === '0'));
}

interface Detector {
  kind: PiiKind;
  re: RegExp;
  check: (m: RegExpExecArray) => boolean;
}

const DETECTORS: Detector[] = [
  { kind: 'email', re: /(?<![\w.%+-])[A-Za-z0-9][A-Za-z0-9._%+-]{0,63}@[A-Za-z0-9](?:[A-Za-z0-9-]{0,62}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,62}[A-Za-z0-9])?)*\.[A-Za-z]{2,24}(?![\w-])/g, check: () => true },
  { kind: 'iban', re: /(?<![A-Za-z0-9])[A-Z]{2}\d{2}(?:[ ]?[A-Z0-9]{4}){2,7}(?:[ ]?[A-Z0-9]{1,3})?(?![A-Za-z0-9])/g, check: (m) => isIban(m[0].replace(/ /g, '')) },
  {
    kind: 'creditCard',
    re: /(?<![\d.-])\d(?:[ -]?\d){12,18}(?![\d-]|\.\d)/g,
    check: (m) => {
      const seps = m[0].replace(/\d/g, '');
      // One kind of separator (or none): "4111 1111-1111 1111" is not how cards are written.
      return (seps === '' || /^( +|-+)$/.test(seps)) && isCard(m[0].replace(/[ -]/g, ''));
    },
  },
  { kind: 'ssn', re: /(?<![\d-])(\d{3})([- ])(\d{2})\2(\d{4})(?![\d-])/g, check: (m) => isSsn(m[1]!, m[3]!, m[4]!) },
  { kind: 'ipv6', re: /(?<![\w:.])(?:[0-9A-Fa-f]{0,4}:){2,7}(?:[0-9A-Fa-f]{0,4}|\d{1,3}(?:\.\d{1,3}){3})(?![\w:])/g, check: (m) => /[0-9A-Fa-f]/.test(m[0]) && isIPv6(m[0]) },
  { kind: 'ipv4', re: /(?<![\w.])\d{1,3}(?:\.\d{1,3}){3}(?![\w]|\.\d)/g, check: (m) => isIpv4(m[0]) },
  {
    kind: 'phone',
    // NANP with separators ((555) 123-4567, 555.123.4567, +1 555 123 4567) or international +CC with 8-15 digits.
    re: /(?<![\w+])(?:(?:\+?1[ .-]?)?(?:\(\d{3}\)[ .-]?|\d{3}[ .-])\d{3}[ .-]\d{4}|\+[1-9]\d{0,2}(?:[ .-]?\(?\d{1,4}\)?){2,5})(?![\w])/g,
    check: (m) => {
      const digits = m[0].replace(/\D/g, '').length;
      return digits >= 8 && digits <= 15;
    },
  },
];

/** Findings in one text, in order of position; no two overlap. */
export function detectPii(text: string): PiiMatch[] {
  // Cheap exits: every detector needs a digit or an "@".
  if (!/[\d@]/.test(text)) return [];
  const found: PiiMatch[] = [];
  const overlaps = (s: number, e: number) => found.some((f) => s < f.end && e > f.start);
  for (const d of DETECTORS) {
    if (d.kind === 'email' && !text.includes('@')) continue;
    d.re.lastIndex = 0;
    for (let m = d.re.exec(text); m; m = d.re.exec(text)) {
      const start = m.index;
      const end = start + m[0].length;
      if (!overlaps(start, end) && d.check(m)) found.push({ kind: d.kind, start, end });
    }
  }
  return found.sort((a, b) => a.start - b.start);
}
