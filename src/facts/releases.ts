// Release numbers compared as releases, not as text: the pins, the answers, the model and the
// record all ask which of two releases is newer.

/** Compares release numbers such as 1.96.3 and 1.99.1 (a suffix such as -rc1 sorts before the release). */
export function compareReleases(a: string, b: string): number {
  const parts = (v: string) =>
    v
      .split('-')[0]!
      .split('.')
      .map((x) => Number.parseInt(x, 10) || 0);
  const [pa, pb] = [parts(a), parts(b)];
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const d = (pa[i] ?? 0) - (pb[i] ?? 0);
    if (d !== 0) return Math.sign(d);
  }
  return Number(!a.includes('-')) - Number(!b.includes('-'));
}
