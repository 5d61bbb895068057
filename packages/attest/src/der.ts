/**
 * Just enough DER to read what Node's X509Certificate does not expose: the validity dates as
 * written, keyUsage bits, basicConstraints and which extensions are critical.
 */

export interface DerNode {
  tag: number;
  /** Offset of the first content byte. */
  start: number;
  /** Offset just past the last content byte. */
  end: number;
}

export class DerError extends Error {}

export function readDerNode(buf: Uint8Array, pos: number, limit = buf.length): DerNode {
  if (pos + 2 > limit) throw new DerError('truncated DER');
  const tag = buf[pos]!;
  if ((tag & 0x1f) === 0x1f) throw new DerError('multi-byte DER tags are not supported');
  let len = buf[pos + 1]!;
  let start = pos + 2;
  if (len & 0x80) {
    const n = len & 0x7f;
    if (n === 0 || n > 4) throw new DerError('unsupported DER length');
    if (start + n > limit) throw new DerError('truncated DER');
    len = 0;
    for (let i = 0; i < n; i++) len = len * 256 + buf[start + i]!;
    start += n;
  }
  const end = start + len;
  if (end > limit) throw new DerError('truncated DER');
  return { tag, start, end };
}

export function derChildren(buf: Uint8Array, node: DerNode): DerNode[] {
  const out: DerNode[] = [];
  for (let pos = node.start; pos < node.end; ) {
    const child = readDerNode(buf, pos, node.end);
    out.push(child);
    pos = child.end;
  }
  return out;
}

export function derOid(buf: Uint8Array, node: DerNode): string {
  if (node.tag !== 0x06 || node.end <= node.start) throw new DerError('expected an OBJECT IDENTIFIER');
  const parts: number[] = [];
  let v = 0;
  for (let i = node.start; i < node.end; i++) {
    v = v * 128 + (buf[i]! & 0x7f);
    if (!(buf[i]! & 0x80)) {
      if (parts.length === 0) parts.push(v < 80 ? Math.floor(v / 40) : 2, v < 80 ? v % 40 : v - 80);
      else parts.push(v);
      v = 0;
    }
  }
  return parts.join('.');
}

/** UTCTime (YYMMDDHHMMSSZ, years 1950-2049) or GeneralizedTime (YYYYMMDDHHMMSSZ). */
export function derTime(buf: Uint8Array, node: DerNode): Date {
  const s = Buffer.from(buf.subarray(node.start, node.end)).toString('latin1');
  let m: RegExpExecArray | null;
  let year: number;
  if (node.tag === 0x17 && (m = /^(\d\d)(\d\d)(\d\d)(\d\d)(\d\d)(\d\d)Z$/.exec(s))) {
    const yy = Number(m[1]);
    year = yy < 50 ? 2000 + yy : 1900 + yy;
  } else if (node.tag === 0x18 && (m = /^(\d{4})(\d\d)(\d\d)(\d\d)(\d\d)(\d\d)Z$/.exec(s))) {
    year = Number(m[1]);
  } else {
    throw new DerError(`unsupported certificate time ${JSON.stringify(s)}`);
  }
  return new Date(Date.UTC(year, Number(m[2]) - 1, Number(m[3]), Number(m[4]), Number(m[5]), Number(m[6])));
}

export interface CertificateFields {
  notBefore: Date;
  notAfter: Date;
  /** undefined when the certificate has no keyUsage extension. */
  keyUsage?: { digitalSignature: boolean; keyCertSign: boolean };
  /** Dotted OIDs; undefined when there is no extendedKeyUsage extension. */
  extendedKeyUsage?: string[];
  basicConstraints?: { ca: boolean; pathLength?: number };
  /** OIDs of every extension marked critical. */
  critical: string[];
}

const OID_KEY_USAGE = '2.5.29.15';
const OID_BASIC_CONSTRAINTS = '2.5.29.19';
const OID_EXT_KEY_USAGE = '2.5.29.37';

/** Reads the fields above from a DER certificate; throws DerError on anything malformed. */
export function readCertificateFields(der: Uint8Array): CertificateFields {
  const cert = readDerNode(der, 0);
  const tbs = derChildren(der, cert)[0];
  if (cert.tag !== 0x30 || tbs?.tag !== 0x30) throw new DerError('not an X.509 certificate');
  const fields = derChildren(der, tbs);
  // [0] version is optional; then serial, signature algorithm, issuer, validity.
  const validity = fields[fields[0]?.tag === 0xa0 ? 4 : 3];
  if (validity?.tag !== 0x30) throw new DerError('certificate has no validity');
  const [nb, na] = derChildren(der, validity);
  if (!nb || !na) throw new DerError('certificate validity is incomplete');
  const out: CertificateFields = { notBefore: derTime(der, nb), notAfter: derTime(der, na), critical: [] };

  const extsWrapper = fields.find((f) => f.tag === 0xa3);
  if (!extsWrapper) return out;
  const exts = derChildren(der, extsWrapper)[0];
  if (exts?.tag !== 0x30) throw new DerError('malformed certificate extensions');
  for (const ext of derChildren(der, exts)) {
    const parts = derChildren(der, ext);
    const oid = derOid(der, parts[0]!);
    const critical = parts[1]?.tag === 0x01 && der[parts[1].start] !== 0;
    const value = parts[parts.length - 1]!;
    if (value.tag !== 0x04) throw new DerError('malformed certificate extension');
    if (critical) out.critical.push(oid);
    const inner = readDerNode(der, value.start, value.end);
    if (oid === OID_KEY_USAGE) {
      if (inner.tag !== 0x03) throw new DerError('malformed keyUsage');
      // BIT STRING: first byte counts unused bits; bit 0 (0x80) digitalSignature, bit 5 (0x04) keyCertSign.
      const first = inner.end - inner.start > 1 ? der[inner.start + 1]! : 0;
      out.keyUsage = { digitalSignature: (first & 0x80) !== 0, keyCertSign: (first & 0x04) !== 0 };
    } else if (oid === OID_EXT_KEY_USAGE) {
      if (inner.tag !== 0x30) throw new DerError('malformed extendedKeyUsage');
      out.extendedKeyUsage = derChildren(der, inner).map((n) => derOid(der, n));
    } else if (oid === OID_BASIC_CONSTRAINTS) {
      if (inner.tag !== 0x30) throw new DerError('malformed basicConstraints');
      const bc = derChildren(der, inner);
      let ca = false;
      let pathLength: number | undefined;
      for (const n of bc) {
        if (n.tag === 0x01) ca = der[n.start] !== 0;
        else if (n.tag === 0x02 && n.end - n.start <= 4) {
          pathLength = 0;
          for (let i = n.start; i < n.end; i++) pathLength = pathLength * 256 + der[i]!;
        }
      }
      out.basicConstraints = pathLength === undefined ? { ca } : { ca, pathLength };
    }
  }
  return out;
}
