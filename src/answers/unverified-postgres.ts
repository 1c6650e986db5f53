// Whether the answers reach an external PostgreSQL without checking its certificate: said in the
// summary before anything is written, in the notices of every run, and in the Kubernetes README.
import type { Answers } from './schema.js';

/** The line for an external server without a CA, or undefined when there is nothing to say. */
export function unverifiedPostgresOf(a: Pick<Answers, 'platform' | 'postgresHost' | 'postgresCaFile'>): string | undefined {
  if (a.platform !== 'kubernetes' || a.postgresHost === undefined || a.postgresCaFile !== undefined) return undefined;
  return unverifiedPostgres(a.postgresHost);
}

/** sslmode require encrypts, but takes any certificate: whoever can pose as the host sits in the middle. */
export function unverifiedPostgres(host: string): string {
  return (
    `the external PostgreSQL's certificate is not checked (sslmode require): the connection is encrypted, but whoever can pose as ${host} reads and changes what passes; ` +
    '--postgres-ca-file FILE (the CA that signed its certificate) turns on verify-full'
  );
}
