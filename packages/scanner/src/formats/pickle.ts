/**
 * Raw pickles, protocols 0-5, stacked one after another: what `pickle.load` (once or in a loop),
 * `torch.load` on a bare pickle, `pandas.read_pickle` and friends read. Detected by content (a
 * PROTO header, or protocol 0/1 opcodes that parse), never by name: an ASCII protocol-0 pickle
 * named `data.txt` is a pickle.
 */
import type { FormatHandler } from '../context.js';
import { looksLikePickle, scanPickleStream } from '../pickle/report.js';

export const pickleHandler: FormatHandler = {
  id: 'pickle',
  detect: (head, size) => looksLikePickle(head, size),
  async scan(ctx, source, report) {
    await scanPickleStream(ctx, source, report);
  },
};
