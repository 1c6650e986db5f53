// Whether the answers leave the admin login in plain HTTP on every interface: said in the summary
// before anything is written, in the notices of every run, and in the README (the model's exposure).
import type { Answers } from './schema.js';

/** Addresses that mean every interface of the host. */
export const ALL_INTERFACES = ['0.0.0.0', '::'];

export function plainHttpEverywhere(a: Pick<Answers, 'bindAddress' | 'tls' | 'httpPort'>): string | undefined {
  if (a.bindAddress === undefined || !ALL_INTERFACES.includes(a.bindAddress) || a.tls !== 'none') return undefined;
  return (
    `the admin login is plain HTTP on every interface (port ${a.httpPort} on ${a.bindAddress}, tls none): anyone on the network can read the password; ` +
    '--bind-address 127.0.0.1 or --tls selfSigned closes it'
  );
}
