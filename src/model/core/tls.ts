// The TLS answer as the templates choose blocks on it: one boolean a mode, and the Makefile's words
// for the certs target, which differ by platform only in what the certificate is for.
import type { Answers } from '../../answers/schema.js';

export interface TlsModel {
  /** TLS of any kind (selfSigned or provided): the certs target exists. */
  on: boolean;
  /** Plain HTTP (tls none). */
  off: boolean;
  selfSigned: boolean;
  provided: boolean;
  /** `make help`'s line for the certs target that makes a self-signed certificate. */
  selfSignedHelp: string;
}

export function tlsModel(a: Pick<Answers, 'tls' | 'platform'>): TlsModel {
  const forWhat = a.platform === 'kubernetes' ? ' of the Ingress' : '';
  return {
    on: a.tls !== 'none',
    off: a.tls === 'none',
    selfSigned: a.tls === 'selfSigned',
    provided: a.tls === 'provided',
    selfSignedHelp: `Make the self-signed certificate${forWhat} if it is missing`,
  };
}
