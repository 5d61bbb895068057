/**
 * Client-side verification of a Steward audit ledger. Every CLI is a witness: it pins the ledger
 * key on first use (or takes one from --public-key), remembers the last checkpoint it accepted,
 * and refuses any later checkpoint that is not signed by a pinned key (or one a pinned key
 * endorsed) or that does not extend what it saw before.
 */
import fs from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import {
  ConsistencyProofSchema,
  LeafHashesSchema,
  LedgerIntegritySchema,
  LedgerKeysSchema,
} from '@steward/domain';
import {
  TreeBuilder,
  checkConsistency,
  checkInclusion,
  hashesEqual,
  leafHash,
  openCheckpoint,
  openNote,
  parseVerifierKey,
  type Checkpoint,
  type NoteVerifier,
} from '@steward/ledger';
import { type StewardClient, enc } from './client.js';
import { credentialsPath } from './config.js';
import { CliError } from './errors.js';

const PAGE = 10_000;

const WitnessEntrySchema = z.object({
  origin: z.string(),
  pinnedKeys: z.array(z.string()).min(1),
  size: z.number().int(),
  rootHash: z.string(),
  checkpoint: z.string(),
  seenAt: z.string(),
});
const WitnessFileSchema = z.record(z.string(), WitnessEntrySchema);
type WitnessEntry = z.infer<typeof WitnessEntrySchema>;

export function witnessPath(): string {
  return path.join(path.dirname(credentialsPath()), 'witness.json');
}

function readWitness(file: string): Record<string, WitnessEntry> {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return {};
    throw err;
  }
  const parsed = WitnessFileSchema.safeParse(JSON.parse(text));
  if (!parsed.success) throw new CliError(`${file}: not a Steward witness file (${parsed.error.issues[0]?.message}); move it away to start over`, 2);
  return parsed.data;
}

function writeWitness(file: string, all: Record<string, WitnessEntry>): void {
  fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  const tmp = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, JSON.stringify(all, null, 2) + '\n', { mode: 0o600 });
  fs.renameSync(tmp, file);
}

/** A verification failure: exit 1 with the first offending index when there is one. */
export class LedgerCheckFailed extends CliError {
  constructor(
    readonly reason: string,
    readonly index: number | null,
  ) {
    super(`ledger verification FAILED${index === null ? '' : ` at index ${index}`}: ${reason}`, 1, { index });
  }
}

export interface LedgerTarget {
  client: StewardClient;
  server: string;
  org: string;
  log: 'org' | 'system';
}

function base(t: LedgerTarget): string {
  return `/api/v1/orgs/${enc(t.org)}`;
}

function logQuery(t: LedgerTarget): string {
  return t.log === 'system' ? 'log=system' : 'log=org';
}

/**
 * The verifiers to trust: the pinned keys, plus every later key whose endorsement a trusted key
 * signed (a rotation), in publication order.
 */
export function followRotations(pinned: readonly string[], published: z.infer<typeof LedgerKeysSchema>): { verifiers: NoteVerifier[]; trustedKeys: string[] } {
  const trusted = new Set(pinned);
  const oldestFirst = [...published.keys].reverse();
  for (const k of oldestFirst) {
    if (trusted.has(k.verifierKey) || !k.endorsement) continue;
    try {
      const verifiers = [...trusted].map((v) => parseVerifierKey(v));
      const opened = openNote(k.endorsement, verifiers);
      if (opened.text.split('\n')[2] === k.verifierKey) trusted.add(k.verifierKey);
    } catch {
      // Not endorsed by a key we trust: ignored, so a checkpoint it signs will not verify.
    }
  }
  const trustedKeys = [...trusted];
  return { verifiers: trustedKeys.map((v) => parseVerifierKey(v)), trustedKeys };
}

export interface VerifyOptions {
  publicKey?: string | undefined;
  full?: boolean;
  witnessFile?: string;
  log?: (line: string) => void;
}

