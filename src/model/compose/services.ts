// The Compose stack's services: the Bindplane processes (the jobs instance, then the nodes), the
// transform agents, what each waits for, the demo agents' settings and the named volumes.
import type { Answers } from '../../answers/schema.js';
import { demoAgentLabels, type FirstStart } from '../core/first-start.js';
import { JOBS_SERVICE, LB_SERVICE, NODE_PREFIX, range, TRANSFORM_AGENT_PREFIX } from '../core/names.js';
import { PORTS } from '../core/ports.js';
import { eventBusServices, eventBusVolumes, type EventBusModel } from './event-bus.js';

export type { BindplaneService, Dependency, EnvVar } from './shapes.js';
import type { BindplaneService, Dependency } from './shapes.js';

export interface DemoAgentSettings {
  stateDir: string;
  endpoint: string;
  labels: string;
  skipTlsVerify: boolean;
}

/** The single jobs instance and the nodes, fresh (the event bus adds their NATS variables). */
export function bindplaneServices(a: Pick<Answers, 'instances'>): { jobs: BindplaneService; nodes: BindplaneService[] } {
  return {
    jobs: { name: JOBS_SERVICE, mode: 'all', env: [], runsJobs: true },
    nodes: range(a.instances).map((i) => ({ name: `${NODE_PREFIX}${i}`, mode: 'node', env: [] })),
  };
}

export function transformAgentServices(a: Pick<Answers, 'transformAgents'>): { name: string; address: string }[] {
  return range(a.transformAgents).map((i) => ({ name: `${TRANSFORM_AGENT_PREFIX}${i}`, address: `${TRANSFORM_AGENT_PREFIX}${i}:${PORTS.transformAgent}` }));
}

/** What each service waits for: nodes only after the jobs instance has created or migrated the schema. */
export function startOrder(jobs: BindplaneService, nodes: BindplaneService[], bus: EventBusModel): { [service: string]: Dependency[] } {
  const ready = (service: string): Dependency => ({ service, condition: 'service_healthy' });
  const dataServices: Dependency[] = [ready('postgres'), ready('prometheus'), ...eventBusServices(bus)];
  return {
    [jobs.name]: dataServices,
    ...Object.fromEntries(nodes.map((n) => [n.name, [...dataServices, ready(jobs.name)]])),
    // Not on every node: one node that fails to start must not keep the load balancer down. It
    // resolves the nodes by name as they come (nginx `resolve`) and skips the unhealthy ones.
    [LB_SERVICE]: [ready(jobs.name)],
  };
}

/** What every demo agent is given: where it keeps its state, whom it dials, its labels. */
export function demoAgentSettings(a: Answers, start: FirstStart, wsScheme: string): DemoAgentSettings {
  return {
    // observIQ/bindplane-otel-collector: the image's /etc/otel/storage belongs to its user (10005);
    // MANAGER_YAML_PATH moves manager.yaml there (its default is /etc/otel/manager.yaml, in the image).
    stateDir: '/etc/otel/storage',
    endpoint: `${wsScheme}://${LB_SERVICE}:${a.httpPort}/v1/opamp`,
    labels: demoAgentLabels(a, start),
    skipTlsVerify: a.tls !== 'none',
  };
}

/** Named volumes, sorted. */
export function composeVolumes(bus: EventBusModel, demoAgents: { volume: string }[]): string[] {
  return ['postgres-data', 'prometheus-data', ...eventBusVolumes(bus), ...demoAgents.map((d) => d.volume)].sort();
}
