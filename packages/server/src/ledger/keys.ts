import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import {
  type NoteSigner,
  type NoteVerifier,
  encodeVerifierKey,
  formatKeyId,
  parseVerifierKey,
  signNote,
  signerFromSeed,
  verifierFromSigner,
} from '@steward/ledger';
import type { Kysely } from 'kysely';
import type { DB, LedgerKeysTable } from '../db/schema.js';
import type { ServerConfig } from '../config.js';

const MASTER_KEY_FILE = 'master.key';

/**
 * The master key that encrypts ledger signing keys at rest: from configuration, or, on an embedded
 * deployment without one, a random key in `<data dir>/master.key` (mode 0600) created on first start.
 * The database alone never holds what it takes to sign a checkpoint.
 */
export function loadMasterKey(config: Pick<ServerConfig, 'masterKey' | 'dataDir'>): { key: Buffer; source: 'config' | 'file' | 'created' } {
  if (config.masterKey) return { key: Buffer.from(config.masterKey, 'base64'), source: 'config' };
  const file = path.join(config.dataDir, MASTER_KEY_FILE);
  try {
    const key = Buffer.from(fs.readFileSync(file, 'utf8').trim(), 'base64');
    if (key.length !== 32) throw new Error(`${file} does not hold a 32-byte base64 key`);
    return { key, source: 'file' };
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  fs.mkdirSync(config.dataDir, { recursive: true });
  const key = crypto.randomBytes(32);
  // 'wx': never overwrite a key another process created meanwhile.
  fs.writeFileSync(file, `${key.toString('base64')}\n`, { mode: 0o600, flag: 'wx' });
  return { key, source: 'created' };
}

/** AES-256-GCM; the key id is authenticated data, so a ciphertext cannot be moved to another key row. */
export function encryptSeed(master: Buffer, keyId: string, seed: Buffer): string {
  const iv = crypto.randomBytes(12);
  const cipher = crypto.createCipheriv('aes-256-gcm', master, iv);
  cipher.setAAD(Buffer.from(keyId));
  const ct = Buffer.concat([cipher.update(seed), cipher.final()]);
  return Buffer.concat([iv, cipher.getAuthTag(), ct]).toString('base64');
}

export function decryptSeed(master: Buffer, keyId: string, encrypted: string): Buffer {
  const raw = Buffer.from(encrypted, 'base64');
  const decipher = crypto.createDecipheriv('aes-256-gcm', master, raw.subarray(0, 12));
  decipher.setAAD(Buffer.from(keyId));
  decipher.setAuthTag(raw.subarray(12, 28));
  try {
    return Buffer.concat([decipher.update(raw.subarray(28)), decipher.final()]);
  } catch {
    throw new Error(`ledger key ${keyId} cannot be decrypted: the master key (STEWARD_MASTER_KEY or ${MASTER_KEY_FILE}) is not the one it was encrypted with`);
  }
}

/** Text a retiring key signs to hand over to its successor. */
export function endorsementText(ledgerName: string, nextVerifierKey: string, at: string): string {
  return `steward ledger key rotation\n${ledgerName}\n${nextVerifierKey}\n${at}\n`;
}

export interface PublishedKey {
  keyId: string;
  verifierKey: string;
  createdAt: string;
  retiredAt: string | null;
  /** Signed note by the previous key: `steward ledger key rotation`, ledger name, this key, time. */
  endorsement: string | null;
}

export function publishedKey(row: LedgerKeysTable): PublishedKey {
  return { keyId: row.key_id, verifierKey: row.verifier_key, createdAt: row.created_at, retiredAt: row.retired_at, endorsement: row.endorsement };
}

function rowKeyId(verifier: Pick<NoteVerifier, 'keyId'>): string {
  return formatKeyId(verifier.keyId);
}

/**
 * The server's checkpoint signing keys: one current key, older ones kept (public part) so old
 * checkpoints stay verifiable. Loaded at boot; the first start creates the first key.
 */
export class LedgerKeyring {
  private constructor(
    private readonly db: Kysely<DB>,
    private readonly master: Buffer,
    readonly ledgerName: string,
    private current: { keyId: string; signer: NoteSigner },
  ) {}

  static async open(db: Kysely<DB>, master: Buffer, ledgerName: string, now: () => Date): Promise<LedgerKeyring> {
    const existing = await currentKeyRow(db);
    if (existing) return new LedgerKeyring(db, master, ledgerName, { keyId: existing.key_id, signer: decodeSigner(master, existing) });
    const created = newKey(master, ledgerName, now().toISOString(), null);
    // Two servers starting at once on one Postgres: only one first key wins; the other adopts it.
    await db.insertInto('ledger_keys').values(created.row).onConflict((oc) => oc.column('key_id').doNothing()).execute();
    const row = await currentKeyRow(db);
    if (!row) throw new Error('ledger: no signing key after creating one');
    return new LedgerKeyring(db, master, ledgerName, { keyId: row.key_id, signer: decodeSigner(master, row) });
  }

  /** The key to sign with, re-read when another server rotated it. */
  async signer(): Promise<{ keyId: string; signer: NoteSigner }> {
    const row = await currentKeyRow(this.db);
    if (row && row.key_id !== this.current.keyId) this.current = { keyId: row.key_id, signer: decodeSigner(this.master, row) };
    return this.current;
  }

  /** Every key's verifier, current first. */
  async verifiers(): Promise<NoteVerifier[]> {
    const rows = await this.db.selectFrom('ledger_keys').selectAll().orderBy('created_at', 'desc').execute();
    return rows.map((r) => parseVerifierKey(r.verifier_key));
  }

  /**
   * Makes a new current key, endorsed by the retiring one, inside the caller's transaction (which
   * also records the audit event). Returns the new key's public record.
   */
  async rotate(trx: Kysely<DB>, at: string): Promise<{ previous: PublishedKey; next: PublishedKey; commit: () => void }> {
    const old = await currentKeyRow(trx);
    if (!old) throw new Error('ledger: no current key to rotate');
    const oldSigner = decodeSigner(this.master, old);
    const next = newKey(this.master, this.ledgerName, at, oldSigner);
    await trx.updateTable('ledger_keys').set({ retired_at: at }).where('key_id', '=', old.key_id).execute();
    await trx.insertInto('ledger_keys').values(next.row).execute();
    return {
      previous: publishedKey({ ...old, retired_at: at }),
      next: publishedKey(next.row),
      // Only after the transaction commits does this process sign with the new key.
      commit: () => {
        this.current = { keyId: next.row.key_id, signer: next.signer };
      },
    };
  }
}

async function currentKeyRow(db: Kysely<DB>): Promise<LedgerKeysTable | undefined> {
  return db.selectFrom('ledger_keys').selectAll().where('retired_at', 'is', null).orderBy('created_at', 'desc').limit(1).executeTakeFirst();
}

function decodeSigner(master: Buffer, row: LedgerKeysTable): NoteSigner {
  const seed = decryptSeed(master, row.key_id, row.private_key_enc);
  const signer = signerFromSeed(row.name, seed);
  if (encodeVerifierKey(verifierFromSigner(signer)) !== row.verifier_key) throw new Error(`ledger key ${row.key_id}: private key does not match its published public key`);
  return signer;
}

function newKey(master: Buffer, ledgerName: string, at: string, endorsedBy: NoteSigner | null): { row: LedgerKeysTable; signer: NoteSigner } {
  const seed = crypto.randomBytes(32);
  const signer = signerFromSeed(ledgerName, seed);
  const verifierKey = encodeVerifierKey(verifierFromSigner(signer));
  // The signed-note key id (4 bytes, hex): what a checkpoint's signature line names.
  const keyId = rowKeyId(signer);
  return {
    signer,
    row: {
      key_id: keyId,
      name: ledgerName,
      verifier_key: verifierKey,
      private_key_enc: encryptSeed(master, keyId, seed),
      created_at: at,
      retired_at: null,
      endorsement: endorsedBy ? signNote(endorsementText(ledgerName, verifierKey, at), endorsedBy) : null,
    },
  };
}
