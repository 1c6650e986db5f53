// The answers: one declarative table that drives validation, defaults, prompts,
// CLI flags and the published JSON Schema (scripts/build-assets.mjs emits it).
import { FULLNAME_MAX } from '../facts/kubernetes-names.js';
import { PINS } from '../facts/pins.js';

/** The longest project name the chart's object names leave room for (without "bindplane" in it). */
const KUBERNETES_NAME_MAX = FULLNAME_MAX - 10;

export type EventBus = 'kafka' | 'pubsub' | 'nats';
export type TlsMode = 'none' | 'selfSigned' | 'provided';
export type Platform = 'compose' | 'kubernetes';
export type AgentKey = 'project' | 'server';
export type ContainerHardening = 'standard' | 'none';

export interface Answers {
  platform: Platform;
  projectName: string;
  bindplaneVersion: string;
  imageRegistry: string;
  instances: number;
  eventBus: EventBus;
  kafkaBrokers: number;
  kafkaTopic: string;
  pubsubProjectId?: string;
  pubsubTopic: string;
  pubsubCredentialsFile?: string;
  postgresVersion: string;
  /** Kubernetes only: the host of an external PostgreSQL; absent, PostgreSQL runs in the cluster. */
  postgresHost?: string;
  /** Kubernetes only: the CA that signed the external PostgreSQL's certificate; with it, sslmode verify-full. */
  postgresCaFile?: string;
  postgresMaxConnections: number;
  transformAgents: number;
  prometheusRetention: string;
  httpPort: number;
  /** Compose only: the host address the load balancer's published port binds to. */
  bindAddress?: string;
  tls: TlsMode;
  tlsCertFile?: string;
  tlsKeyFile?: string;
  remoteUrl: string;
  ingressNamespace?: string;
  adminUsername: string;
  /** What agents authenticate with: the project's generated key (today's servers) or the server-level key of stacks from before 2026-12. */
  agentKey: AgentKey;
  /** The organization first start creates (agentKey project only). */
  organizationName?: string;
  /** Compose only: memory limits, no-new-privileges and capability drops on the containers, or none as before 2026-12. */
  containerHardening?: ContainerHardening;
  /** Compose only (absent on Kubernetes, where the answer does not apply). */
  demoAgents: number;
  agentVersion: string;
}

export type AnswerName = keyof Answers;

/** Where the answers are for: some defaults come from the destination itself. */
export interface DefaultPlace {
  dest: string;
}
export type AnswerValue = string | number;

export type AnswerKind =
  /** `suggest`: words people use for a value, each offered as "did you mean" (never accepted as it). */
  | { type: 'enum'; values: readonly string[]; suggest?: Readonly<Record<string, string>> }
  | { type: 'intEnum'; values: readonly number[] }
  | { type: 'int'; min: number; max: number }
  | { type: 'string'; pattern: RegExp; allowed: string; maxLength: number }
  | { type: 'url' }
  | { type: 'file'; allowed: string; content: FileContent };

/** What a file answer must hold; checked where the answer is given (src/answers/file-content.ts). */
export type FileContent = 'service-account-key' | 'pem-certificate' | 'pem-private-key';

export interface AnswerSpec {
  name: AnswerName;
  kind: AnswerKind;
  /** The question, as a person reads it in a prompt, in --help and in the JSON Schema (no parentheses: prompts add the default in them). */
  message: string;
  /** What helps to answer it, shown after the question in prompts, --help and the JSON Schema; prompts show what is allowed when there is none. */
  hint?: string;
  /** Words for each value of a list of choices, as a prompt shows them. */
  labels?: Readonly<Record<string, string>>;
  /** Asked on the default path; the others wait behind "Adjust advanced settings?". */
  basic?: boolean;
  /** A fixed default, or one derived from other answers (then stored only when given explicitly). */
  default?: AnswerValue | ((a: Partial<Answers>, place: DefaultPlace) => AnswerValue);
  /** A derived default stored once taken, so it never follows later changes (a folder renamed later keeps its project). */
  keepDerived?: boolean;
  /** What --help says of a derived default. */
  defaultText?: string;
  /** Whether the question applies; answers that do not apply are not asked and not required. */
  when?: (a: Partial<Answers>) => boolean;
  /** Required (when it applies) although it has no default. */
  required?: boolean;
  /**
   * The value a stack generated before this answer existed keeps when its .yo-rc.json lacks it
   * (never stored, so the stack's files stay as they were until its owner gives the answer).
   */
  legacyDefault?: AnswerValue;
}

