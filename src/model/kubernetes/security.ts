// Privileges, sizes and network reach of the pods on Kubernetes (issue 20, row 9): the securityContext
// and resources of our own containers (PostgreSQL, the Pub/Sub emulator), the chart's keys for its
// own (Bindplane, NATS, the transform agent, Prometheus), and the NetworkPolicies of our own pods.
// Lines of YAML, which the templates lay out at their indentation, as the Compose hardening does.
// Memory limits are the Compose containers' (hardening.ts), which follow the sizing `make doctor`
// checks; CPU is requested, never limited: a CPU limit throttles, memory is what a runaway takes.
import { memoryRule, type HardenedService } from '../compose/hardening.js';
import { CHART_NAME } from '../../facts/kubernetes-names.js';

interface LabelPair {
  key: string;
  value: string;
}

/** Plain YAML values: scalars, lists of scalars (written inline) and maps of them. */
type Plain = string | number | boolean | readonly string[] | { readonly [key: string]: Plain };

/** Block YAML of `value` under `key`, one string per line; the values here need no quoting. */
export function yamlLines(key: string, value: Plain): string[] {
  if (Array.isArray(value)) return [`${key}: [${value.join(', ')}]`];
  if (typeof value !== 'object') return [`${key}: ${String(value)}`];
  return [`${key}:`, ...Object.entries(value as Record<string, Plain>).flatMap(([k, v]) => yamlLines(k, v).map((l) => `  ${l}`))];
}

const mebibytes = (mib: number) => `${mib}Mi`;

/** securityContext fields that every container gets, whatever its image. */
const LOCKED_DOWN = { allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] }, seccompProfile: { type: 'RuntimeDefault' } } as const;

interface Writable {
  name: string;
  mountPath: string;
}

interface OwnRule {
  /** The image's own non-root user and group. */
  user: number;
  userWhy: string;
  service: HardenedService;
  cpu: string;
  /** Folders the process writes outside its volumes: emptyDirs, so the root file system stays read-only. */
  writable: Writable[];
  env?: Record<string, string>;
}

/** A container of ours: what the template adds to it. */
export interface OwnContainer {
  /** securityContext and resources, with a comment line before each. */
  lines: string[];
  /** Items of its volumeMounts and env lists. */
  mounts: string[];
  env: string[];
}

function ownContainer(rule: OwnRule): OwnContainer {
  const memory = memoryRule(rule.service);
  const context = { runAsNonRoot: true, runAsUser: rule.user, runAsGroup: rule.user, readOnlyRootFilesystem: true, ...LOCKED_DOWN };
  const resources = { requests: { cpu: rule.cpu, memory: mebibytes(memory.memMiB) }, limits: { memory: mebibytes(memory.memMiB) } };
  return {
    lines: [
      `# ${rule.userWhy}.`,
      `# Read-only root: ${rule.writable.length ? `it writes only in ${rule.writable.map((w) => w.mountPath).join(' and ')} (emptyDirs)` : 'it writes no file'}.`,
      ...yamlLines('securityContext', context),
      `# The Compose stack's memory limit${memory.why ? ` (${memory.why})` : ''}; CPU is requested, not limited.`,
      ...yamlLines('resources', resources),
    ],
    mounts: rule.writable.flatMap((w) => [`- name: ${w.name}`, `  mountPath: ${w.mountPath}`]),
    env: Object.entries(rule.env ?? {}).flatMap(([name, value]) => [`- name: ${name}`, `  value: "${value}"`]),
  };
}

const emptyDirs = (writable: Writable[]) => ['volumes:', ...writable.flatMap((w) => [`  - name: ${w.name}`, '    emptyDir: {}'])];

const POSTGRES_WRITES: Writable[] = [
  { name: 'run', mountPath: '/var/run/postgresql' },
  { name: 'tmp', mountPath: '/tmp' },
];
// Measured with strace on gcloud 528 as uid 1000 (2026-12-06): with these properties the emulator opens
// no connection but its own port, and writes only in CLOUDSDK_CONFIG and /tmp (the JVM's files).
const EMULATOR_WRITES: Writable[] = [{ name: 'tmp', mountPath: '/tmp' }];
const EMULATOR_ENV = {
  CLOUDSDK_CONFIG: '/tmp/gcloud',
  CLOUDSDK_CORE_DISABLE_USAGE_REPORTING: 'true',
  CLOUDSDK_COMPONENT_MANAGER_DISABLE_UPDATE_CHECK: 'true',
  CLOUDSDK_CORE_CHECK_GCE_METADATA: 'false',
};
const CLOUDSDK_USER = { user: 1000, userWhy: "The image's own user cloudsdk (uid 1000, made by its Dockerfile)" };

