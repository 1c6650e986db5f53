// The model: which services exist and how they are wired. Every decision about the stack is made
// here, so templates only lay it out.
import path from 'node:path';
import { specOf, type Answers } from '../answers/schema.js';

/** Images other than BindPlane's own, pinned; bump them deliberately. */
export const IMAGES = {
  // nginx 1.27.3 is the first release with `resolve` on upstream servers; 1.28 is its stable line.
  nginx: 'nginx:1.28.0-alpine',
  prometheus: 'prom/prometheus:v3.4.0',
  // The official image runs KRaft without ZooKeeper (Bitnami's tags no longer pull).
  kafka: 'apache/kafka:3.9.1',
  kafkaProtocolVersion: '3.9.0',
  pubsubEmulator: 'gcr.io/google.com/cloudsdktool/google-cloud-cli:529.0.0-emulators',
} as const;

export const PORTS = { bindplane: 3001, transformAgent: 4568, postgres: 5432, prometheus: 9090, kafka: 9092, kafkaController: 9093, natsClient: 4222, natsCluster: 6222, natsHttp: 8222, pubsub: 8085 } as const;

export const LB_SERVICE = 'loadbalancer';
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
  /** Variables that differ per instance (the embedded NATS server's name). */
  env: EnvVar[];
}

export interface KafkaBroker {
  name: string;
  id: number;
  volume: string;
}

export type EventBusModel =
  | { type: 'kafka'; brokers: KafkaBroker[]; bootstrap: string; voters: string; replication: number; minIsr: number; topic: string }
  | { type: 'pubsub'; emulator: boolean; projectId: string; topic: string; credentialsPath?: string }
  | { type: 'nats'; routes: string; clusterName: string };

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

export interface Model {
  answers: Answers;
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
  /** jobs first, then the nodes: every process that runs BindPlane. */
  bindplanes: BindplaneService[];
  bindplaneEnv: EnvVar[];
  eventBus: EventBusModel;
  transformAgents: { name: string; address: string }[];
  postgres: { serverMaxConnections: number; dataPath: string };
  lb: { service: string; port: number; healthPort: number; tls: Answers['tls']; scheme: 'http' | 'https'; wsScheme: 'ws' | 'wss'; internalUrl: string };
  remoteUrl: string;
  demoAgents: { count: number; endpoint: string; labels: string; skipTlsVerify: boolean };
  secrets: Secret[];
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
  /** The README's topology diagram; large stacks show the first and last instances only. */
  diagram: { nodes: { id: string; label: string }[]; bus: string; transformAgents: { id: string; label: string; from: string }[] };
  /** Named volumes, sorted. */
  volumes: string[];
  /** Services that publish nothing and serve only the internal network, for the README. */
  internalServices: string[];
}

const range = (n: number) => Array.from({ length: n }, (_, i) => i + 1);

