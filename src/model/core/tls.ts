// The TLS answer as the templates choose blocks on it: one boolean a mode, and the Makefile's words
// for the certs target, which differ by platform only in what the certificate is for.
import type { Answers } from '../../answers/schema.js';
import { LB_SERVICE } from './names.js';

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

/** The self-signed certificate's names: the remote URL's host, the load balancer, localhost. */
export function certificateNames(remoteUrl: string): { commonName: string; subjectAltNames: string } {
  const remoteHost = new URL(remoteUrl).hostname;
  const altNames = [...new Set(['localhost', LB_SERVICE, '127.0.0.1', remoteHost])];
  const ipLike = (n: string) => /^[0-9.]+$/.test(n);
  return {
    // A certificate's common name holds at most 64 characters; the alternative names carry the rest.
    commonName: remoteHost.length <= 64 ? remoteHost : 'localhost',
    subjectAltNames: altNames.map((n) => `${ipLike(n) ? 'IP' : 'DNS'}:${n}`).join(','),
  };
}
