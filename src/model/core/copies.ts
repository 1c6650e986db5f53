// The person's files copied into the repository (the Pub/Sub credentials, the TLS pair, the external
// PostgreSQL's CA), and how the READMEs name them.
import path from 'node:path';
import { specOf, type Answers } from '../../answers/schema.js';
import { LOCAL_COPIES, type CopiedAnswer } from './names.js';
import { listed } from './words.js';

export interface Copies {
  /** Which answer names the source, where the copy goes. */
  copies: { answer: CopiedAnswer; source: string; path: string }[];
  hasLocalCopies: boolean;
  localCopiesText: string;
  /** Git-ignored folders holding the copies, relative to the repository. */
  localDirs: { pubsub: string; tls: string };
}

export function fileCopies(a: Answers): Copies {
  const copies = (Object.keys(LOCAL_COPIES) as CopiedAnswer[])
    // Copied when the answer applies, as the answer table decides (pubsub for the credentials, provided TLS for the pair).
    .filter((n) => a[n] !== undefined && (specOf(n)?.when?.(a) ?? true))
    .map((n) => ({ answer: n, source: a[n]!, path: LOCAL_COPIES[n] }));
  const words = [
    copies.some((c) => c.answer === 'pubsubCredentialsFile') ? 'Pub/Sub credentials' : '',
    copies.some((c) => c.answer === 'tlsCertFile') ? 'certificate and key' : '',
    copies.some((c) => c.answer === 'postgresCaFile') ? "PostgreSQL's CA certificate" : '',
  ].filter(Boolean);
  return {
    copies,
    hasLocalCopies: copies.length > 0,
    localCopiesText: listed(words),
    localDirs: { pubsub: path.posix.dirname(LOCAL_COPIES.pubsubCredentialsFile), tls: path.posix.dirname(LOCAL_COPIES.tlsCertFile) },
  };
}
