// Colour for a terminal only: none when piped, with NO_COLOR set (no-color.org), or TERM=dumb;
// FORCE_COLOR turns it on where a terminal cannot be detected.
import { styleText } from 'node:util';

export interface Style {
  heading: (t: string) => string;
  command: (t: string) => string;
  warning: (t: string) => string;
}

export function wantsColor(isTTY: boolean | undefined, env: NodeJS.ProcessEnv = process.env): boolean {
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== '') return false;
  if (env.FORCE_COLOR !== undefined && env.FORCE_COLOR !== '' && env.FORCE_COLOR !== '0') return true;
  return Boolean(isTTY) && env.TERM !== 'dumb';
}

const plain = (t: string) => t;

export function styleFor(color: boolean): Style {
  if (!color) return { heading: plain, command: plain, warning: plain };
  // The decision is made above, for the stream the text goes to; styleText must not make it again.
  const paint = (format: 'bold' | 'cyan' | 'yellow') => (t: string) => styleText(format, t, { validateStream: false });
  return { heading: paint('bold'), command: paint('cyan'), warning: paint('yellow') };
}
