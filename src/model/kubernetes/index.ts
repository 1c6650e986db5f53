// The Kubernetes slice of the model: the official chart's values, and what the chart does not
// deploy (PostgreSQL, the Pub/Sub emulator, the Secrets), laid out by templates/kubernetes/.
// Everything the chart needs is decided here, from the same answers as the Compose stack.
import type { Answers } from '../../answers/schema.js';
import { IMAGES } from '../core/images.js';
import { PORTS } from '../core/ports.js';
import { kubernetesChart } from './chart.js';
import { kubernetesNames, type KubernetesNames } from './names.js';
import { kubernetesPostgres } from './postgres.js';
import { kubernetesSecrets } from './secrets.js';
import { kubernetesSecurity, type SecurityInputs } from './security.js';
import { kubernetesWords } from './words.js';

export type { KubernetesNames } from './names.js';
export { CHART_DIGESTS_FILE } from './chart.js';

export type { KubernetesModel, KubernetesWords, Label } from './shapes.js';
import type { KubernetesModel, Label } from './shapes.js';

export const KUBERNETES_DIR = 'k8s';
export const RESOURCE_FILES = {
  namespace: `${KUBERNETES_DIR}/namespace.yaml`,
  postgres: `${KUBERNETES_DIR}/postgres.yaml`,
  pubsubEmulator: `${KUBERNETES_DIR}/pubsub-emulator.yaml`,
  networkPolicy: `${KUBERNETES_DIR}/networkpolicy.yaml`,
} as const;

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
    labelsText: labels.map((l) => `${l.key}=${l.value}`).join(', '),
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

/** The chart's images of Bindplane, and the emulator's. */
function chartImages(a: Answers): KubernetesModel['images'] {
  return {
    bindplane: { name: `${a.imageRegistry}/bindplane-ee`, tag: a.bindplaneVersion },
    // The chart's transform agent does not follow image.tag: its tag is set as well.
    transformAgent: { name: `${a.imageRegistry}/bindplane-transform-agent`, tag: `${a.bindplaneVersion}-bindplane` },
    pubsubEmulator: IMAGES.pubsubEmulator,
  };
}

/** The node pods' NetworkPolicy, unless the answer lets every namespace in. */
function nodesPolicyInputs(a: Answers, names: KubernetesNames): SecurityInputs['nodes'] {
  const ns = a.ingressNamespace ?? '*';
  return ns === '*' ? undefined : { name: `${names.fullname}-nodes`, port: PORTS.bindplane, ingressNamespace: ns };
}

function ingress(a: Answers, names: KubernetesNames, tls: boolean): KubernetesModel['ingress'] {
  return {
    host: new URL(a.remoteUrl).hostname,
    tls,
    tlsSecret: names.tlsSecret,
    // OpAMP keeps a websocket open; ingress-nginx closes idle ones after 60 s otherwise (the chart
    // adds this only with ingress.class nginx, whose non-legacy form it writes wrongly).
    annotations: [
      { key: 'nginx.ingress.kubernetes.io/proxy-read-timeout', value: '3600' },
      { key: 'nginx.ingress.kubernetes.io/proxy-send-timeout', value: '3600' },
    ],
  };
}

export function buildKubernetes(a: Answers, sizing: { serverMaxConnections: number; sizedForProcesses: number }): KubernetesModel {
  const names = kubernetesNames(a);
  const bus = pubsub(a, names);
  const postgres = kubernetesPostgres(a, names, sizing);
  const tls = a.tls !== 'none';
  const restartOrder = [`deployment/${names.jobs}`, ...(bus ? [] : [`statefulset/${names.nats}`]), `deployment/${names.fullname}`];
  const labels = { postgres: ownLabels(names.release, 'postgres', 'database'), pubsubEmulator: ownLabels(names.release, 'pubsub-emulator', 'event-bus') };
  const security = kubernetesSecurity({
    release: names.release,
    nats: !bus,
    postgres: postgres.external ? undefined : { name: names.postgres, labels: labels.postgres, port: postgres.port },
    emulator: bus?.emulator ? { name: names.pubsubEmulator, labels: labels.pubsubEmulator, port: bus.emulator.port } : undefined,
    nodes: nodesPolicyInputs(a, names),
  });
  const resources = [
    RESOURCE_FILES.namespace,
    ...(postgres.external ? [] : [RESOURCE_FILES.postgres]),
    ...(bus?.emulator ? [RESOURCE_FILES.pubsubEmulator] : []),
    ...(security.policies.length || security.nodesPolicy ? [RESOURCE_FILES.networkPolicy] : []),
  ];
  return {
    chart: kubernetesChart(),
    names,
    images: chartImages(a),
    replicas: a.instances,
    transformAgents: a.transformAgents,
    postgres,
    pubsub: bus,
    prometheus: { retention: CHART_PROMETHEUS_RETENTION },
    ingress: ingress(a, names, tls),
    secrets: kubernetesSecrets(a, names, tls, bus?.credentials !== undefined, postgres.ca),
    resources,
    own: { postgres: !postgres.external, pubsubEmulator: bus?.emulator !== undefined },
    hasTransformAgents: a.transformAgents > 0,
    namespaceOwner: namespaceOwner(names.release),
    security,
    labels,
    portForward: { localPort: a.httpPort, service: names.fullname, port: PORTS.bindplane },
    notApplied: [
      `prometheusRetention (${a.prometheusRetention}): the chart runs Prometheus with --storage.tsdb.retention.time=${CHART_PROMETHEUS_RETENTION} and has no value to change it`,
      `httpPort (${a.httpPort}): no host port on a cluster; it is the local port of \`make port-forward\``,
      'demoAgents: demo agents run only on compose; connect your own agents to the remote URL',
    ],
    restartOrder,
    restartOrderText: restartOrder.join(' '),
    podSelector: `app.kubernetes.io/instance=${names.release}`,
    words: kubernetesWords(a, names, postgres, bus),
  };
}
