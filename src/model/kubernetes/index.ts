// The Kubernetes slice of the model: the official chart's values, and what the chart does not
// deploy (PostgreSQL, the Pub/Sub emulator, the Secrets), laid out by templates/kubernetes/.
// Everything the chart needs is decided here, from the same answers as the Compose stack.
import type { Answers } from '../../answers/schema.js';
import { PINS } from '../pins.js';
import path from 'node:path';
import { IMAGES, LOCAL_COPIES, PORTS } from '../types.js';
import { kubernetesNames, type KubernetesNames } from './names.js';
import { kubernetesPostgres, type KubernetesPostgres } from './postgres.js';
import { kubernetesSecrets, type KubernetesSecrets } from './secrets.js';
import { kubernetesSecurity, type KubernetesSecurity } from './security.js';

export type { KubernetesNames } from './names.js';

export interface KubernetesModel {
  chart: { name: string; version: string; repoName: string; repoUrl: string; ref: string };
  names: KubernetesNames;
  images: { bindplane: { name: string; tag: string }; transformAgent: { name: string; tag: string }; pubsubEmulator: string };
  replicas: number;
  transformAgents: number;
  postgres: KubernetesPostgres;
  pubsub?: {
    projectId: string;
    topic: string;
    /** The in-cluster emulator (no credentials given): its Service, port and the topic it creates. */
    emulator?: { endpoint: string; port: number; topicUrl: string };
    /** The service account's key, from a Secret the chart mounts at /credentials.json. */
    credentials?: { secret: string; subPath: string };
  };
  /** The chart's Prometheus, which keeps its measurements for a fixed time. */
  prometheus: { retention: string };
  ingress: { host: string; tls: boolean; tlsSecret: string; annotations: { key: string; value: string }[] };
  secrets: KubernetesSecrets;
  /** Files of our own objects, listed in the kustomization. */
  resources: string[];
  /**
   * The labels that say this stack made its namespace (k8s/namespace.yaml), and how `make delete`
   * reads them on the live namespace before it deletes anything: a jsonpath and what it must print.
   */
  namespaceOwner: { labels: Label[]; jsonpath: string; expected: string };
  /** Security contexts, sizes and NetworkPolicies (security.ts). */
  security: KubernetesSecurity;
  /** Labels of our own objects, by object. */
  labels: { postgres: Label[]; pubsubEmulator: Label[] };
  /** `make port-forward`: the httpPort answer, mapped to the local end of a port-forward. */
  portForward: { localPort: number; service: string; port: number };
  /** Answers the chart does not follow, and what it does instead (for the README). */
  notApplied: string[];
  /** What `make restart` replaces so every Bindplane process reads changed Secrets: jobs first, then the nodes. */
  restartOrder: string[];
  /** Selector of every pod of the release, for `make logs`. */
  podSelector: string;
  /** The README's words that depend on the answers. */
  words: { bus: string; busLabel: string; postgres: string; postgresLabel: string; ownObjects: string; tls: string };
}

export interface Label {
  key: string;
  value: string;
}

export const KUBERNETES_DIR = 'k8s';
export const RESOURCE_FILES = {
  namespace: `${KUBERNETES_DIR}/namespace.yaml`,
  postgres: `${KUBERNETES_DIR}/postgres.yaml`,
  pubsubEmulator: `${KUBERNETES_DIR}/pubsub-emulator.yaml`,
  networkPolicy: `${KUBERNETES_DIR}/networkpolicy.yaml`,
} as const;

const CHART_REPO = { name: 'bindplane', url: 'https://observiq.github.io/bindplane-op-helm' } as const;
/** The chart hard-codes Prometheus's retention (templates/prometheus.yaml, chart 1.31.1). */
export const CHART_PROMETHEUS_RETENTION = '2d';

function ownLabels(release: string, name: string, component: string): Label[] {
  return [
    { key: 'app.kubernetes.io/name', value: name },
    { key: 'app.kubernetes.io/instance', value: release },
    { key: 'app.kubernetes.io/component', value: component },
    { key: 'app.kubernetes.io/part-of', value: 'bindplane' },
  ];
}

