// The model: which services exist and how they are wired. Every decision about the stack is made
// here, so templates only lay it out. One slice a concern: the event bus (event-bus.ts), healthcheck
// commands (health.ts); shared names and shapes in types.ts.
import path from 'node:path';
import { specOf, type Answers } from '../answers/schema.js';
import { eventBusEnv, eventBusModel, eventBusSecrets, eventBusServices, eventBusVolumes, eventBusWords, type EventBusModel } from './event-bus.js';
import { compareReleases } from '../answers/notices.js';
import { commandWords, type CommandWords } from './command.js';
import { httpProbe, shellTest } from './health.js';
import { demoAgentLabels, firstStart, SERVER_KEY_VAR, type FirstStart } from './first-start.js';
import { exposure, type Exposure } from './exposure.js';
import { hardening, type Hardening } from './hardening.js';
import { buildKubernetes, type KubernetesModel } from './kubernetes/index.js';
import { operations, type Operations } from './operations.js';
import { settingKey } from './pins.js';
import { busKind, type BusKind } from './compose/bus-kind.js';
import { composeReadme, type ComposeReadme } from './compose/readme.js';
import { makefileWords, scriptWords, type MakefileWords, type ScriptWords } from './core/operations-words.js';
import { stackFiles, type StackFiles } from './core/stack-files.js';
import { tlsModel, type TlsModel } from './core/tls.js';
import {
  DB,
  DEMO_AGENT_PREFIX,
  IMAGES,
  JOBS_SERVICE,
  LB_SERVICE,
  LOCAL_COPIES,
  LOCAL_DIR,
  NODE_PREFIX,
  PORTS,
  range,
  TRANSFORM_AGENT_PREFIX,
  type BindplaneService,
  type CopiedAnswer,
  type Dependency,
  type EnvVar,
  type Secret,
} from './types.js';

export * from './types.js';
export type { EventBusModel, KafkaBroker } from './event-bus.js';
export type { KubernetesModel } from './kubernetes/index.js';
export type { FirstStart, StarterConfiguration } from './first-start.js';

export interface Model {
  answers: Answers;
  platform: Answers['platform'];
  /** The Kubernetes files' slice (kubernetes/index.ts), on that platform only. */
  kubernetes?: KubernetesModel;
  project: string;
  ports: typeof PORTS;
  db: typeof DB;
  /** Git-ignored folders holding copies of the person's files, relative to the repository. */
  localDirs: { pubsub: string; tls: string };
  /** What each service waits for before it starts. */
  dependsOn: { [service: string]: Dependency[] };
  images: { bindplane: string; transformAgent: string; postgres: string; agent: string } & typeof IMAGES;
  jobs: BindplaneService;
  nodes: BindplaneService[];
  /** jobs first, then the nodes: every process that runs Bindplane. */
  bindplanes: BindplaneService[];
  bindplaneEnv: EnvVar[];
  eventBus: EventBusModel;
  transformAgents: { name: string; address: string }[];
  postgres: { serverMaxConnections: number; sizedForProcesses: number; dataPath: string };
  lb: {
    service: string;
    port: number;
    healthPort: number;
    tls: Answers['tls'];
    scheme: 'http' | 'https';
    wsScheme: 'ws' | 'wss';
    /** What nginx.conf's comment on its security headers adds (why no HSTS, without your own certificate). */
    headersNote: string;
  };
  /** Where the published port listens, and what the README says of it (exposure.ts). */
  exposure: Exposure;
  /** YAML lines of limits and privileges per kind of Compose service (hardening.ts). */
  hardening: Hardening;
  remoteUrl: string;
  demoAgents: {
    count: number;
    enabled: boolean;
    agents: { name: string; volume: string }[];
    stateDir: string;
    endpoint: string;
    labels: string;
    skipTlsVerify: boolean;
  };
  secrets: Secret[];
  /** How agents authenticate and what the first start does (first-start.ts). */
  firstStart: FirstStart;
  /** The person's files copied into the repository: which answer names the source, where the copy goes. */
  copies: { answer: CopiedAnswer; source: string; path: string }[];
  localDir: string;
  hasLocalCopies: boolean;
  localCopiesText: string;
  localCopies: typeof LOCAL_COPIES;
  /** The self-signed certificate's names. */
  tlsCert: { commonName: string; subjectAltNames: string };
  /** How agents outside the stack reach OpAMP. */
  agentUrl: string;
  busText: string;
  /** The next instance count the README suggests trying (always a valid answer). */
  suggestedInstances: number;
  /** The README's topology diagram; large stacks show the first and last instances only. */
  diagram: {
    nodes: { id: string; label: string }[];
    /** The nodes' and the jobs instance's ids: every process on the bus. */
    busClients: { id: string }[];
    bus: string;
    transformAgents: { id: string; label: string; from: string }[];
  };
  /** Named volumes, sorted. */
  volumes: string[];
  /** What the day-2 targets act on (operations.ts). */
  ops: Operations;
  /** How to get the generator's command, for regeneration. */
  command: CommandWords;
  /** Healthcheck `test` values (YAML flow sequences) of the images whose tools are unknown. */
  healthchecks: { bindplane: string; transformAgent: string };
  /** The TLS answer as booleans (core/tls.ts). */
  tls: TlsModel;
  /** The stack's own files and the merge markers (core/stack-files.ts). */
  stackFiles: StackFiles;
  /** The Makefile's and the operations script's words (core/operations-words.ts). */
  make: MakefileWords;
  script: ScriptWords;
  /** The Compose files' booleans and words. */
  compose: { bus: BusKind; readme: ComposeReadme; envNote: string };
}

