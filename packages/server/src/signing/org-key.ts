/**
 * The org signing key (ADR 0012): ECDSA (P-256 by default, or P-384), one current key per org,
 * retired keys kept so their signatures stay attributable and trusted. The private key (PKCS#8
 * PEM) is stored encrypted with the server master key (AES-256-GCM, the row id as associated
 * data); the database alone cannot sign.
 */
import { createHash, createPublicKey, type KeyObject } from 'node:crypto';
import { generateSigningKeyPair, loadSigningPrivateKey, publicKeyHint, signStatement, type SigningCurve } from '@steward/attest';
import { type SigningKey, type SigningKeyAlgorithm, StewardError } from '@steward/domain';
import type { Kysely } from 'kysely';
import type { DB, SignaturesTable, SigningKeysTable } from '../db/schema.js';
import { decryptSeed, encryptSeed } from '../ledger/keys.js';
import { bundleDigest } from './signature-view.js';
import { newId, type Tx } from '../services/context.js';

type Db = Kysely<DB> | Tx;

const CURVE_OF: Record<SigningKeyAlgorithm, SigningCurve> = { 'ecdsa-p256': 'P-256', 'ecdsa-p384': 'P-384' };

/** SHA-256 (hex) of a public key's SubjectPublicKeyInfo DER: how Steward names keys. */
export function keyFingerprint(publicKey: KeyObject): string {
  return createHash('sha256').update(publicKey.export({ type: 'spki', format: 'der' })).digest('hex');
}

/** A new key row (private key encrypted under `master`). */
export function newSigningKeyRow(master: Buffer, orgId: string, algorithm: SigningKeyAlgorithm, createdBy: string, at: string): SigningKeysTable {
  const pair = generateSigningKeyPair({ curve: CURVE_OF[algorithm] });
  const id = newId();
  return {
    id,
    org_id: orgId,
    algorithm,
    public_key_pem: pair.publicKeyPem,
    fingerprint: keyFingerprint(createPublicKey(pair.publicKeyPem)),
    private_key_enc: encryptSeed(master, `signing-key:${id}`, Buffer.from(pair.privateKeyPem, 'utf8')),
    created_at: at,
    created_by: createdBy,
    retired_at: null,
  };
}

export async function currentSigningKey(db: Db, orgId: string): Promise<SigningKeysTable | undefined> {
  return db.selectFrom('signing_keys').selectAll().where('org_id', '=', orgId).where('retired_at', 'is', null).orderBy('created_at', 'desc').orderBy('id', 'desc').limit(1).executeTakeFirst();
}

/** The current key, or a 422 that says how to make one. */
export async function requireSigningKey(db: Db, orgId: string, orgName: string): Promise<SigningKeysTable> {
  const row = await currentSigningKey(db, orgId);
  if (!row) {
    throw new StewardError('unprocessable', `org "${orgName}" has no signing key: an org admin creates one with \`steward signing-key create\``, { org: orgName });
  }
  return row;
}

/** Decrypts the row's private key and checks it is the one its public key says. */
export function privateKeyPemOf(master: Buffer, row: SigningKeysTable): string {
  let pem: string;
  try {
    pem = decryptSeed(master, `signing-key:${row.id}`, row.private_key_enc).toString('utf8');
  } catch {
    throw new StewardError('internal', `the signing key ${row.fingerprint} cannot be decrypted: the master key (STEWARD_MASTER_KEY or master.key) is not the one it was encrypted with`);
  }
  const key = loadSigningPrivateKey(pem);
  if (keyFingerprint(key.publicKey) !== row.fingerprint) throw new StewardError('integrity_violation', `signing key ${row.id}: the private key does not match its published public key`);
  return pem;
}

/** Signs an in-toto statement with the org key: the Sigstore bundle JSON text (key method). */
export function signWithOrgKey(master: Buffer, row: SigningKeysTable, statement: object): string {
  return signStatement(statement, { privateKeyPem: privateKeyPemOf(master, row) });
}

export function signingKeyView(row: SigningKeysTable, current: boolean): SigningKey {
  return {
    id: row.id,
    algorithm: row.algorithm as SigningKeyAlgorithm,
    fingerprint: row.fingerprint,
    publicKeyHint: publicKeyHint(createPublicKey(row.public_key_pem)),
    publicKeyPem: row.public_key_pem,
    current,
    createdAt: row.created_at,
    createdBy: row.created_by,
    retiredAt: row.retired_at,
  };
}

/** Serializes key changes of one org (two admins creating a first key at once on Postgres). */
export async function lockOrg(trx: Tx, dbKind: 'sqlite' | 'postgres', orgId: string): Promise<void> {
  // SQLite transactions in this process already run one at a time.
  if (dbKind === 'postgres') await trx.selectFrom('orgs').select('id').where('id', '=', orgId).forUpdate().execute();
}

/**
 * Signs `statement` with the org's current key and stores the signature of `subject` for the
 * version (source "server", valid). The caller writes the audit event in the same transaction.
 */
export async function storeServerSignature(
  trx: Tx,
  ctx: { masterKey: Buffer; actor: { userName: string } },
  args: { orgId: string; versionId: string; subject: 'model' | 'provenance'; key: SigningKeysTable; statement: object; at: string },
): Promise<SignaturesTable> {
  const bundleJson = signWithOrgKey(ctx.masterKey, args.key, args.statement);
  const row: SignaturesTable = {
    id: newId(),
    org_id: args.orgId,
    version_id: args.versionId,
    subject: args.subject,
    kind: 'key',
    source: 'server',
    signer: `sha256:${args.key.fingerprint}`,
    key_fingerprint: args.key.fingerprint,
    bundle_digest: bundleDigest(bundleJson),
    bundle_json: bundleJson,
    status: 'valid',
    signed_at: args.at,
    added_at: args.at,
    added_by: ctx.actor.userName,
    trust_anchor: null,
  };
  await trx.insertInto('signatures').values(row).execute();
  return row;
}
