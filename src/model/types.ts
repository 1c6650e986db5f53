// Names, ports and shapes the model's slices share.
import { PINS } from './pins.js';

/** Images other than Bindplane's own (pins.ts says where each comes from). */
export const IMAGES = {
  nginx: PINS.nginx.value,
  prometheus: PINS.prometheus.value,
  kafka: PINS.kafka.value,
  kafkaProtocolVersion: PINS.kafkaProtocolVersion.value,
  pubsubEmulator: PINS.pubsubEmulator.value,
} as const;

export const PORTS = {
  bindplane: 3001,
  transformAgent: 4568,
  postgres: 5432,
  prometheus: 9090,
  kafka: 9092,
  kafkaController: 9093,
  natsClient: 4222,
  natsCluster: 6222,
  natsHttp: 8222,
  pubsub: 8085,
} as const;

export const LB_SERVICE = 'loadbalancer';
/** Name prefixes of the numbered services: bindplane-1, transform-agent-1. */
export const NODE_PREFIX = 'bindplane-';
export const TRANSFORM_AGENT_PREFIX = 'transform-agent-';
export const DEMO_AGENT_PREFIX = 'demo-agent-';

/** 1..n */
export const range = (n: number): number[] => Array.from({ length: n }, (_, i) => i + 1);
export const JOBS_SERVICE = 'bindplane-jobs';
/** Git-ignored folder for copies of the person's secrets (credentials, TLS key) and made certificates. */
export const LOCAL_DIR = 'local';
export const DB = { name: 'bindplane', user: 'bindplane' } as const;

/** Where the generator keeps its copy of each file answer (git-ignored, mode 0600). */
export const LOCAL_COPIES = {
  pubsubCredentialsFile: `${LOCAL_DIR}/pubsub/credentials.json`,
  tlsCertFile: `${LOCAL_DIR}/tls/tls.crt`,
  tlsKeyFile: `${LOCAL_DIR}/tls/tls.key`,
} as const;

export type CopiedAnswer = keyof typeof LOCAL_COPIES;

export interface EnvVar {
  key: string;
  value: string;
  /** Why the value is what it is, when that is not obvious. */
  note?: string;
}

export interface BindplaneService {
  name: string;
  mode: 'node' | 'all';
  /** Variables that differ per instance (the NATS client's and server's names). */
  env: EnvVar[];
  /** Whether this process also runs one of the NATS servers. */
  natsServer?: boolean;
  /** Whether this is the jobs instance (mode all). */
  runsJobs?: boolean;
}

export interface Secret {
  key: string;
  /** What generates it: a UUID, or a random token of the given length. */
  kind: 'uuid' | 'token' | 'kafkaClusterId';
  length?: number;
  purpose: string;
}

export interface Dependency {
  service: string;
  condition: 'service_healthy' | 'service_completed_successfully';
}
