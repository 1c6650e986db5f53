// How the model puts counts and lists into words, so that no template counts or joins.

/** "1 demo agent", "3 demo agents". */
export function counted(n: number, noun: string): string {
  return `${n} ${noun}${n === 1 ? '' : 's'}`;
}

/** "a", "a and b", "a, b and c". */
export function listed(items: readonly string[]): string {
  return items.join(', ').replace(/, ([^,]*)$/, ' and $1');
}
