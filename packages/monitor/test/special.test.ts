import { describe, expect, it } from 'vitest';
import { chiSquareSf, kolmogorovSmirnovSf, logGamma, normalQuantile, normalSf, smirnovSf } from '../src/special.js';
import { expectClose, fixture } from './helpers.js';

const special = fixture<{
  chi2: [number, number, number][];
  norm: [number, number][];
  ndtri: [number, number][];
  gammaln: [number, number][];
  kstwo: [number, number, number][];
  smirnov: [number, number, number][];
}>('special.json');

describe('special functions against SciPy', () => {
  it('gammaln', () => {
    for (const [x, e] of special.gammaln) expectClose(logGamma(x), e, `gammaln(${x})`, 1e-13, 1e-14);
  });
  it('chi2.sf', () => {
    for (const [x, df, e] of special.chi2) expectClose(chiSquareSf(x, df), e, `chi2.sf(${x}, ${df})`, 1e-11, 1e-300);
  });
  it('norm.sf', () => {
    for (const [z, e] of special.norm) expectClose(normalSf(z), e, `norm.sf(${z})`, 1e-12, 1e-300);
  });
  it('ndtri', () => {
    for (const [p, e] of special.ndtri) expectClose(normalQuantile(p), e, `ndtri(${p})`, 1e-13, 0);
  });
  it('kstwo.sf covers every branch of the method selection', () => {
    expect(special.kstwo.length).toBeGreaterThan(300);
    for (const [n, x, e] of special.kstwo) expectClose(kolmogorovSmirnovSf(n, x), e, `kstwo.sf(${x}, ${n})`, 1e-9, 1e-15);
  });
  it('smirnov', () => {
    for (const [n, x, e] of special.smirnov) expectClose(smirnovSf(n, x), e, `smirnov(${n}, ${x})`, 1e-9, 1e-300);
  });
});