export interface VerifyReport {
  origin: string;
  size: number;
  rootHash: string;
  previousSize: number | null;
  pinnedOnFirstUse: boolean;
  entriesChecked: number;
  serverSelfCheck: boolean;
}

async function openLatest(t: LedgerTarget, verifiers: NoteVerifier[], origin: string | undefined): Promise<{ checkpoint: Checkpoint; note: string }> {
  const note = await t.client.text('GET', `${base(t)}/ledger/checkpoint?${logQuery(t)}`);
  try {
    const opened = openCheckpoint(note, verifiers, origin === undefined ? {} : { expectedOrigin: origin });
    return { checkpoint: opened.checkpoint, note };
  } catch (err) {
    throw new LedgerCheckFailed(`the latest checkpoint does not verify with the pinned ledger key: ${(err as Error).message}`, null);
  }
}

function witnessKey(t: LedgerTarget): string {
  return `${t.server}|${t.org}|${t.log}`;
}

/**
 * The keys to trust: --public-key, else what this client pinned before, else (first use) the
 * server's current key; plus the later keys those endorsed.
 */
async function trustedVerifiers(t: LedgerTarget, publicKey: string | undefined, seen: WitnessEntry | undefined): Promise<{ verifiers: NoteVerifier[]; trustedKeys: string[]; pinnedOnFirstUse: boolean }> {
  const published = await t.client.json('GET', `${base(t)}/ledger/keys`, LedgerKeysSchema);
  let pinned: string[];
  let pinnedOnFirstUse = false;
  if (publicKey) {
    parseVerifierKey(publicKey); // a malformed key is a usage error, not a verification failure
    pinned = [publicKey];
  } else if (seen) {
    pinned = seen.pinnedKeys;
  } else {
    const current = published.keys.find((k) => k.retiredAt === null) ?? published.keys[0];
    if (!current) throw new LedgerCheckFailed('the server publishes no ledger key', null);
    pinned = [current.verifierKey];
    pinnedOnFirstUse = true;
  }
  return { ...followRotations(pinned, published), pinnedOnFirstUse };
}

/** `steward audit verify` (and `--full`). */
export async function verifyLedger(t: LedgerTarget, opts: VerifyOptions = {}): Promise<VerifyReport> {
  const say = opts.log ?? (() => {});
  const file = opts.witnessFile ?? witnessPath();
  const all = readWitness(file);
  const key = witnessKey(t);
  const seen = all[key];
  const { verifiers, trustedKeys, pinnedOnFirstUse } = await trustedVerifiers(t, opts.publicKey, seen);
  if (pinnedOnFirstUse) say(`pinned ledger key ${trustedKeys[0]} (first use; pass --public-key to pin one you obtained independently)`);
  const { checkpoint, note } = await openLatest(t, verifiers, seen?.origin);
  const rootHex = checkpoint.rootHash.toString('hex');

  if (seen) {
    if (checkpoint.size < seen.size) throw new LedgerCheckFailed(`the log shrank: this client saw ${seen.size} entries, the server's latest checkpoint has ${checkpoint.size} (truncated or rewritten)`, checkpoint.size);
    if (checkpoint.size === seen.size && rootHex !== seen.rootHash) throw new LedgerCheckFailed(`same size ${seen.size} but a different root than this client saw: the log was rewritten`, null);
    if (checkpoint.size > seen.size) {
      const c = await t.client.json('GET', `${base(t)}/ledger/consistency?${logQuery(t)}&from=${seen.size}&to=${checkpoint.size}`, ConsistencyProofSchema);
      const ok = checkConsistency(seen.size, checkpoint.size, c.proof.map((h) => Buffer.from(h, 'hex')), Buffer.from(seen.rootHash, 'hex'), checkpoint.rootHash);
      if (!ok.ok) throw new LedgerCheckFailed(`checkpoint ${checkpoint.size} does not extend the checkpoint ${seen.size} this client saw (${ok.reason}): history before index ${seen.size} was rewritten`, null);
    }
  }

  let entriesChecked = 0;
  if (opts.full) {
    entriesChecked = await recomputeAll(t, checkpoint);
  }
  // --full has just checked every entry itself; otherwise the server re-derives its tree from its rows.
  const integrity = opts.full ? { ok: true, problems: [] } : await t.client.json('GET', `${base(t)}/ledger/integrity?${logQuery(t)}`, LedgerIntegritySchema);
  if (!integrity.ok) {
    const first = integrity.problems[0];
    throw new LedgerCheckFailed(`the server's event rows no longer match its signed tree: ${first?.problem ?? 'unknown problem'}`, first?.index ?? null);
  }

  all[key] = { origin: checkpoint.origin, pinnedKeys: trustedKeys, size: checkpoint.size, rootHash: rootHex, checkpoint: note, seenAt: new Date().toISOString() };
  writeWitness(file, all);
  return { origin: checkpoint.origin, size: checkpoint.size, rootHash: rootHex, previousSize: seen?.size ?? null, pinnedOnFirstUse, entriesChecked, serverSelfCheck: !opts.full };
}

