// What every Bindplane process of the Compose stack reads from bindplane/bindplane.env.
import type { Answers } from '../../answers/schema.js';
import { compareReleases } from '../../facts/releases.js';
import { DB } from '../core/names.js';
import { PORTS } from '../core/ports.js';
import { settingKey } from '../../facts/pins.js';
import { eventBusEnv, type EventBusModel } from './event-bus.js';
import type { EnvVar } from './services.js';

export function sharedBindplaneEnv(a: Answers, transformAgents: { address: string }[], bus: EventBusModel): EnvVar[] {
  const env: EnvVar[] = [
    { key: 'BINDPLANE_ACCEPT_EULA', value: 'true', note: 'Starting this stack accepts the Bindplane EULA.' },
    { key: 'BINDPLANE_HOST', value: '0.0.0.0' },
    { key: 'BINDPLANE_PORT', value: String(PORTS.bindplane) },
    { key: 'BINDPLANE_REMOTE_URL', value: a.remoteUrl, note: 'The load balancer, never one instance.' },
    { key: settingKey('loggingOutput', a.bindplaneVersion, compareReleases), value: 'stdout' },
    { key: 'BINDPLANE_USERNAME', value: a.adminUsername },
    { key: 'BINDPLANE_STORE_TYPE', value: 'postgres' },
    { key: 'BINDPLANE_POSTGRES_HOST', value: 'postgres' },
    { key: 'BINDPLANE_POSTGRES_PORT', value: String(PORTS.postgres) },
    { key: 'BINDPLANE_POSTGRES_DATABASE', value: DB.name },
    { key: 'BINDPLANE_POSTGRES_USERNAME', value: DB.user },
    { key: 'BINDPLANE_POSTGRES_SSL_MODE', value: 'disable', note: 'PostgreSQL is reachable only on the internal network.' },
    { key: 'BINDPLANE_POSTGRES_MAX_CONNECTIONS', value: String(a.postgresMaxConnections) },
    { key: 'BINDPLANE_PROMETHEUS_ENABLE', value: 'true' },
    { key: 'BINDPLANE_PROMETHEUS_ENABLE_REMOTE', value: 'true' },
    { key: 'BINDPLANE_PROMETHEUS_HOST', value: 'prometheus' },
    { key: 'BINDPLANE_PROMETHEUS_PORT', value: String(PORTS.prometheus) },
    { key: 'BINDPLANE_PROMETHEUS_REMOTE_WRITE_HOST', value: 'prometheus' },
    { key: 'BINDPLANE_PROMETHEUS_REMOTE_WRITE_PORT', value: String(PORTS.prometheus) },
    { key: 'BINDPLANE_PROMETHEUS_REMOTE_WRITE_ENDPOINT', value: '/api/v1/write' },
    { key: 'BINDPLANE_PROMETHEUS_AUTH_TYPE', value: 'none', note: 'Prometheus is reachable only on the internal network.' },
  ];
  if (transformAgents.length > 0) {
    env.push(
      { key: 'BINDPLANE_TRANSFORM_AGENT_ENABLE_REMOTE', value: 'true' },
      { key: 'BINDPLANE_TRANSFORM_AGENT_REMOTE_AGENTS', value: transformAgents.map((t) => t.address).join(',') },
    );
  }
  return [...env, ...eventBusEnv(bus)];
}