/** The chart's keys (values.yaml of chart 1.31.1) for the Bindplane containers, and for NATS and Prometheus. */
function chartValues(nats: boolean): KubernetesSecurity['values'] {
  const perProcess = memoryRule('bindplane');
  const process = (cpu: string) => ({ requests: { cpu, memory: mebibytes(perProcess.memMiB) }, limits: { memory: mebibytes(perProcess.memMiB) } });
  const prometheus = memoryRule('prometheus');
  const sizes = `the Compose stack's memory limits; CPU requests are the chart's own, with no CPU limit (as the chart leaves it)`;
  return {
    top: [
      "# podSecurityContext and containerSecurityContext (keys of the chart's values.yaml): templates/bindplane.yaml,",
      "# bindplane-jobs.yaml, bindplane-nats.yaml and transform-agent.yaml put them on every Bindplane pod and container. The chart's",
      '# defaults (user 65534, read-only root, all capabilities dropped), with privilege escalation off and seccomp.',
      ...yamlLines('podSecurityContext', { runAsUser: 65534, runAsGroup: 65534, fsGroup: 65534 }),
      ...yamlLines('containerSecurityContext', { runAsNonRoot: true, runAsUser: 65534, readOnlyRootFilesystem: true, ...LOCKED_DOWN }),
      '# resources (the nodes and the transform agents: templates/bindplane.yaml, transform-agent.yaml) and',
      '# jobs.resources (templates/bindplane-jobs.yaml):',
      `# ${sizes}.`,
      ...yamlLines('resources', process('1000m')),
      ...yamlLines('jobs', { resources: process('1000m') }),
    ],
    nats: nats
      ? ['# nats.resources (templates/bindplane-nats.yaml): the servers are Bindplane processes too.', ...yamlLines('resources', process('1000m'))]
      : [],
    prometheus: [
      `# prometheus.resources (templates/prometheus.yaml; its securityContext is fixed by the chart): ${prometheus.why}.`,
      ...yamlLines('resources', { requests: { cpu: '250m', memory: mebibytes(prometheus.memMiB) }, limits: { memory: mebibytes(prometheus.memMiB) } }),
    ],
  };
}

/** One NetworkPolicy of ours: the pods it guards accept only the Bindplane processes, on one port, and dial nothing. */
export interface OwnPolicy {
  name: string;
  /** Labels of the guarded pods: the policy's selector and its own labels. */
  labels: LabelPair[];
  port: number;
  why: string;
}

/**
 * The NetworkPolicy of the chart's Bindplane nodes: their API port admits the pods of the stack's own
 * namespace and those of the ingress controller's, nothing else. Egress stays open: the nodes dial
 * PostgreSQL, the bus, Prometheus and services this generator cannot know.
 */
export interface NodesPolicy {
  name: string;
  /** The chart's labels of the node pods (templates/bindplane.yaml), the policy's selector. */
  labels: LabelPair[];
  port: number;
  /** The label every namespace carries with its own name (Kubernetes 1.21 and later). */
  namespaceLabel: string;
  ingressNamespace: string;
  why: string;
  /** make doctor's check that the ingress controller's namespace exists. */
  doctor: { ok: string; bad: string; fix: string };
}

export interface KubernetesSecurity {
  postgres: { container: OwnContainer; volumes: string[] };
  pubsubEmulator: { emulator: OwnContainer; createTopic: OwnContainer; volumes: string[] };
  /** values.yaml: top-level chart keys, and the lines inside its nats: and prometheus: blocks. */
  values: { top: string[]; nats: string[]; prometheus: string[] };
  /** The chart's labels on the pods that use PostgreSQL and the bus: the nodes and the jobs Deployment. */
  clients: { labels: LabelPair[]; componentKey: string; components: string[]; componentsFlow: string };
  policies: OwnPolicy[];
  nodesPolicy?: NodesPolicy;
  /** The header of k8s/networkpolicy.yaml: who may reach which pods. */
  policyHeader: string[];
}

