/** Every renderer returns the document and what it could not say; a warning is never fatal. */
export interface ExportResult<T> {
  document: T;
  /** Each names what is missing or approximated and where it would come from. Sorted, no duplicates. */
  warnings: string[];
}

export type ExportFormat = 'cyclonedx' | 'spdx' | 'model-card' | 'annex-iv' | 'gpai-form';

/**
 * A field the target format REQUIRES cannot be filled from the registry. Thrown instead of
 * emitting a document that other tools would reject; `missing` names each input field needed.
 */
export class ExportIncompleteError extends Error {
  override readonly name = 'ExportIncompleteError';
  constructor(
    readonly format: ExportFormat,
    readonly missing: string[],
  ) {
    super(`cannot export ${format}: missing ${missing.join('; ')}`);
  }
}

/** Collects warnings; the result is sorted so that output does not depend on rendering order. */
export class Warnings {
  private readonly items = new Set<string>();
  add(message: string): void {
    this.items.add(message);
  }
  addAll(messages: Iterable<string>): void {
    for (const m of messages) this.items.add(m);
  }
  list(): string[] {
    return [...this.items].sort();
  }
}
