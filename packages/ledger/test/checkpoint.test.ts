/**
 * Checkpoints (c2sp.org/tlog-checkpoint): the spec's example body, two real checkpoints signed by
 * sum.golang.org (verified with the Go checksum database's published key), and strict parsing.
 */
import { describe, expect, it } from 'vitest';
import {
  LedgerFormatError,
  LedgerVerificationError,
  TreeBuilder,
  formatCheckpoint,
  generateNoteKey,
  leafHash,
  openCheckpoint,
  parseCheckpoint,
  parseSignerKey,
  parseVerifierKey,
  signCheckpoint,
} from '../src/index.js';

// The key every Go toolchain trusts for sum.golang.org (GOSUMDB's built-in default).
const SUMDB_VKEY = 'sum.golang.org+033de0ae+Ac4zctda0e5eza+HJyk9SxEdh+s3Ux18htTTAD8OuAn8';
const SUMDB_CHECKPOINTS = [
  {
    size: 31700353,
    root: 'qINS1GRFhWHwdkUeqLEoP4yEMkTBBzxBkGwGQlVlVcs=',
    note: 'go.sum database tree\n31700353\nqINS1GRFhWHwdkUeqLEoP4yEMkTBBzxBkGwGQlVlVcs=\n\n\u2014 sum.golang.org Az3grnmrIUEDFqHzAElIQCPNoRFRAAdFo47fooyWKMHb89k11GJh5zHIfNCOBmwn/C3YI8oW9/C8DJ87F61QqspBYwM=\n',
  },
  {
    size: 65209736,
    root: '5+uGFjx6xBZG8ip1+wi77v+grwbhhukIrxEUS8PXvRo=',
    note: 'go.sum database tree\n65209736\n5+uGFjx6xBZG8ip1+wi77v+grwbhhukIrxEUS8PXvRo=\n\n\u2014 sum.golang.org Az3grnbssgK7ubgFX36gVETtNv0U23qxyAhAMai2QUfeGa3nB/akvkMdlUErfcZz7l/R3cVtYspg3dxXABkGZZKdsQ8=\n',
  },
];

// c2sp.org/tlog-checkpoint example body.
const SPEC_BODY = 'example.com/behind-the-sofa\n20852163\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n';
const SPEC_NOTE = `${SPEC_BODY}\n\u2014 example.com/behind-the-sofa Az3grlgtzPICa5OS8npVmf1Myq/5IZniMp+ZJurmRDeOoRDe4URYN7u5/Zhcyv2q1gGzGku9nTo+zyWE+xeMcTOAYQ8=\n`;

