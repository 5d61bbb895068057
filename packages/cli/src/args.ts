/** Commander helper for repeatable options (`--allow a --allow b`). */
export function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}