export function buildModel(a: Answers): Model {
  const tlsOn = a.tls !== 'none';
  const nodes: BindplaneService[] = range(a.instances).map((i) => ({ name: `bindplane-${i}`, mode: 'node', env: [] }));
  const jobs: BindplaneService = { name: JOBS_SERVICE, mode: 'all', env: [] };
  const bindplanes = [jobs, ...nodes];

  let eventBus: EventBusModel;
  if (a.eventBus === 'kafka') {
    const brokers = range(a.kafkaBrokers).map((id) => ({ name: `kafka-${id}`, id, volume: `kafka-${id}-data` }));
    eventBus = {
      type: 'kafka',
      brokers,
      bootstrap: brokers.map((b) => `${b.name}:${PORTS.kafka}`).join(','),
      voters: brokers.map((b) => `${b.id}@${b.name}:${PORTS.kafkaController}`).join(','),
      replication: brokers.length,
      minIsr: brokers.length > 1 ? 2 : 1,
      topic: a.kafkaTopic,
    };
  } else if (a.eventBus === 'pubsub') {
    eventBus = {
      type: 'pubsub',
      emulator: !a.pubsubCredentialsFile,
      projectId: a.pubsubProjectId!,
      topic: a.pubsubTopic,
      credentialsPath: a.pubsubCredentialsFile ? `/etc/bindplane/pubsub/${path.posix.basename(LOCAL_COPIES.pubsubCredentialsFile)}` : undefined,
    };
  } else {
    // Every BindPlane process embeds a NATS server; each lists every other one as a route, so the
    // cluster is one connected mesh at any size, and the jobs instance has a bus before any node exists.
    eventBus = {
      type: 'nats',
      clusterName: a.projectName,
      routes: bindplanes.map((b) => `nats://${b.name}:${PORTS.natsCluster}`).join(','),
    };
    for (const b of bindplanes) b.env.push({ key: 'BINDPLANE_NATS_SERVER_NAME', value: b.name }, { key: 'BINDPLANE_NATS_CLIENT_NAME', value: b.name });
  }

  const transformAgents = range(a.transformAgents).map((i) => ({ name: `transform-agent-${i}`, address: `transform-agent-${i}:${PORTS.transformAgent}` }));
  const scheme = tlsOn ? 'https' : 'http';
  const lb = {
    service: LB_SERVICE,
    port: a.httpPort,
    // A plain-HTTP listener on the container's loopback for its healthcheck, even when TLS is on.
    healthPort: a.httpPort === 8081 ? 8082 : 8081,
    tls: a.tls,
    scheme,
    wsScheme: tlsOn ? 'wss' : 'ws',
    internalUrl: `${scheme}://${LB_SERVICE}:${a.httpPort}`,
  } as const;

  const env: EnvVar[] = [
    { key: 'BINDPLANE_ACCEPT_EULA', value: 'true', note: 'Starting this stack accepts the BindPlane EULA.' },
    { key: 'BINDPLANE_HOST', value: '0.0.0.0' },
    { key: 'BINDPLANE_PORT', value: String(PORTS.bindplane) },
    { key: 'BINDPLANE_REMOTE_URL', value: a.remoteUrl, note: 'The load balancer, never one instance.' },
    { key: 'BINDPLANE_LOGGING_OUTPUT', value: 'stdout' },
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
  if (eventBus.type === 'kafka') {
    env.push(
      { key: 'BINDPLANE_EVENT_BUS_TYPE', value: 'kafka' },
      { key: 'BINDPLANE_KAFKA_BROKERS', value: eventBus.bootstrap },
      { key: 'BINDPLANE_KAFKA_TOPIC', value: eventBus.topic },
      { key: 'BINDPLANE_KAFKA_PROTOCOL_VERSION', value: IMAGES.kafkaProtocolVersion },
      { key: 'BINDPLANE_KAFKA_AUTH_TYPE', value: 'none', note: 'Kafka is reachable only on the internal network.' },
    );
  } else if (eventBus.type === 'pubsub') {
    env.push(
      { key: 'BINDPLANE_EVENT_BUS_TYPE', value: 'googlePubSub' },
      { key: 'BINDPLANE_GOOGLE_PUB_SUB_PROJECT_ID', value: eventBus.projectId },
      { key: 'BINDPLANE_GOOGLE_PUB_SUB_TOPIC', value: eventBus.topic },
    );
    if (eventBus.credentialsPath) env.push({ key: 'BINDPLANE_GOOGLE_PUB_SUB_CREDENTIALS_FILE', value: eventBus.credentialsPath });
    else
      env.push(
        { key: 'BINDPLANE_GOOGLE_PUB_SUB_ENDPOINT', value: `pubsub-emulator:${PORTS.pubsub}`, note: 'The local Pub/Sub emulator (unverified beyond the Helm chart\'s variable list).' },
        { key: 'BINDPLANE_GOOGLE_PUB_SUB_INSECURE', value: 'true' },
      );
  } else {
    env.push(
      { key: 'BINDPLANE_EVENT_BUS_TYPE', value: 'nats' },
      { key: 'BINDPLANE_NATS_SERVER_ENABLE', value: 'true' },
      { key: 'BINDPLANE_NATS_SERVER_CLIENT_HOST', value: '0.0.0.0' },
      { key: 'BINDPLANE_NATS_SERVER_CLIENT_PORT', value: String(PORTS.natsClient) },
      { key: 'BINDPLANE_NATS_SERVER_HTTP_HOST', value: '0.0.0.0' },
      { key: 'BINDPLANE_NATS_SERVER_HTTP_PORT', value: String(PORTS.natsHttp) },
      { key: 'BINDPLANE_NATS_SERVER_CLUSTER_NAME', value: eventBus.clusterName },
      { key: 'BINDPLANE_NATS_SERVER_CLUSTER_HOST', value: '0.0.0.0' },
      { key: 'BINDPLANE_NATS_SERVER_CLUSTER_PORT', value: String(PORTS.natsCluster) },
      { key: 'BINDPLANE_NATS_SERVER_CLUSTER_ROUTES', value: eventBus.routes },
      { key: 'BINDPLANE_NATS_CLIENT_ENDPOINT', value: `nats://127.0.0.1:${PORTS.natsClient}` },
      { key: 'BINDPLANE_NATS_CLIENT_SUBJECT', value: 'bindplane-event-bus' },
    );
  }

  const secrets: Secret[] = [
    { key: 'BINDPLANE_PASSWORD', kind: 'token', length: 24, purpose: `password of the BindPlane user ${a.adminUsername}` },
    { key: 'BINDPLANE_SESSION_SECRET', kind: 'uuid', purpose: 'signs UI sessions' },
    { key: 'BINDPLANE_SECRET_KEY', kind: 'uuid', purpose: 'secret key agents present when they connect' },
    { key: 'POSTGRES_PASSWORD', kind: 'token', length: 32, purpose: `password of the PostgreSQL user ${DB.user}` },
  ];
  if (eventBus.type === 'kafka') secrets.push({ key: 'KAFKA_CLUSTER_ID', kind: 'kafkaClusterId', purpose: 'identifies the KRaft cluster' });

  const volumes = ['postgres-data', 'prometheus-data', ...(eventBus.type === 'kafka' ? eventBus.brokers.map((b) => b.volume) : [])].sort();
  const internalServices = [
    'postgres',
    'prometheus',
    ...(eventBus.type === 'kafka' ? eventBus.brokers.map((b) => b.name) : []),
    ...(eventBus.type === 'pubsub' && eventBus.emulator ? ['pubsub-emulator'] : []),
    ...transformAgents.map((t) => t.name),
  ];

  const ready = (service: string): Dependency => ({ service, condition: 'service_healthy' });
  const dataServices: Dependency[] = [ready('postgres'), ready('prometheus')];
  if (eventBus.type === 'kafka') dataServices.push(...eventBus.brokers.map((b) => ready(b.name)));
  if (eventBus.type === 'pubsub' && eventBus.emulator)
    dataServices.push(ready('pubsub-emulator'), { service: 'pubsub-topic', condition: 'service_completed_successfully' });
  const dependsOn: Model['dependsOn'] = {
    // Nodes start only after the jobs instance has created or migrated the schema.
    [jobs.name]: dataServices,
    ...Object.fromEntries(nodes.map((n) => [n.name, [...dataServices, ready(jobs.name)]])),
    // Not on every node: one node that fails to start must not keep the load balancer down. It
    // resolves the nodes by name as they come (nginx `resolve`) and skips the unhealthy ones.
    [LB_SERVICE]: [ready(jobs.name)],
  };

  const remoteHost = new URL(a.remoteUrl).hostname;
  const altNames = [...new Set(['localhost', LB_SERVICE, '127.0.0.1', remoteHost])];
  const ipLike = (n: string) => /^[0-9.]+$/.test(n);
  const copies = (Object.keys(LOCAL_COPIES) as CopiedAnswer[])
    // Copied when the answer applies, as the answer table decides (pubsub for the credentials, provided TLS for the pair).
    .filter((n) => a[n] !== undefined && (specOf(n)?.when?.(a) ?? true))
    .map((n) => ({ answer: n, source: a[n]!, path: LOCAL_COPIES[n] }));
  const copyWords = [copies.some((c) => c.answer === 'pubsubCredentialsFile') ? 'Pub/Sub credentials' : '', copies.some((c) => c.answer === 'tlsCertFile') ? 'certificate and key' : ''].filter(Boolean);
  const shown = nodes.length <= 6 ? nodes : [nodes[0]!, nodes[1]!, nodes[nodes.length - 1]!];
  const diagramNodes = shown.map((n) => ({ id: n.name.replace(/-/g, '_'), label: n.name }));
  if (nodes.length > 6) diagramNodes.splice(2, 0, { id: 'more', label: `… ${nodes.length - 3} more` });
  const busText =
    eventBus.type === 'kafka'
      ? `Kafka (${eventBus.brokers.length} KRaft broker${eventBus.brokers.length === 1 ? '' : 's'})`
      : eventBus.type === 'pubsub'
        ? eventBus.emulator
          ? 'the Google Pub/Sub emulator'
          : `Google Pub/Sub (project ${eventBus.projectId})`
        : 'NATS embedded in every BindPlane instance';
  const registry = a.imageRegistry;
  return {
    answers: a,
    project: a.projectName,
    ports: PORTS,
    db: DB,
    localDirs: { pubsub: path.posix.dirname(LOCAL_COPIES.pubsubCredentialsFile), tls: path.posix.dirname(LOCAL_COPIES.tlsCertFile) },
    dependsOn,
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
    bindplaneEnv: env,
    eventBus,
    transformAgents,
    // Every BindPlane process may open its whole pool; leave room for the jobs instance and for psql.
    postgres: {
      serverMaxConnections: bindplanes.length * a.postgresMaxConnections + 20,
      // The postgres 18 image keeps its data one level up, in a folder per major release.
      dataPath: Number.parseInt(a.postgresVersion, 10) >= 18 ? '/var/lib/postgresql' : '/var/lib/postgresql/data',
    },
    lb,
    remoteUrl: a.remoteUrl,
    demoAgents: { count: a.demoAgents, endpoint: `${lb.wsScheme}://${LB_SERVICE}:${a.httpPort}/v1/opamp`, labels: `demo=true,project=${a.projectName}`, skipTlsVerify: tlsOn },
    secrets,
    copies,
    volumes,
    internalServices,
    localDir: LOCAL_DIR,
    hasLocalCopies: copies.length > 0,
    localCopiesText: copyWords.join(' and '),
    localCopies: LOCAL_COPIES,
    tlsCert: {
      // A certificate's common name holds at most 64 characters; the alternative names carry the rest.
      commonName: remoteHost.length <= 64 ? remoteHost : 'localhost',
      subjectAltNames: altNames.map((n) => `${ipLike(n) ? 'IP' : 'DNS'}:${n}`).join(','),
    },
    agentUrl: `${a.remoteUrl.replace(/^http/, 'ws')}/v1/opamp`,
    busText,
    diagram: {
      nodes: diagramNodes,
      bus: eventBus.type === 'kafka' ? 'Kafka' : eventBus.type === 'pubsub' ? 'Pub/Sub' : 'NATS (embedded)',
      transformAgents: transformAgents.map((t) => ({ id: t.name.replace(/-/g, '_'), label: t.name, from: diagramNodes[0]!.id })),
    },
  };
}
