// The Compose slice of the model: which services exist and how they are wired, laid out by
// templates/compose/. One slice a concern: the services (services.ts), the event bus
// (event-bus.ts), the load balancer, hardening, exposure, healthchecks, and the README's words.
import type { Answers } from '../../answers/schema.js';
import type { ModelCore } from '../core/index.js';
import { IMAGES } from '../core/images.js';
import { PORTS } from '../core/ports.js';
import { sharedBindplaneEnv } from './bindplane-env.js';
import { busKind, type BusKind } from './bus-kind.js';
import { eventBusModel, eventBusWords, type EventBusModel } from './event-bus.js';
import { exposure, type Exposure } from './exposure.js';
import { hardening, type Hardening } from './hardening.js';
import { httpProbe, shellTest } from './health.js';
import { loadBalancer, type LoadBalancer } from './load-balancer.js';
import { composeOperations, type ComposeOperations } from './operations.js';
import { composeReadme, diagram, suggestedInstances, type ComposeReadme, type Diagram } from './readme.js';
import {
  bindplaneServices,
  composeVolumes,
  demoAgentSettings,
  startOrder,
  transformAgentServices,
  type BindplaneService,
  type DemoAgentSettings,
  type Dependency,
  type EnvVar,
} from './services.js';

export type { BindplaneService, Dependency, EnvVar } from './services.js';
export type { EventBusModel, KafkaBroker } from './event-bus.js';

export interface ComposeModel {
  ports: typeof PORTS;
  images: { bindplane: string; transformAgent: string; postgres: string; agent: string } & typeof IMAGES;
  /** What each service waits for before it starts. */
  dependsOn: { [service: string]: Dependency[] };
  jobs: BindplaneService;
  nodes: BindplaneService[];
  /** jobs first, then the nodes: every process that runs Bindplane. */
  bindplanes: BindplaneService[];
  bindplaneEnv: EnvVar[];
  eventBus: EventBusModel;
  /** Which bus, as booleans the templates choose blocks on. */
  bus: BusKind;
  transformAgents: { name: string; address: string }[];
  postgres: { serverMaxConnections: number; sizedForProcesses: number; dataPath: string };
  lb: LoadBalancer;
  /** Where the published port listens, and what the README says of it (exposure.ts). */
  exposure: Exposure;
  /** YAML lines of limits and privileges per kind of Compose service (hardening.ts). */
  hardening: Hardening;
  /** What every demo agent is given (the agents themselves are the core's demoAgents). */
  demoAgent: DemoAgentSettings;
  /** Named volumes, sorted. */
  volumes: string[];
  /** What scripts/stack.sh and the doctor act on (operations.ts). */
  ops: ComposeOperations;
  /** Healthcheck `test` values (YAML flow sequences) of the images whose tools are unknown. */
  healthchecks: { bindplane: string; transformAgent: string };
  busText: string;
  /** bindplane.env's header: what docker-compose.yml adds per process. */
  envNote: string;
  suggestedInstances: number;
  diagram: Diagram;
  readme: ComposeReadme;
}

function composeImages(a: Answers): ComposeModel['images'] {
  const registry = a.imageRegistry;
  return {
    ...IMAGES,
    bindplane: `${registry}/bindplane-ee:${a.bindplaneVersion}`,
    transformAgent: `${registry}/bindplane-transform-agent:${a.bindplaneVersion}-bindplane`,
    postgres: `postgres:${a.postgresVersion}`,
    agent: `observiq/bindplane-agent:${a.agentVersion}`,
  };
}

export function buildCompose(a: Answers, core: ModelCore): ComposeModel {
  const { jobs, nodes } = bindplaneServices(a);
  const bindplanes = [jobs, ...nodes];
  const eventBus = eventBusModel(a, bindplanes);
  const bus = busKind(eventBus);
  const busWords = eventBusWords(eventBus);
  const transformAgents = transformAgentServices(a);
  const lb = loadBalancer(a);
  const counts = { nodes: nodes.length, transformAgents: transformAgents.length, demoAgents: core.demoAgents.count };
  return {
    ports: PORTS,
    images: composeImages(a),
    dependsOn: startOrder(jobs, nodes, eventBus),
    jobs,
    nodes,
    bindplanes,
    bindplaneEnv: sharedBindplaneEnv(a, transformAgents, eventBus),
    eventBus,
    bus,
    transformAgents,
    postgres: {
      ...core.postgresSizing,
      // The postgres 18 image keeps its data one level up, in a folder per major release.
      dataPath: Number.parseInt(a.postgresVersion, 10) >= 18 ? '/var/lib/postgresql' : '/var/lib/postgresql/data',
    },
    lb,
    exposure: exposure(a),
    hardening: hardening(a),
    demoAgent: demoAgentSettings(a, core.firstStart, lb.wsScheme),
    volumes: composeVolumes(eventBus, core.demoAgents.agents),
    ops: composeOperations(),
    healthchecks: {
      bindplane: shellTest(httpProbe(PORTS.bindplane, '/health')),
      transformAgent: shellTest(httpProbe(PORTS.transformAgent, '/collector-version')),
    },
    busText: busWords.text,
    envNote: busWords.perProcess,
    suggestedInstances: suggestedInstances(a.instances),
    diagram: diagram(nodes, busWords.label, transformAgents),
    readme: composeReadme({ ...counts, kafkaBrokers: eventBus.type === 'kafka' ? eventBus.brokers.length : 0 }, bus, core.tls),
  };
}