describe('checkpoints', () => {
  it('parses and re-formats the spec example byte for byte', () => {
    const checkpoint = parseCheckpoint(SPEC_BODY);
    expect(checkpoint).toMatchObject({ origin: 'example.com/behind-the-sofa', size: 20852163, extensionLines: [] });
    expect(checkpoint.rootHash.toString('base64')).toBe('CsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=');
    expect(formatCheckpoint(checkpoint)).toBe(SPEC_BODY);
    // Its signature is by a key the spec does not publish: it must be ignored, which leaves nothing verified.
    expect(() => openCheckpoint(SPEC_NOTE, [parseVerifierKey(SUMDB_VKEY)])).toThrow(LedgerVerificationError);
  });

  it.each(SUMDB_CHECKPOINTS)('verifies the real sum.golang.org checkpoint of size $size', ({ size, root, note }) => {
    const opened = openCheckpoint(note, [parseVerifierKey(SUMDB_VKEY)], { expectedOrigin: 'go.sum database tree' });
    expect(opened.checkpoint.size).toBe(size);
    expect(opened.checkpoint.rootHash.toString('base64')).toBe(root);
    expect(opened.verifiedBy.map((s) => s.name)).toEqual(['sum.golang.org']);
    expect(() => openCheckpoint(note.replace(String(size), String(size + 1)), [parseVerifierKey(SUMDB_VKEY)])).toThrow(/does not verify/);
    expect(() => openCheckpoint(note, [parseVerifierKey(SUMDB_VKEY)], { expectedOrigin: 'steward' })).toThrow(/not the expected/);
  });

  it('signs and opens a checkpoint of a real tree, with extension lines', () => {
    const { signerKey, verifierKey } = generateNoteKey('steward.example/audit');
    const builder = new TreeBuilder();
    for (let i = 0; i < 10; i++) builder.push(leafHash(Buffer.from(`event ${i}`)));
    const fields = { origin: 'steward.example/audit', size: builder.size, rootHash: builder.root(), extensionLines: ['x-steward 1'] };
    const note = signCheckpoint(fields, parseSignerKey(signerKey));
    expect(note.split('\n').slice(0, 4)).toEqual(['steward.example/audit', '10', builder.root().toString('base64'), 'x-steward 1']);
    const { checkpoint } = openCheckpoint(note, [parseVerifierKey(verifierKey)]);
    expect(checkpoint).toEqual({ ...fields, extensionLines: ['x-steward 1'] });
  });

  it('formats the empty tree as size 0', () => {
    const body = formatCheckpoint({ origin: 'o', size: 0, rootHash: Buffer.alloc(32) });
    expect(body).toBe(`o\n0\n${Buffer.alloc(32).toString('base64')}\n`);
    expect(parseCheckpoint(body).size).toBe(0);
  });

  const root = Buffer.alloc(32, 7).toString('base64');
  it.each([
    ['no final newline', `o\n1\n${root}`, 'checkpoint must end with a newline'],
    ['two lines', 'o\n1\n', /needs origin, tree size and root hash lines; it has 2 lines/],
    ['empty origin', `\n1\n${root}\n`, 'line 1: origin must not be empty'],
    ['leading zero', `o\n01\n${root}\n`, /line 2: tree size must be decimal digits without leading zeros/],
    ['sign', `o\n+1\n${root}\n`, /line 2: tree size/],
    ['negative', `o\n-1\n${root}\n`, /line 2: tree size/],
    ['huge size', `o\n18446744073709551615\n${root}\n`, /line 2: tree size 18446744073709551615 is larger than this implementation supports/],
    ['spaces in size', `o\n 1\n${root}\n`, /line 2/],
    ['short root', `o\n1\n${Buffer.alloc(31).toString('base64')}\n`, 'line 3: root hash must be 32 bytes, got 31'],
    ['non-canonical root', `o\n1\n${root.slice(0, -2)}B=\n`, 'line 3: root hash is not canonical base64'],
    ['unpadded root', `o\n1\n${root.slice(0, -1)}\n`, 'line 3: root hash is not canonical base64'],
    ['empty extension line', `o\n1\n${root}\n\nx\n`, 'line 4: extension line must not be empty'],
    ['carriage return', `o\r\n1\n${root}\n`, 'line 1: origin contains a control character or newline'],
  ])('rejects %s', (_what, text, message) => {
    expect(() => parseCheckpoint(text)).toThrow(LedgerFormatError);
    expect(() => parseCheckpoint(text)).toThrow(message);
  });

  it('refuses to format what it could not parse back', () => {
    const rootHash = Buffer.alloc(32);
    expect(() => formatCheckpoint({ origin: 'a\nb', size: 1, rootHash })).toThrow(/line 1: origin/);
    expect(() => formatCheckpoint({ origin: 'o', size: -1, rootHash })).toThrow(/line 2/);
    expect(() => formatCheckpoint({ origin: 'o', size: 1.5, rootHash })).toThrow(/line 2/);
    expect(() => formatCheckpoint({ origin: 'o', size: 1, rootHash: Buffer.alloc(20) })).toThrow(/line 3/);
    expect(() => formatCheckpoint({ origin: 'o', size: 1, rootHash, extensionLines: [''] })).toThrow(/line 4/);
  });
});
