// The names both platforms share: the services' names and prefixes, the database, and where the
// person's files are copied.

export const LB_SERVICE = 'loadbalancer';
/** Name prefixes of the numbered services: bindplane-1, transform-agent-1. */
export const NODE_PREFIX = 'bindplane-';
export const TRANSFORM_AGENT_PREFIX = 'transform-agent-';
export const DEMO_AGENT_PREFIX = 'demo-agent-';
export const JOBS_SERVICE = 'bindplane-jobs';

/** 1..n, the numbers of the numbered services. */
export const range = (n: number): number[] => Array.from({ length: n }, (_, i) => i + 1);

/** Git-ignored folder for copies of the person's secrets (credentials, TLS key) and made certificates. */
export const LOCAL_DIR = 'local';
export const DB = { name: 'bindplane', user: 'bindplane' } as const;

/** Where the generator keeps its copy of each file answer (git-ignored, mode 0600). */
export const LOCAL_COPIES = {
  pubsubCredentialsFile: `${LOCAL_DIR}/pubsub/credentials.json`,
  tlsCertFile: `${LOCAL_DIR}/tls/tls.crt`,
  tlsKeyFile: `${LOCAL_DIR}/tls/tls.key`,
  postgresCaFile: `${LOCAL_DIR}/postgres/ca.crt`,
} as const;

export type CopiedAnswer = keyof typeof LOCAL_COPIES;
