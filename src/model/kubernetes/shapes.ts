// The shapes of the Kubernetes slice, apart from the code that builds them, so that the slice's
// parts (words.ts, index.ts) share them without importing each other.
import type { KubernetesNames } from './names.js';
import type { KubernetesPostgres } from './postgres.js';
import type { KubernetesSecrets } from './secrets.js';
import type { KubernetesSecurity } from './security.js';

export interface KubernetesModel {
  /**
   * The official chart at its pin: `archive` is the file `helm pull` saves, and `digestsFile` the
   * stack's record of the archives deploy checked and installed (chart.ts says why).
   */
  chart: {
    name: string;
    version: string;
    repoName: string;
    repoUrl: string;
    ref: string;
    archive: string;
    digestsFile: string;
    /** The sha256 the vendor's chart index lists for the archive, checked on first use; and where it was read. */
    publishedDigest: string;
    publishedDigestSource: string;
  };
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
  /** Which of our own objects this stack deploys beside the namespace and the Secrets. */
  own: { postgres: boolean; pubsubEmulator: boolean };
  hasTransformAgents: boolean;
  /**
   * The labels that say this stack made its namespace (k8s/namespace.yaml), and how `make delete`
   * reads them on the live namespace before it deletes anything: a jsonpath and what it must print.
   */
  namespaceOwner: { labels: Label[]; jsonpath: string; expected: string; labelsText: string };
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
  restartOrderText: string;
  /** Selector of every pod of the release, for `make logs`. */
  podSelector: string;
  /** The README's words that depend on the answers. */
  words: KubernetesWords;
}

export interface KubernetesWords {
  bus: string;
  busLabel: string;
  postgres: string;
  postgresLabel: string;
  /** With the CA of an external PostgreSQL: how its certificate is checked (verify-full). */
  postgresCa?: string;
  /** Our own objects, as the README lists them ("the namespace, PostgreSQL and the Secrets"). */
  ownObjects: string;
  /** The same objects as the kustomization's header and kube.sh's deploy name them. */
  kustomized: string;
  deployedFirst: string;
  tls: string;
  /** "3 Bindplane nodes", "3 node pods", " and 2 transform agents" (empty without any). */
  nodes: string;
  nodePods: string;
  transformAgents: string;
  /** What make delete says of the database, and the NATS servers make restart replaces (empty on Pub/Sub). */
  deleteDatabase: string;
  restartsNats: string;
  /** The Secrets values.yaml's header names. */
  valuesSecrets: string;
}

export interface Label {
  key: string;
  value: string;
}
