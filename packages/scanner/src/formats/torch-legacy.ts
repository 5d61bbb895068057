/**
 * Legacy (non-zip) `torch.save` files (`_use_new_zipfile_serialization=False`, PyTorch < 1.6):
 *
 *   pickle 0: the magic number 0x1950a86a20f9469cfc6c
 *   pickle 1: the protocol version (1001)
 *   pickle 2: sys info
 *   pickle 3: the object, with persistent ids ('storage', torch.XStorage, key, location, numel, view)
 *   pickle 4: the sorted storage keys
 *   then, for each key: numel (int64 LE) and numel * element size raw bytes.
 *
 * `torch.load` runs every one of the five pickles, so every one is scanned (modelscan scanned only
 * the first). The raw storage bytes are located from the storage keys and their persistent ids and
 * are never parsed as pickles; anything after the last storage is scanned as possible extra pickles.
 */
import type { FormatHandler } from '../context.js';
import { PickleMachine, probePickle, type PickleInfo } from '../pickle/machine.js';
import { applyMachineResult, machineOptions, scanNestedPayloads } from '../pickle/report.js';
import { PyGlobal, PyList, PyTuple, type Val } from '../pickle/values.js';

export const TORCH_LEGACY_MAGIC = 0x1950a86a20f9469cfc6cn;
const PROTOCOL_VERSION = 1001;

const ELEMENT_SIZE: Record<string, number> = {
  FloatStorage: 4, DoubleStorage: 8, HalfStorage: 2, BFloat16Storage: 2, LongStorage: 8, IntStorage: 4, ShortStorage: 2,
  CharStorage: 1, ByteStorage: 1, BoolStorage: 1, ComplexFloatStorage: 8, ComplexDoubleStorage: 16, QInt8Storage: 1,
  QUInt8Storage: 1, QInt32Storage: 4, QUInt4x2Storage: 1, QUInt2x4Storage: 1, UntypedStorage: 1,
};

interface StorageInfo {
  elementSize: number;
  numel: number;
}

function storageOf(pid: Val): [string, StorageInfo] | null {
  if (!(pid instanceof PyTuple) || pid.items[0] !== 'storage') return null;
  const [, type, key, , numel] = pid.items;
  if (!(type instanceof PyGlobal) || typeof key !== 'string' || typeof numel !== 'number') return null;
  if (type.module !== 'torch' && type.module !== 'torch.cuda' && type.module !== 'torch.storage') return null;
  const elementSize = ELEMENT_SIZE[type.name];
  if (elementSize === undefined || !Number.isSafeInteger(numel) || numel < 0) return null;
  return [key, { elementSize, numel }];
}

export const torchLegacyHandler: FormatHandler = {
  id: 'pytorch-legacy',
  detect(head, size) {
    if (head.length < 2) return false;
    const r = probePickle(head, size);
    return r.complete && r.value === TORCH_LEGACY_MAGIC;
  },
  async scan(ctx, source, report) {
    const storages = new Map<string, StorageInfo>();
    let badPid = 0;
    const machine = new PickleMachine(
      source,
      machineOptions(ctx, {
        onPersistentId(pid, index) {
          if (index !== 3) return;
          const s = storageOf(pid);
          if (s) storages.set(s[0], s[1]);
          else badPid++;
        },
      }),
    );
    const pickles: PickleInfo[] = [];
    for (let i = 0; i < 5; i++) {
      const info = await machine.scanOne();
      if (!info) break;
      pickles.push(info);
      if (!info.complete) break;
    }
    const result = machine.result(pickles.length === 5 && pickles.every((p) => p.complete) ? 'max-pickles' : 'error');
    applyMachineResult(report, result);
    await scanNestedPayloads(ctx, source, report, result);
    const details = (report.details ??= {});
    details.layout = 'torch legacy: magic, protocol version, sys info, object, storage keys, raw storages';
    if (result.limit || pickles.some((p) => !p.complete)) return;
    if (pickles.length < 5) {
      report.findings.push({
        ruleId: 'torch-legacy.truncated',
        severity: 'medium',
        verdict: 'unknown',
        message: `the file ends after ${pickles.length} of the 5 pickles of the legacy torch format`,
        location: { offset: source.size },
      });
      return;
    }
    const version = pickles[1]!.value;
    details.protocolVersion = typeof version === 'number' ? version : String(version);
    if (version !== PROTOCOL_VERSION) {
      report.findings.push({
        ruleId: 'torch-legacy.unexpected-header',
        severity: 'low',
        verdict: 'unknown',
        message: `protocol version pickle holds ${String(version)}, not ${PROTOCOL_VERSION}; torch.load refuses the file after running the first pickles`,
        location: { offset: pickles[1]!.start },
      });
    }
    const keysVal = pickles[4]!.value;
    const keys = keysVal instanceof PyList && keysVal.items.length === keysVal.count && keysVal.items.every((k) => typeof k === 'string') ? (keysVal.items as string[]) : null;
    const unresolved = (message: string, offset: number): void => {
      report.findings.push({ ruleId: 'torch-legacy.unresolved-storage', severity: 'medium', verdict: 'unknown', message: `${message}; the storage bytes cannot be located, so the rest of the file was not analyzed`, location: { offset } });
    };
    if (!keys) {
      unresolved('the storage-keys pickle is not a list of strings', pickles[4]!.start);
      return;
    }
    if (badPid > 0) {
      unresolved(`${badPid} persistent id(s) of the object pickle are not ('storage', torch.<Type>Storage, key, location, numel) tuples`, pickles[3]!.start);
      return;
    }
    let pos = pickles[4]!.end;
    let bytes = 0;
    for (const key of keys) {
      ctx.checkTime();
      const s = storages.get(key);
      if (!s) {
        unresolved(`storage key ${JSON.stringify(key)} has no persistent id in the object pickle`, pos);
        return;
      }
      const head = await source.read(pos, 8);
      if (head.length < 8) {
        unresolved(`storage ${JSON.stringify(key)} is truncated`, pos);
        return;
      }
      const numel = head.readBigInt64LE(0);
      if (numel !== BigInt(s.numel)) {
        report.findings.push({
          ruleId: 'torch-legacy.storage-size-mismatch',
          severity: 'low',
          verdict: 'unknown',
          message: `storage ${JSON.stringify(key)} records ${numel} elements but its persistent id says ${s.numel}; torch.load refuses it (after running the pickles)`,
          location: { offset: pos },
        });
        return;
      }
      const n = s.numel * s.elementSize;
      if (pos + 8 + n > source.size) {
        unresolved(`storage ${JSON.stringify(key)} (${n} bytes) runs past the end of the file`, pos);
        return;
      }
      pos += 8 + n;
      bytes += n;
    }
    details.storages = keys.length;
    details.storageBytes = bytes;
    if (pos < source.size) {
      // Not read by torch.load; scanned in case it is a pickle some other loader would read.
      details.trailingBytes = source.size - pos;
      const tail = await new PickleMachine(source, machineOptions(ctx, { start: pos, afterComplete: true, firstPickleIndex: 5 })).scanAll();
      applyMachineResult(report, tail, 'trailing.');
      await scanNestedPayloads(ctx, source, report, tail);
      if (!tail.findings.some((f) => f.ruleId === 'pickle.trailing-data')) {
        report.findings.push({
          ruleId: 'torch-legacy.trailing-data',
          severity: 'medium',
          verdict: 'unknown',
          message: `${source.size - pos} bytes after the last storage, which torch.load never reads; they parse as pickle data (see the imports of pickle 5 and later)`,
          location: { offset: pos },
        });
      }
    }
  },
};
