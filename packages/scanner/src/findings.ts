import type { Finding } from './types.js';

/**
 * Collects findings into a report, at most `cap` per rule: a model with a hundred thousand bad
 * tensors needs a few examples and a count, not a report as big as the model.
 */
export class CappedFindings {
  private readonly perRule = new Map<string, number>();

  constructor(
    private readonly out: Finding[],
    private readonly cap = 100,
  ) {}

  add(f: Finding): void {
    const n = (this.perRule.get(f.ruleId) ?? 0) + 1;
    this.perRule.set(f.ruleId, n);
    if (n <= this.cap) this.out.push(f);
  }

  /** One summary finding per rule that went over the cap (same rule, verdict and severity). */
  flush(): void {
    for (const [rule, n] of this.perRule) {
      if (n <= this.cap) continue;
      const shown = this.out.find((f) => f.ruleId === rule);
      if (shown) this.out.push({ ...shown, message: `${n - this.cap} more ${rule} findings not listed`, location: undefined });
    }
  }
}