export const GENERATOR_NAME = 'generator-bindplane-distributed';

function namespaceOwner(release: string): KubernetesModel['namespaceOwner'] {
  const labels = [
    { key: 'app.kubernetes.io/managed-by', value: GENERATOR_NAME },
    { key: 'app.kubernetes.io/instance', value: release },
  ];
  // kubectl's jsonpath: dots inside a label key are escaped.
  const field = (key: string) => `{.metadata.labels.${key.replace(/\./g, '\\.')}}`;
  return {
    labels,
    jsonpath: `{.metadata.name} ${labels.map((l) => field(l.key)).join(' ')}`,
    expected: [release, ...labels.map((l) => l.value)].join(' '),
  };
}

function pubsub(a: Answers, names: KubernetesNames): KubernetesModel['pubsub'] {
  if (a.eventBus !== 'pubsub') return undefined;
  const projectId = a.pubsubProjectId!;
  const base = { projectId, topic: a.pubsubTopic };
  if (a.pubsubCredentialsFile) return { ...base, credentials: { secret: names.pubsubSecret, subPath: 'credentials.json' } };
  const endpoint = `${names.pubsubEmulator}:${PORTS.pubsub}`;
  return { ...base, emulator: { endpoint, port: PORTS.pubsub, topicUrl: `http://127.0.0.1:${PORTS.pubsub}/v1/projects/${projectId}/topics/${a.pubsubTopic}` } };
}

function readmeWords(a: Answers, names: KubernetesNames, postgres: KubernetesPostgres, bus: KubernetesModel['pubsub']): KubernetesModel['words'] {
  const tlsDir = `${path.posix.dirname(LOCAL_COPIES.tlsCertFile)}/`;
  const pods = [...(postgres.external ? [] : ['PostgreSQL']), ...(bus?.emulator ? ['the Pub/Sub emulator'] : [])];
  // k8s/networkpolicy.yaml guards our own pods, if any; only a network plugin that supports it enforces it.
  const policies = pods.length ? [`NetworkPolicies that let only Bindplane reach ${pods.join(' and ')} where the cluster's network plugin enforces them`] : [];
  const ownObjects = ['the namespace', ...pods, 'the Secrets', ...policies];
  return {
    bus: bus
      ? bus.emulator
        ? `Pub/Sub through the emulator \`${names.pubsubEmulator}\` (k8s/pubsub-emulator.yaml), topic \`${bus.topic}\``
        : `Google Pub/Sub (project ${bus.projectId}, topic \`${bus.topic}\`), with the service account's key from the Secret \`${names.pubsubSecret}\``
      : `NATS in the chart's StatefulSet \`${names.nats}\` (3 servers; clients dial \`${names.natsClient}\`)`,
    busLabel: bus ? (bus.emulator ? 'Pub/Sub emulator' : 'Google Pub/Sub') : 'NATS (3 servers)',
    postgres: postgres.external
      ? `the external PostgreSQL at \`${postgres.host}:${postgres.port}\` (sslmode ${postgres.sslmode}); its database \`${postgres.database}\`, user and \`POSTGRES_PASSWORD\` from \`.env\` must exist there, and its max_connections must be at least ${postgres.serverMaxConnections}`
      : `PostgreSQL ${a.postgresVersion} in the StatefulSet \`${names.postgres}\` (k8s/postgres.yaml) with a ${postgres.storage} volume claim, max_connections ${postgres.serverMaxConnections}`,
    postgresLabel: postgres.external ? `${postgres.host} (external)` : names.postgres,
    ownObjects: ownObjects.join(', ').replace(/, ([^,]*)$/, ' and $1'),
    tls:
      a.tls === 'none'
        ? 'The Ingress serves plain HTTP (tls none).'
        : a.tls === 'selfSigned'
          ? `The Ingress serves TLS with a self-signed certificate (\`make certs\` makes it in \`${tlsDir}\`), from the Secret \`${names.tlsSecret}\`: agents need \`OPAMP_TLS_SKIP_VERIFY=true\` or the certificate as their CA.`
          : `The Ingress serves TLS with your certificate (copied into \`${tlsDir}\`), from the Secret \`${names.tlsSecret}\`.`,
  };
}

