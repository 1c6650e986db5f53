// Content hashes: the record's (an edit or not) and the journal's (a staged file intact or not).
import { createHash } from 'node:crypto';

export const sha256 = (text: string | Buffer) => createHash('sha256').update(text).digest('hex');