/**
 * PostgreSQL's max_connections: every Bindplane process may open its whole pool, plus 20 for psql
 * and backups. Sized in steps of 8 processes, so that most changes of the instance count leave the
 * setting, and so the PostgreSQL container, as they are (a change restarts PostgreSQL).
 */
export const PROCESS_STEP = 8;
function postgresSizing(processes: number, pool: number): { serverMaxConnections: number; sizedForProcesses: number } {
  const sizedForProcesses = Math.ceil(processes / PROCESS_STEP) * PROCESS_STEP;
  return { serverMaxConnections: sizedForProcesses * pool + 20, sizedForProcesses };
}

function sharedBindplaneEnv(a: Answers, transformAgents: { address: string }[], bus: EventBusModel): EnvVar[] {
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

function baseSecrets(a: Answers, fs: FirstStart): Secret[] {
  return [
    { key: 'BINDPLANE_PASSWORD', kind: 'token', length: 24, purpose: `password of the Bindplane user ${a.adminUsername}` },
    { key: 'BINDPLANE_SESSION_SECRET', kind: 'uuid', purpose: 'signs UI sessions' },
    // Only stacks from before 2026-12: today's agents present the project's key, which the server makes.
    ...(fs.serverKey ? [{ key: SERVER_KEY_VAR, kind: 'uuid', purpose: 'secret key agents present when they connect' } as const] : []),
    { key: 'POSTGRES_PASSWORD', kind: 'token', length: 32, purpose: `password of the PostgreSQL user ${DB.user}` },
  ];
}

/** What each service waits for: nodes only after the jobs instance has created or migrated the schema. */
function startOrder(jobs: BindplaneService, nodes: BindplaneService[], bus: EventBusModel): Model['dependsOn'] {
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

function fileCopies(a: Answers): Model['copies'] {
  return (
    (Object.keys(LOCAL_COPIES) as CopiedAnswer[])
      // Copied when the answer applies, as the answer table decides (pubsub for the credentials, provided TLS for the pair).
      .filter((n) => a[n] !== undefined && (specOf(n)?.when?.(a) ?? true))
      .map((n) => ({ answer: n, source: a[n]!, path: LOCAL_COPIES[n] }))
  );
}

function certificateNames(remoteUrl: string): Model['tlsCert'] {
  const remoteHost = new URL(remoteUrl).hostname;
  const altNames = [...new Set(['localhost', LB_SERVICE, '127.0.0.1', remoteHost])];
  const ipLike = (n: string) => /^[0-9.]+$/.test(n);
  return {
    // A certificate's common name holds at most 64 characters; the alternative names carry the rest.
    commonName: remoteHost.length <= 64 ? remoteHost : 'localhost',
    subjectAltNames: altNames.map((n) => `${ipLike(n) ? 'IP' : 'DNS'}:${n}`).join(','),
  };
}

/** The README's topology diagram; large stacks show the first and last instances only. */
function diagram(nodes: BindplaneService[], busLabel: string, transformAgents: { name: string }[]): Model['diagram'] {
  const shown = nodes.length <= 6 ? nodes : [nodes[0]!, nodes[1]!, nodes[nodes.length - 1]!];
  const diagramNodes = shown.map((n) => ({ id: n.name.replace(/-/g, '_'), label: n.name }));
  if (nodes.length > 6) diagramNodes.splice(2, 0, { id: 'more', label: `… ${nodes.length - 3} more` });
  return {
    nodes: diagramNodes,
    busClients: [...diagramNodes, { id: 'jobs' }].map((n) => ({ id: n.id })),
    bus: busLabel,
    transformAgents: transformAgents.map((t) => ({ id: t.name.replace(/-/g, '_'), label: t.name, from: diagramNodes[0]!.id })),
  };
}

export function buildModel(a: Answers): Model {
  const tlsOn = a.tls !== 'none';
  const nodes: BindplaneService[] = range(a.instances).map((i) => ({ name: `${NODE_PREFIX}${i}`, mode: 'node', env: [] }));
  const jobs: BindplaneService = { name: JOBS_SERVICE, mode: 'all', env: [], runsJobs: true };
  const bindplanes = [jobs, ...nodes];
  const eventBus = eventBusModel(a, bindplanes);
  const transformAgents = range(a.transformAgents).map((i) => ({
    name: `${TRANSFORM_AGENT_PREFIX}${i}`,
    address: `${TRANSFORM_AGENT_PREFIX}${i}:${PORTS.transformAgent}`,
  }));
  const lb = {
    service: LB_SERVICE,
    port: a.httpPort,
    // A plain-HTTP listener on the container's loopback for its healthcheck, even when TLS is on.
    healthPort: a.httpPort === 8081 ? 8082 : 8081,
    tls: a.tls,
    scheme: tlsOn ? 'https' : 'http',
    wsScheme: tlsOn ? 'wss' : 'ws',
    headersNote: a.tls === 'provided' ? '' : ' (no HSTS: it would pin browsers to a certificate they do not trust)',
  } as const;
  const copies = fileCopies(a);
  const copyWords = [
    copies.some((c) => c.answer === 'pubsubCredentialsFile') ? 'Pub/Sub credentials' : '',
    copies.some((c) => c.answer === 'tlsCertFile') ? 'certificate and key' : '',
  ].filter(Boolean);
  const busWords = eventBusWords(eventBus);
  const bus = busKind(eventBus);
  const tls = tlsModel(a);
  const registry = a.imageRegistry;
  const start = firstStart(a);
  const secrets = [...baseSecrets(a, start), ...eventBusSecrets(eventBus)];
  const demoAgents = range(a.demoAgents ?? 0).map((i) => ({ name: `${DEMO_AGENT_PREFIX}${i}`, volume: `${DEMO_AGENT_PREFIX}${i}-data` }));
  const postgresSized = postgresSizing(bindplanes.length, a.postgresMaxConnections);
  return {
    answers: a,
    platform: a.platform,
    kubernetes: a.platform === 'kubernetes' ? buildKubernetes(a, postgresSized) : undefined,
    project: a.projectName,
    ports: PORTS,
    db: DB,
    localDirs: { pubsub: path.posix.dirname(LOCAL_COPIES.pubsubCredentialsFile), tls: path.posix.dirname(LOCAL_COPIES.tlsCertFile) },
    dependsOn: startOrder(jobs, nodes, eventBus),
    images: {
      ...IMAGES,
      bindplane: `${registry}/bindplane-ee:${a.bindplaneVersion}`,
      transformAgent: `${registry}/bindplane-transform-agent:${a.bindplaneVersion}-bindplane`,
      postgres: `postgres:${a.postgresVersion}`,
      agent: `observiq/bindplane-agent:${a.agentVersion}`,
    },
    jobs,
    nodes,
    bindplanes,
    bindplaneEnv: sharedBindplaneEnv(a, transformAgents, eventBus),
    eventBus,
    transformAgents,
    postgres: {
      ...postgresSized,
      // The postgres 18 image keeps its data one level up, in a folder per major release.
      dataPath: Number.parseInt(a.postgresVersion, 10) >= 18 ? '/var/lib/postgresql' : '/var/lib/postgresql/data',
    },
    lb,
    exposure: exposure(a),
    hardening: hardening(a),
    remoteUrl: a.remoteUrl,
    demoAgents: {
      count: demoAgents.length,
      enabled: demoAgents.length > 0,
      // One service and one volume per agent: each keeps its own identity.
      agents: demoAgents,
      // observIQ/bindplane-otel-collector: the image's /etc/otel/storage belongs to its user (10005);
      // MANAGER_YAML_PATH moves manager.yaml there (its default is /etc/otel/manager.yaml, in the image).
      stateDir: '/etc/otel/storage',
      endpoint: `${lb.wsScheme}://${LB_SERVICE}:${a.httpPort}/v1/opamp`,
      labels: demoAgentLabels(a, start),
      skipTlsVerify: tlsOn,
    },
    secrets,
    firstStart: start,
    ops: operations(
      {
        jobs: JOBS_SERVICE,
        node: NODE_PREFIX,
        transformAgent: TRANSFORM_AGENT_PREFIX,
        busServices: 'kafka-[0-9]+|pubsub-emulator',
        demoAgent: DEMO_AGENT_PREFIX,
      },
      ['postgres', 'prometheus', LB_SERVICE],
      secrets,
      a.platform,
    ),
    copies,
    volumes: ['postgres-data', 'prometheus-data', ...eventBusVolumes(eventBus), ...demoAgents.map((d) => d.volume)].sort(),
    healthchecks: {
      bindplane: shellTest(httpProbe(PORTS.bindplane, '/health')),
      transformAgent: shellTest(httpProbe(PORTS.transformAgent, '/collector-version')),
    },
    localDir: LOCAL_DIR,
    hasLocalCopies: copies.length > 0,
    localCopiesText: copyWords.join(' and '),
    localCopies: LOCAL_COPIES,
    tlsCert: certificateNames(a.remoteUrl),
    agentUrl: `${a.remoteUrl.replace(/^http/, 'ws')}/v1/opamp`,
    busText: busWords.text,
    suggestedInstances: a.instances + 2 <= 64 ? a.instances + 2 : a.instances - 1,
    command: commandWords(),
    diagram: diagram(nodes, busWords.label, transformAgents),
    tls,
    stackFiles: stackFiles(),
    make: makefileWords(a.platform, tls, start.enabled),
    script: scriptWords(a.platform, start.enabled),
    compose: {
      bus: bus,
      readme: composeReadme(
        {
          nodes: nodes.length,
          transformAgents: transformAgents.length,
          demoAgents: demoAgents.length,
          kafkaBrokers: eventBus.type === 'kafka' ? eventBus.brokers.length : 0,
        },
        bus,
        tls,
      ),
      envNote: busWords.perProcess,
    },
  };
}
