// The shapes of the Compose services that the slice's parts (services.ts, event-bus.ts) share
// without importing each other.
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

export interface Dependency {
  service: string;
  condition: 'service_healthy' | 'service_completed_successfully';
}
