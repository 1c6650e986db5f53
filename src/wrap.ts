// Text fitted to a terminal's width: --help and the summary before writing.

/** Rows of a two-column list, the text wrapped at word boundaries to `width` under its own column. */
export function formatRows(rows: readonly [string, string][], width: number): string[] {
  const left = Math.min(34, Math.max(...rows.map(([l]) => l.length)) + 2);
  const room = Math.max(24, width - left);
  const out: string[] = [];
  for (const [l, text] of rows) {
    const lines = wrapWords(text, room);
    const head = l.length + 2 > left ? [l] : [];
    const first = head.length ? undefined : l.padEnd(left);
    lines.forEach((line, i) => out.push(`${i === 0 && first !== undefined ? first : ' '.repeat(left)}${line}`));
    if (head.length) out.splice(out.length - lines.length, 0, ...head);
  }
  return out.map((line) => line.trimEnd());
}

/** Greedy word wrap; a word longer than the width stands on its own line, never cut. */
export function wrapWords(text: string, width: number): string[] {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(/\s+/).filter(Boolean)) {
    if (line && line.length + 1 + word.length > width) {
      lines.push(line);
      line = word;
    } else line = line ? `${line} ${word}` : word;
  }
  if (line || lines.length === 0) lines.push(line);
  return lines;
}