/** Defaults pinned on purpose, from the one table of pins (src/facts/pins.ts, with their sources). */
export const PINNED = {
  bindplaneVersion: PINS.bindplane.value,
  agentVersion: PINS.agent.value,
} as const;

/** The PostgreSQL release of a new stack: a minor release, so that no pull changes it unasked. */
export const POSTGRES_DEFAULT = PINS.postgres.value;

const NAME = /^[a-z0-9][a-z0-9_-]*$/;
/** A port from 1 to 65535, without leading zeros. */
const PORT = '(6553[0-5]|655[0-2]\\d|65[0-4]\\d{2}|6[0-4]\\d{3}|[1-5]\\d{4}|[1-9]\\d{0,3})';
/** A host name: dot-separated labels of `c` (a character class) and "-", none empty, none starting or ending with "-", at most 63 each. */
const hostOf = (c: string) => `[${c}]([${c}-]{0,61}[${c}])?(\\.[${c}]([${c}-]{0,61}[${c}])?)*`;
/** An http(s) URL of a host name and an optional port from 1 to 65535, nothing after it. */
export const URL_PATTERN = new RegExp(`^https?://${hostOf('A-Za-z0-9')}(:${PORT})?/?$`);
/** A registry: a lower-case host (and port), then path components as Docker allows them (no "..", no leading or trailing separator). */
const REGISTRY = new RegExp(`^${hostOf('a-z0-9')}(:${PORT})?(/[a-z0-9]+((\\.|_|__|-+)[a-z0-9]+)*)*$`);
const IPV4_OCTET = '(25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)';
const IPV4 = `${IPV4_OCTET}(\\.${IPV4_OCTET}){3}`;
const H = '[0-9A-Fa-f]{1,4}';
/** Every form of an IPv6 address but a zone index or an embedded IPv4 address (RFC 4291, 2.2). */
const IPV6 = [
  `(${H}:){7}${H}`,
  `(${H}:){1,7}:`,
  ...[1, 2, 3, 4, 5, 6].map((n) => `(${H}:){1,${7 - n}}(:${H}){${n === 1 ? '1' : `1,${n}`}}`),
  `:((:${H}){1,7}|:)`,
].join('|');
/** An IPv4 or IPv6 address literal. */
export const IP_LITERAL = new RegExp(`^(${IPV4}|${IPV6})$`);
const VERSION = /^\d+\.\d+\.\d+(-[0-9A-Za-z.]+)?$/;

const isKafka = (a: Partial<Answers>) => a.eventBus === 'kafka';
const isPubsub = (a: Partial<Answers>) => a.eventBus === 'pubsub';
const isProvidedTls = (a: Partial<Answers>) => a.tls === 'provided';
const isKubernetes = (a: Partial<Answers>) => a.platform === 'kubernetes';
const isExternalPostgres = (a: Partial<Answers>) => isKubernetes(a) && a.postgresHost !== undefined;

