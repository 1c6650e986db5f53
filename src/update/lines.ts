// Lines with their own endings: the merge compares lines without them (an editor on Windows
// changes every ending, not one line), and writes each kept line back with the ending it had.

export type Eol = '\r\n' | '\n' | '';

export interface Line {
  text: string;
  /** The line's own ending; '' only for a last line without one. */
  eol: Eol;
}

export function splitLines(s: string): Line[] {
  const out: Line[] = [];
  let at = 0;
  while (at < s.length) {
    const nl = s.indexOf('\n', at);
    if (nl < 0) {
      out.push({ text: s.slice(at), eol: '' });
      break;
    }
    const crlf = nl > at && s[nl - 1] === '\r';
    out.push({ text: s.slice(at, crlf ? nl - 1 : nl), eol: crlf ? '\r\n' : '\n' });
    at = nl + 1;
  }
  return out;
}

/** The ending most of the person's lines have (LF on a tie): lines the merge brings in get it. */
export function dominantEol(lines: readonly Line[]): '\r\n' | '\n' {
  let crlf = 0;
  let lf = 0;
  for (const l of lines) {
    if (l.eol === '\r\n') crlf++;
    else if (l.eol === '\n') lf++;
  }
  return crlf > lf ? '\r\n' : '\n';
}

/** Joins lines; a line that lost its place at the end (something now follows it) gets `eol`. */
export function joinLines(lines: readonly Line[], eol: '\r\n' | '\n'): string {
  return lines.map((l, i) => l.text + (l.eol === '' && i < lines.length - 1 ? eol : l.eol)).join('');
}