/**
 * Downloads every entry up to the checkpoint, checks each sits at its index, and recomputes the
 * root. On a mismatch, names the first entry that differs from what was signed: the server's
 * stored leaf hashes are accepted as the signed ones only if they fold to the signed root.
 */
async function recomputeAll(t: LedgerTarget, checkpoint: Checkpoint): Promise<number> {
  const tree = new TreeBuilder();
  const computed: Buffer[] = [];
  let firstMisplaced: { index: number; reason: string } | null = null;
  for (let start = 0; start < checkpoint.size; start += PAGE) {
    const end = Math.min(start + PAGE, checkpoint.size);
    const text = await t.client.text('GET', `${base(t)}/ledger/entries?${logQuery(t)}&start=${start}&end=${end}`);
    const lines = text.split('\n');
    lines.pop();
    for (let i = 0; i < lines.length; i++) {
      const line = lines[i]!;
      const index = start + i;
      const hash = leafHash(Buffer.from(line, 'utf8'));
      tree.push(hash);
      computed.push(hash);
      if (firstMisplaced === null) {
        const said = /"index":(\d+)/.exec(line.slice(line.lastIndexOf('"index":')))?.[1];
        if (said !== String(index)) firstMisplaced = { index, reason: `entry ${index} says it is entry ${said ?? '(none)'}: an event was deleted or events were reordered` };
      }
    }
    if (lines.length < end - start && firstMisplaced === null) firstMisplaced = { index: start + lines.length, reason: `entries ${start + lines.length}..${end - 1} are missing` };
  }
  if (tree.size === checkpoint.size && hashesEqual(tree.root(), checkpoint.rootHash) && firstMisplaced === null) return tree.size;
  if (firstMisplaced) throw new LedgerCheckFailed(firstMisplaced.reason, firstMisplaced.index);
  // Same count, wrong root: find the first entry whose hash is not the signed leaf.
  const stored = new TreeBuilder();
  const storedHashes: Buffer[] = [];
  for (let start = 0; start < checkpoint.size; start += PAGE) {
    const r = await t.client.json('GET', `${base(t)}/ledger/leaf-hashes?${logQuery(t)}&start=${start}&end=${Math.min(start + PAGE, checkpoint.size)}`, LeafHashesSchema);
    for (const h of r.hashes) {
      const b = Buffer.from(h, 'hex');
      stored.push(b);
      storedHashes.push(b);
    }
  }
  if (stored.size !== checkpoint.size || !hashesEqual(stored.root(), checkpoint.rootHash)) {
    throw new LedgerCheckFailed('the entries do not reproduce the signed root, and neither do the stored leaf hashes, so the changed entry cannot be named', null);
  }
  const bad = computed.findIndex((h, i) => !hashesEqual(h, storedHashes[i]!));
  throw new LedgerCheckFailed(`entry ${bad} is not the entry that was signed: it was edited after it was recorded`, bad);
}

