// PostgreSQL on Kubernetes: a StatefulSet of our own (the chart deploys none), or an external
// server named by the postgresHost answer, reached over TLS (verify-full with the postgresCaFile
// answer). Sized like the Compose stack's: every Bindplane process (the nodes and the jobs
// Deployment; the chart's NATS pods use bbolt) may open its whole pool.
import type { Answers } from '../../answers/schema.js';
import { unverifiedPostgres } from '../../answers/unverified-postgres.js';
import { DB } from '../core/names.js';
import { PORTS } from '../core/ports.js';
import type { KubernetesNames } from './names.js';

/** The key of the CA in its Secret, which the chart's sslrootcertSubPath names. */
export const POSTGRES_CA_KEY = 'ca.crt';

export interface KubernetesPostgres {
  external: boolean;
  host: string;
  port: number;
  database: string;
  sslmode: 'disable' | 'require' | 'verify-full';
  /**
   * The chart's backend.postgres.sslSource and sslsecret (chart 1.31.1), with a CA given: the Secret
   * it mounts at /postgres-tls, and its key of the CA; no client certificate (an empty sslcertSubPath
   * makes the chart set neither BINDPLANE_POSTGRES_SSL_CERT nor _SSL_KEY).
   */
  ca?: { source: 'secret'; secret: string; rootCertSubPath: string; certSubPath: '' };
  /** With an external server and no CA: why its certificate is not checked, and how to have it checked. */
  unverified?: string;
  image: string;
  /** max_connections of the server: what our StatefulSet sets, and what an external server needs at least. */
  serverMaxConnections: number;
  sizedForProcesses: number;
  /** Each Bindplane process's pool (the chart's backend.postgres.maxConnections). */
  poolPerProcess: number;
  /** The volume's mount and PGDATA in a folder below it (a fresh volume may hold lost+found). */
  mountPath: string;
  pgdata: string;
  storage: string;
  /** pg_isready as the probes run it: an exec command as a YAML flow sequence. */
  readyCommand: string;
  /** Why autoscaling is off: it would break the sum above. */
  autoscalingWarning: string;
}

export function kubernetesPostgres(
  a: Answers,
  names: KubernetesNames,
  sizing: { serverMaxConnections: number; sizedForProcesses: number },
): KubernetesPostgres {
  const external = a.postgresHost !== undefined;
  const ca = external && a.postgresCaFile !== undefined;
  return {
    external,
    host: a.postgresHost ?? names.postgres,
    port: PORTS.postgres,
    database: DB.name,
    // Our own server is reachable only inside the namespace; an external one is reached over TLS,
    // its certificate checked against the CA given (and its name against the host) when there is one.
    sslmode: !external ? 'disable' : ca ? 'verify-full' : 'require',
    ca: ca ? { source: 'secret', secret: names.postgresCaSecret, rootCertSubPath: POSTGRES_CA_KEY, certSubPath: '' } : undefined,
    unverified: external && !ca ? unverifiedPostgres(a.postgresHost!) : undefined,
    image: `postgres:${a.postgresVersion}`,
    ...sizing,
    poolPerProcess: a.postgresMaxConnections,
    mountPath: '/var/lib/postgresql/data',
    pgdata: '/var/lib/postgresql/data/pgdata',
    storage: '10Gi',
    readyCommand: `[${['pg_isready', '-h', '127.0.0.1', '-U', DB.user, '-d', DB.name].map((w) => JSON.stringify(w)).join(', ')}]`,
    autoscalingWarning:
      `max_connections (${sizing.serverMaxConnections}) is sized for ${sizing.sizedForProcesses} Bindplane processes of ${a.postgresMaxConnections} connections each, plus 20; ` +
      'autoscaling would start more processes than that sum allows, so it stays off: change instances and regenerate instead',
  };
}