export function buildKubernetes(a: Answers, sizing: { serverMaxConnections: number; sizedForProcesses: number }): KubernetesModel {
  const names = kubernetesNames(a);
  const bus = pubsub(a, names);
  const postgres = kubernetesPostgres(a, names, sizing);
  const tls = a.tls !== 'none';
  const labels = { postgres: ownLabels(names.release, 'postgres', 'database'), pubsubEmulator: ownLabels(names.release, 'pubsub-emulator', 'event-bus') };
  const security = kubernetesSecurity({
    release: names.release,
    nats: !bus,
    postgres: postgres.external ? undefined : { name: names.postgres, labels: labels.postgres, port: postgres.port },
    emulator: bus?.emulator ? { name: names.pubsubEmulator, labels: labels.pubsubEmulator, port: bus.emulator.port } : undefined,
  });
  const resources = [
    RESOURCE_FILES.namespace,
    ...(postgres.external ? [] : [RESOURCE_FILES.postgres]),
    ...(bus?.emulator ? [RESOURCE_FILES.pubsubEmulator] : []),
    ...(security.policies.length ? [RESOURCE_FILES.networkPolicy] : []),
  ];
  return {
    chart: { name: 'bindplane', version: PINS.bindplaneChart.value, repoName: CHART_REPO.name, repoUrl: CHART_REPO.url, ref: `${CHART_REPO.name}/bindplane` },
    names,
    images: {
      bindplane: { name: `${a.imageRegistry}/bindplane-ee`, tag: a.bindplaneVersion },
      // The chart's transform agent does not follow image.tag: its tag is set as well.
      transformAgent: { name: `${a.imageRegistry}/bindplane-transform-agent`, tag: `${a.bindplaneVersion}-bindplane` },
      pubsubEmulator: IMAGES.pubsubEmulator,
    },
    replicas: a.instances,
    transformAgents: a.transformAgents,
    postgres,
    pubsub: bus,
    prometheus: { retention: CHART_PROMETHEUS_RETENTION },
    ingress: {
      host: new URL(a.remoteUrl).hostname,
      tls,
      tlsSecret: names.tlsSecret,
      // OpAMP keeps a websocket open; ingress-nginx closes idle ones after 60 s otherwise (the chart
      // adds this only with ingress.class nginx, whose non-legacy form it writes wrongly).
      annotations: [
        { key: 'nginx.ingress.kubernetes.io/proxy-read-timeout', value: '3600' },
        { key: 'nginx.ingress.kubernetes.io/proxy-send-timeout', value: '3600' },
      ],
    },
    secrets: kubernetesSecrets(a, names, tls, bus?.credentials !== undefined),
    resources,
    namespaceOwner: namespaceOwner(names.release),
    security,
    labels,
    portForward: { localPort: a.httpPort, service: names.fullname, port: PORTS.bindplane },
    notApplied: [
      `prometheusRetention (${a.prometheusRetention}): the chart runs Prometheus with --storage.tsdb.retention.time=${CHART_PROMETHEUS_RETENTION} and has no value to change it`,
      `httpPort (${a.httpPort}): no host port on a cluster; it is the local port of \`make port-forward\``,
      'demoAgents: demo agents run only on compose; connect your own agents to the remote URL',
    ],
    restartOrder: [`deployment/${names.jobs}`, ...(bus ? [] : [`statefulset/${names.nats}`]), `deployment/${names.fullname}`],
    podSelector: `app.kubernetes.io/instance=${names.release}`,
    words: readmeWords(a, names, postgres, bus),
  };
}