/** `steward audit proof SEQ`: fetch and check one event's inclusion proof. */
export async function verifyInclusionOf(t: LedgerTarget, seq: number, proof: { index: number; size: number; leafHash: string; proof: string[]; entry: string; checkpoint: string }, opts: VerifyOptions = {}): Promise<{ index: number; size: number; origin: string }> {
  const seen = readWitness(opts.witnessFile ?? witnessPath())[witnessKey(t)];
  const { verifiers } = await trustedVerifiers(t, opts.publicKey, seen);
  let cp: Checkpoint;
  try {
    cp = openCheckpoint(proof.checkpoint, verifiers).checkpoint;
  } catch (err) {
    throw new LedgerCheckFailed(`the proof's checkpoint does not verify: ${(err as Error).message}`, proof.index);
  }
  const leaf = leafHash(Buffer.from(proof.entry, 'utf8'));
  if (leaf.toString('hex') !== proof.leafHash) throw new LedgerCheckFailed(`event ${seq}: the entry does not hash to the leaf hash the server sent`, proof.index);
  const ok = checkInclusion(leaf, proof.index, cp.size, proof.proof.map((h) => Buffer.from(h, 'hex')), cp.rootHash);
  if (!ok.ok) throw new LedgerCheckFailed(`event ${seq} is not in the signed log: ${ok.reason}`, proof.index);
  return { index: proof.index, size: cp.size, origin: cp.origin };
}

/** `steward audit verify --offline FILE`: an export checked against its checkpoint and a pinned key. */
export function verifyExport(text: string, verifiers: NoteVerifier[]): { origin: string; size: number; events: number } {
  const lines = text.split('\n').filter((l) => l.length > 0);
  const head = JSON.parse(lines[0] ?? '{}') as { type?: string; checkpoint?: string };
  if (head.type !== 'checkpoint' || typeof head.checkpoint !== 'string') throw new LedgerCheckFailed('the file does not start with a checkpoint line: not a `steward audit export` file', null);
  let cp: Checkpoint;
  try {
    cp = openCheckpoint(head.checkpoint, verifiers).checkpoint;
  } catch (err) {
    throw new LedgerCheckFailed(`the export's checkpoint does not verify with the given key: ${(err as Error).message}`, null);
  }
  let events = 0;
  for (let i = 1; i < lines.length; i++) {
    let ev: { index?: unknown; entry?: unknown; proof?: unknown };
    try {
      ev = JSON.parse(lines[i]!) as typeof ev;
    } catch {
      throw new LedgerCheckFailed(`line ${i + 1} is not JSON`, null);
    }
    if (typeof ev.index !== 'number' || typeof ev.entry !== 'string' || !Array.isArray(ev.proof)) throw new LedgerCheckFailed(`line ${i + 1} is not an event with index, entry and proof`, null);
    const ok = checkInclusion(leafHash(Buffer.from(ev.entry, 'utf8')), ev.index, cp.size, (ev.proof as string[]).map((h) => Buffer.from(h, 'hex')), cp.rootHash);
    if (!ok.ok) throw new LedgerCheckFailed(`event at line ${i + 1} is not in the signed log: ${ok.reason}`, ev.index);
    events++;
  }
  return { origin: cp.origin, size: cp.size, events };
}

/** The pinned verifiers for offline use: --public-key, else what this client pinned for the server. */
export function pinnedVerifiers(publicKey: string | undefined, witnessFile = witnessPath()): NoteVerifier[] {
  if (publicKey) return [parseVerifierKey(publicKey)];
  const all = readWitness(witnessFile);
  const keys = [...new Set(Object.values(all).flatMap((e) => e.pinnedKeys))];
  if (keys.length === 0) throw new CliError('no ledger key to verify with: pass --public-key (the server\'s `steward audit keys`) or run `steward audit verify` against the server once', 2);
  return keys.map((k) => parseVerifierKey(k));
}