export interface SecurityInputs {
  release: string;
  nats: boolean;
  postgres?: { name: string; labels: LabelPair[]; port: number };
  emulator?: { name: string; labels: LabelPair[]; port: number };
  /** The node pods' policy, unless the ingress namespace answer is "*". */
  nodes?: { name: string; port: number; ingressNamespace: string };
}

/** The chart's component labels of the pods that may reach ours: the Bindplane nodes and the jobs instance. */
const CLIENT_COMPONENTS = ['server', 'jobs'];

export function kubernetesSecurity(i: SecurityInputs): KubernetesSecurity {
  const policies: OwnPolicy[] = [];
  if (i.postgres) policies.push({ ...i.postgres, why: 'Only the Bindplane processes use the database; backups run inside its pod (kubectl exec)' });
  if (i.emulator) policies.push({ ...i.emulator, why: 'Only the Bindplane processes use the bus; the topic is created from inside its pod' });
  return {
    postgres: {
      container: ownContainer({
        user: 999,
        userWhy: "The image's own user postgres (uid 999): its entrypoint skips the chown when it starts as that user",
        service: 'postgres',
        cpu: '250m',
        writable: POSTGRES_WRITES,
      }),
      volumes: emptyDirs(POSTGRES_WRITES),
    },
    pubsubEmulator: {
      emulator: ownContainer({ ...CLOUDSDK_USER, service: 'pubsubEmulator', cpu: '100m', writable: EMULATOR_WRITES, env: EMULATOR_ENV }),
      createTopic: ownContainer({ ...CLOUDSDK_USER, service: 'pubsubTopic', cpu: '10m', writable: [] }),
      volumes: emptyDirs(EMULATOR_WRITES),
    },
    values: chartValues(i.nats),
    clients: {
      labels: chartLabels(i.release),
      componentKey: 'app.kubernetes.io/component',
      components: CLIENT_COMPONENTS,
      // As the YAML flow list of the policy's matchExpressions.
      componentsFlow: CLIENT_COMPONENTS.join(', '),
    },
    policies,
    nodesPolicy: i.nodes && nodesPolicy(i.release, i.nodes),
    policyHeader: policyHeader(i, policies.length > 0),
  };
}

function policyHeader(i: SecurityInputs, own: boolean): string[] {
  return [
    ...(own
      ? [
          `Who may reach our own pods in ${i.release}: only the Bindplane processes (the chart's pods labelled`,
          `app.kubernetes.io/component ${CLIENT_COMPONENTS.join(' or ')}), on one port each; these pods dial nothing.`,
        ]
      : []),
    ...(i.nodes ? [`Who may reach the Bindplane nodes: the pods of ${i.release} and of ${i.nodes.ingressNamespace} (the ingress controller's).`] : []),
  ];
}

const chartLabels = (release: string): LabelPair[] => [
  { key: 'app.kubernetes.io/name', value: CHART_NAME },
  { key: 'app.kubernetes.io/instance', value: release },
];

function nodesPolicy(release: string, n: NonNullable<SecurityInputs['nodes']>): NodesPolicy {
  const ns = n.ingressNamespace;
  return {
    ...n,
    labels: [...chartLabels(release), { key: 'app.kubernetes.io/component', value: 'server' }],
    namespaceLabel: 'kubernetes.io/metadata.name',
    why:
      `Only this namespace's pods (the jobs instance, where make deploy's first start runs; NATS; the transform agents; Prometheus) ` +
      `and the ingress controller's, in ${ns}, reach the nodes' API`,
    doctor: {
      ok: `namespace ${ns} exists: the NetworkPolicy of the Bindplane nodes lets in its pods (the ingress controller's)`,
      bad: `namespace ${ns} does not exist: where network policies are enforced, the Ingress cannot reach Bindplane`,
      fix: `give the namespace your ingress controller runs in (--ingress-namespace NAME, or '*' for no policy on the nodes), then make deploy`,
    },
  };
}