export const ANSWERS: readonly AnswerSpec[] = [
  {
    name: 'platform',
    kind: {
      type: 'enum',
      values: ['compose', 'kubernetes'],
      suggest: { k8s: 'kubernetes', kube: 'kubernetes', helm: 'kubernetes', docker: 'compose', 'docker-compose': 'compose' },
    },
    message: 'Where the stack runs',
    labels: {
      compose: 'Docker Compose on one host',
      kubernetes: "Kubernetes, through the vendor's official Helm chart",
    },
    default: 'compose',
  },
  {
    name: 'projectName',
    kind: {
      type: 'string',
      pattern: NAME,
      maxLength: 63,
      allowed: 'lower-case letters, digits, "-" and "_", starting with a letter or digit, at most 63 characters',
    },
    message: 'Project name',
    hint: 'the Compose project; on Kubernetes the Helm release and the namespace',
    // Each stack its own project: two stacks sharing a name share containers and volumes.
    // On Kubernetes it also names the chart's objects, which allow fewer characters.
    default: (a, place) => projectNameFor(place.dest, isKubernetes(a) ? KUBERNETES_NAME_MAX : 63),
    keepDerived: true,
    defaultText: "the folder's name",
  },
  {
    name: 'bindplaneVersion',
    kind: { type: 'string', pattern: VERSION, maxLength: 40, allowed: 'a release number such as 1.96.3 (never "latest")' },
    message: 'Bindplane release',
    hint: 'the image tag; the transform agent uses the same release',
    default: PINNED.bindplaneVersion,
  },
  {
    name: 'imageRegistry',
    kind: {
      type: 'string',
      pattern: REGISTRY,
      maxLength: 200,
      allowed:
        'a registry path such as ghcr.io/observiq or registry.example.com:5000/team, or observiq for Docker Hub: host labels of lower-case letters, digits and "-", a port from 1 to 65535',
    },
    message: "Registry of Bindplane's images",
    default: 'ghcr.io/observiq',
  },
  {
    name: 'instances',
    kind: { type: 'int', min: 1, max: 64 },
    message: 'Bindplane instances behind the load balancer',
    default: 3,
    basic: true,
  },
  {
    name: 'eventBus',
    kind: { type: 'enum', values: ['kafka', 'pubsub', 'nats'] },
    message: 'Event bus',
    hint: "nats is the vendor's default; kafka is deprecated upstream since 2024 and not on Kubernetes; pubsub is Google Pub/Sub or its emulator",
    labels: {
      nats: "NATS: the vendor's default, embedded in the first Bindplane processes",
      pubsub: 'Google Pub/Sub, or its emulator',
      kafka: 'Kafka in KRaft mode: deprecated upstream since 2024, Compose only',
    },
    default: 'nats',
    basic: true,
  },
  {
    name: 'kafkaBrokers',
    kind: { type: 'intEnum', values: [1, 3] },
    message: 'Kafka brokers',
    labels: { '1': '1 broker', '3': '3 brokers, a quorum that survives one broker down' },
    default: 1,
    when: isKafka,
  },
  {
    name: 'kafkaTopic',
    kind: {
      type: 'string',
      // Kafka's own rule (Topic.validate): its legal characters, at most 249, and not "." or "..".
      pattern: /^(?!\.{1,2}$)[A-Za-z0-9._-]{1,249}$/,
      maxLength: 249,
      allowed: 'letters, digits, ".", "_" and "-", at most 249 characters, not "." or ".."',
    },
    message: 'Kafka topic',
    default: 'bindplane-op-message-bus',
    when: isKafka,
  },
  {
    name: 'pubsubProjectId',
    kind: {
      type: 'string',
      pattern: /^[a-z][a-z0-9-]{4,28}[a-z0-9]$/,
      maxLength: 30,
      allowed: 'a Google Cloud project ID: 6 to 30 lower-case letters, digits and "-", starting with a letter',
    },
    message: 'Google Cloud project ID of the Pub/Sub topic',
    when: isPubsub,
    basic: true,
    required: true,
  },
  {
    name: 'pubsubTopic',
    kind: {
      type: 'string',
      // Google's rule, less "%": the emulator's setup puts the name in a URL that curl and the shell
      // would decode ("%24%28id%29" is "$(id)") while Bindplane uses it as written.
      pattern: /^(?![Gg][Oo][Oo][Gg])[A-Za-z][A-Za-z0-9._~+-]{2,254}$/,
      maxLength: 255,
      allowed:
        'a Pub/Sub topic name: 3 to 255 letters, digits and "-_.~+", starting with a letter, not with "goog"; "%" is refused, the emulator\'s URL would decode it',
    },
    message: 'Pub/Sub topic',
    default: 'bindplane-event-bus',
    when: isPubsub,
  },
  {
    name: 'pubsubCredentialsFile',
    kind: {
      type: 'file',
      allowed: 'the path of an existing service-account key file: JSON with "type": "service_account" and a "private_key"',
      content: 'service-account-key',
    },
    message: 'Service-account JSON file for Pub/Sub',
    hint: 'leave empty to run the Pub/Sub emulator',
    when: isPubsub,
    basic: true,
  },
  {
    name: 'postgresVersion',
    // 13 still parses, so that a stack that has it keeps it (with a warning); resolve.ts refuses it for new answers.
    kind: { type: 'string', pattern: /^1[3-8](\.\d{1,2})?$/, maxLength: 5, allowed: 'a PostgreSQL release from 14 to 18, such as "16" or "16.4"' },
    message: 'PostgreSQL release',
    default: POSTGRES_DEFAULT,
  },
  {
    name: 'postgresHost',
    kind: {
      type: 'string',
      pattern: /^[a-z0-9]([a-z0-9.-]*[a-z0-9])?$/,
      maxLength: 253,
      allowed: 'a DNS name such as db.example.com (lower-case letters, digits, "." and "-")',
    },
    message: 'Host of an external PostgreSQL',
    hint: 'leave empty to run PostgreSQL in the cluster',
    when: isKubernetes,
  },
  {
    name: 'postgresCaFile',
    kind: { type: 'file', allowed: "the path of an existing PEM certificate file: the CA that signed the server's certificate", content: 'pem-certificate' },
    message: 'PEM CA certificate of the external PostgreSQL',
    hint: "with it Bindplane checks the server's certificate and its host name, sslmode verify-full; leave empty for sslmode require, which encrypts but checks neither",
    when: isExternalPostgres,
  },
  {
    name: 'postgresMaxConnections',
    kind: { type: 'int', min: 5, max: 1000 },
    message: 'Connections each Bindplane instance may open to PostgreSQL',
    default: 100,
  },
  {
    name: 'transformAgents',
    kind: { type: 'int', min: 0, max: 16 },
    message: 'Remote transform agents',
    hint: 'they run the processor previews',
    default: 1,
  },
  {
    name: 'prometheusRetention',
    kind: {
      type: 'string',
      // Bounded per unit (at most 99y, 9999w, 99999d, ...), far below where Prometheus's duration overflows.
      pattern: /^([1-9]\d?y)?(\d{1,4}w)?(\d{1,5}d)?(\d{1,6}h)?(\d{1,7}m)?(\d{1,9}s)?(\d{1,10}ms)?$/,
      maxLength: 20,
      allowed: 'a Prometheus duration with units from largest to smallest, such as 15d, 12h or 1w2d, at most 99y, 9999w, 99999d or 999999h',
    },
    message: 'How long Prometheus keeps measurements',
    default: '15d',
  },
  {
    name: 'httpPort',
    kind: { type: 'int', min: 1, max: 65535 },
    message: 'Host port of the load balancer',
    hint: 'on Kubernetes, the local port of make port-forward',
    default: 3001,
  },
  {
    name: 'bindAddress',
    kind: { type: 'string', pattern: IP_LITERAL, maxLength: 39, allowed: 'an IPv4 or IPv6 address such as 127.0.0.1, ::1, or 0.0.0.0 for every interface' },
    message: "Host address the load balancer's port listens on",
    hint: '127.0.0.1: this host only; 0.0.0.0: every interface, which agents on other hosts need, with TLS; Compose only',
    default: '127.0.0.1',
    // Stacks generated before 2026-12 published the port on every interface: they keep it until moved.
    legacyDefault: '0.0.0.0',
    when: (a) => !isKubernetes(a),
  },
  {
    name: 'tls',
    kind: { type: 'enum', values: ['none', 'selfSigned', 'provided'] },
    message: 'TLS on the load balancer',
    labels: {
      none: 'None: plain HTTP',
      selfSigned: 'Self-signed: the stack makes its own certificate',
      provided: 'Provided: your own PEM certificate and key',
    },
    default: 'none',
    basic: true,
  },
  {
    name: 'tlsCertFile',
    kind: { type: 'file', allowed: 'the path of an existing PEM certificate file', content: 'pem-certificate' },
    message: 'PEM certificate chain for the load balancer',
    when: isProvidedTls,
    basic: true,
    required: true,
  },
  {
    name: 'tlsKeyFile',
    kind: { type: 'file', allowed: 'the path of an existing PEM private key file', content: 'pem-private-key' },
    message: 'PEM private key of that certificate',
    when: isProvidedTls,
    basic: true,
    required: true,
  },
  {
    name: 'remoteUrl',
    kind: { type: 'url' },
    message: 'URL at which agents and browsers reach Bindplane through the load balancer',
    hint: 'on Kubernetes, the Ingress',
    // On Kubernetes the Ingress listens on the standard ports, so the default names no port.
    default: (a) => `${a.tls && a.tls !== 'none' ? 'https' : 'http'}://localhost${isKubernetes(a) ? '' : `:${a.httpPort ?? 3001}`}`,
  },
  {
    name: 'ingressNamespace',
    kind: {
      type: 'string',
      pattern: /^(\*|[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)$/,
      maxLength: 63,
      allowed: 'the namespace of the ingress controller, a DNS label such as ingress-nginx, or "*" for no NetworkPolicy on the Bindplane nodes',
    },
    message: 'Namespace of the ingress controller, the only other namespace whose pods may reach the Bindplane nodes',
    hint: '"*" lets every namespace in, with no NetworkPolicy on the nodes',
    // The Ingress's annotations are ingress-nginx's, so its usual namespace is the default.
    default: 'ingress-nginx',
    // A stack from before had no policy on its nodes; one could cut a running cluster's other ingress off.
    legacyDefault: '*',
    when: isKubernetes,
  },
  {
    name: 'adminUsername',
    kind: { type: 'string', pattern: /^[A-Za-z0-9._@-]+$/, maxLength: 64, allowed: 'letters, digits, ".", "_", "@" and "-", at most 64 characters' },
    message: "Bindplane administrator's user name",
    default: 'admin',
  },
  {
    name: 'agentKey',
    kind: { type: 'enum', values: ['project', 'server'] },
    message: 'Key the agents authenticate with',
    hint: "project: the project's key, which make start reads from the server after creating the organization; server: a BINDPLANE_SECRET_KEY on the server, refused by today's enterprise server",
    labels: {
      project: "The project's key, read at first start (today's enterprise server)",
      server: 'A server-level BINDPLANE_SECRET_KEY: deprecated, agents get 401 from the enterprise server',
    },
    default: 'project',
    // Stacks generated before 2026-12 gave the server a key of their own: they keep it until moved.
    legacyDefault: 'server',
  },
  {
    name: 'organizationName',
    kind: {
      type: 'string',
      pattern: /^[A-Za-z0-9][A-Za-z0-9._-]*$/,
      maxLength: 63,
      allowed: 'letters, digits, ".", "_" and "-", starting with a letter or digit, at most 63 characters',
    },
    message: 'Organization that first start creates',
    hint: 'used once, when the server has no organization yet; renaming it later does not rename the one created',
    default: (a) => a.projectName ?? 'bindplane',
    keepDerived: true,
    defaultText: 'the project name',
    when: (a) => a.agentKey !== 'server',
  },
  {
    name: 'containerHardening',
    kind: { type: 'enum', values: ['standard', 'none'] },
    message: 'Limits and privileges of the containers',
    hint: 'Compose only',
    labels: {
      standard: 'Memory limits and no-new-privileges on every container, all capabilities dropped where the image allows it',
      none: 'No limits: the containers as stacks generated before 2026-12 ran them',
    },
    default: 'standard',
    // Stacks generated before 2026-12 ran without limits: they keep their containers as they are until moved.
    legacyDefault: 'none',
    when: (a) => !isKubernetes(a),
  },
  {
    name: 'demoAgents',
    kind: { type: 'int', min: 0, max: 100 },
    message: 'Demo Bindplane agents that connect through the load balancer',
    hint: 'Compose only',
    default: 0,
    when: (a) => !isKubernetes(a),
  },
  {
    name: 'agentVersion',
    kind: { type: 'string', pattern: VERSION, maxLength: 40, allowed: 'a Bindplane Agent release such as 1.80.1' },
    message: 'Bindplane Agent release of the demo agents',
    default: PINNED.agentVersion,
    when: (a) => (a.demoAgents ?? 0) > 0,
  },
];

/** A folder's name made a valid project name: lower case, letters, digits and "-" (a DNS label, so Kubernetes takes it too). */
export function projectNameFor(dest: string, maxLength = 63): string {
  const base = dest.split(/[\\/]/).filter(Boolean).pop() ?? '';
  const name = base
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, '-')
    .replace(/^[^a-z0-9]+/, '')
    .slice(0, maxLength)
    .replace(/-+$/, '');
  return name || 'bindplane';
}

export function specOf(name: string): AnswerSpec | undefined {
  return ANSWERS.find((s) => s.name === name);
}

/** camelCase answer name to its kebab-case flag. */
export function flagOf(name: string): string {
  return name.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
}

/**
 * A value as a flag spells it: kebab-case like the flags themselves (`self-signed` for
 * `selfSigned`). Both spellings are accepted; the value stored is always the one of the table.
 */
export function flagValueOf(value: string): string {
  return value.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
}

/** Words that say what a kind allows, for messages and --help; `flag` spells values as flags do. */
export function allowedText(kind: AnswerKind, spelling: 'value' | 'flag' = 'value'): string {
  switch (kind.type) {
    case 'enum':
      return `one of ${kind.values.map((v) => (spelling === 'flag' ? flagValueOf(v) : v)).join(', ')}`;
    case 'intEnum':
      return `one of ${kind.values.join(', ')}`;
    case 'int':
      return `a whole number from ${kind.min} to ${kind.max}`;
    case 'string':
    case 'file':
      return kind.allowed;
    case 'url':
      return 'an http:// or https:// URL with a host and no path, a port from 1 to 65535 if any, such as https://bindplane.example.com:3001';
  }
}
