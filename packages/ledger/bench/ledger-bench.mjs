// Micro-benchmarks for the ledger math. Run after `npx tsc -b packages/ledger`:
//   node packages/ledger/bench/ledger-bench.mjs
import { randomBytes } from 'node:crypto';
import * as L from '../dist/index.js';

const time = (label, iterations, fn) => {
  for (let i = 0; i < Math.min(iterations, 1000); i++) fn(i); // warm up the JIT
  const start = process.hrtime.bigint();
  for (let i = 0; i < iterations; i++) fn(i);
  const per = Number(process.hrtime.bigint() - start) / iterations;
  console.log(`${label.padEnd(58)} ${per >= 1e6 ? `${(per / 1e6).toFixed(2)} ms` : `${(per / 1e3).toFixed(2)} µs`}`);
};
const once = (label, fn) => {
  const start = process.hrtime.bigint();
  fn();
  console.log(`${label.padEnd(58)} ${(Number(process.hrtime.bigint() - start) / 1e6).toFixed(0)} ms`);
};

const SIZE = 1_000_000;

// Planning and assembly: node hashes do not affect the cost, so one fake hash stands in for all.
const fake = randomBytes(32);
const queries = Array.from({ length: 1000 }, (_, i) => ({ index: (i * 7919) % SIZE, size: SIZE - (i % 3) }));
const plans = queries.map(({ index, size }) => L.inclusionProofPlan(index, size));
const maps = plans.map((plan) => new Map(plan.nodes.map((n) => [L.nodeKey(n.level, n.index), fake])));
const pairs = Array.from({ length: 1000 }, (_, i) => ({ size1: 1 + ((i * 104729) % (SIZE - 1)), size2: SIZE }));
const consistencyPlans = pairs.map(({ size1, size2 }) => L.consistencyProofPlan(size1, size2));
const consistencyMaps = consistencyPlans.map((plan) => new Map(plan.nodes.map((n) => [L.nodeKey(n.level, n.index), fake])));
const rootNodes = new Map(L.rootPlan(999_999).nodes.map((n) => [L.nodeKey(n.level, n.index), fake]));
time('inclusionProofPlan (1M tree)', 200_000, (i) => L.inclusionProofPlan(queries[i % 1000].index, queries[i % 1000].size));
time('assembleProof, inclusion (1M tree)', 200_000, (i) => L.assembleProof(plans[i % 1000], maps[i % 1000]));
time('consistencyProofPlan (1M tree)', 200_000, (i) => L.consistencyProofPlan(pairs[i % 1000].size1, pairs[i % 1000].size2));
time('assembleProof, consistency (1M tree)', 200_000, (i) => L.assembleProof(consistencyPlans[i % 1000], consistencyMaps[i % 1000]));
time('rootPlan + assembleRoot (size 999,999)', 200_000, () => L.assembleRoot(L.rootPlan(999_999), rootNodes));
console.log(`  stored nodes per plan (1M tree): inclusion <= ${Math.max(...plans.map((p) => p.nodes.length))}, consistency <= ${Math.max(...consistencyPlans.map((p) => p.nodes.length))}`);

// Verifiers, on real proofs from the node table of a 2^17 + 12345 leaf tree.
{
  const n = 2 ** 17 + 12345;
  const leaves = Array.from({ length: n }, (_, i) => L.leafHash(Buffer.from(`entry ${i}`)));
  const stored = new Map();
  let frontier = [];
  for (const leaf of leaves) {
    const appended = L.appendToFrontier(frontier, leaf);
    frontier = appended.frontier;
    for (const node of appended.newNodes) stored.set(L.nodeKey(node.level, node.index), node.hash);
  }
  const root = L.rootFromFrontier(frontier);
  time(`appendToFrontier (size ${n})`, 100_000, (i) => L.appendToFrontier(frontier, leaves[i % n]));
  const proof = L.assembleProof(L.inclusionProofPlan(4321, n), stored);
  time(`verifyInclusion (size ${n})`, 20_000, () => L.verifyInclusion(leaves[4321], 4321, n, proof, root));
  const root1 = L.assembleRoot(L.rootPlan(77777), stored);
  const consistency = L.assembleProof(L.consistencyProofPlan(77777, n), stored);
  time(`verifyConsistency (77777 -> ${n})`, 20_000, () => L.verifyConsistency(77777, n, consistency, root1, root));
}

const event = { type: 'model.approved', model: 'fraud-v3', version: '3.1.4', actor: 'alice@example.com', at: '2026-01-01T00:00:00Z', details: { policy: 'p-12', score: 0.93, tags: ['prod', 'eu'] } };
time('encodeEntry (typical event)', 100_000, () => L.encodeEntry(event));
const signer = L.parseSignerKey(L.generateNoteKey('bench').signerKey);
const verifier = L.verifierFromSigner(signer);
const note = L.signCheckpoint({ origin: 'bench', size: SIZE, rootHash: fake }, signer);
time('signCheckpoint', 5000, () => L.signCheckpoint({ origin: 'bench', size: SIZE, rootHash: fake }, signer));
time('openCheckpoint (one Ed25519 verification)', 5000, () => L.openCheckpoint(note, [verifier]));

// Whole-log recomputation, as a client auditing a log would do it.
const leaves = Array.from({ length: SIZE }, (_, i) => L.leafHash(Buffer.from(`entry ${i}`)));
once('TreeBuilder: 1,000,000 leaf hashes -> root', () => {
  const builder = new L.TreeBuilder();
  for (const leaf of leaves) builder.push(leaf);
  builder.root();
});
once('TreeBuilder: 1,000,000 entries of ~100 bytes -> root', () => {
  const builder = new L.TreeBuilder();
  const entry = Buffer.alloc(100, 0x61);
  for (let i = 0; i < SIZE; i++) {
    entry.writeUInt32BE(i);
    builder.push(L.leafHash(entry));
  }
  builder.root();
});
