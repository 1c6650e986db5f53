// The real validators, run against a generated folder: docker-compose (v1, daemon-less `config`),
// the compose-spec JSON schema, nginx -t, promtool, make -n, shellcheck and yamllint.
// Each function resolves when the tool is satisfied and rejects with a ValidationError that names
// the tool, the file and quotes the tool's output otherwise.
// scripts/ensure-validators.mjs (run by `npm pretest`) installs the tools.
import { spawn } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { Ajv, type ValidateFunction } from 'ajv';
import addFormatsModule from 'ajv-formats';
import { isMap, isPair, isScalar, parseDocument, visit, type Document } from 'yaml';
import { ROOT, tempDir } from './stack.js';

// ajv-formats is CommonJS; under ESM its default export may arrive wrapped.
const addFormats = ((addFormatsModule as unknown as { default?: unknown }).default ?? addFormatsModule) as (ajv: Ajv) => Ajv;

export class ValidationError extends Error {
  constructor(
    readonly tool: string,
    readonly file: string,
    readonly output: string,
  ) {
    super(`${tool} rejected ${file}:\n${output.trim()}`);
    this.name = 'ValidationError';
  }
}

export interface ToolRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** A small, fixed environment, so nothing from the test runner's environment leaks into a tool (compose interpolation!). */
export function toolEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  return {
    PATH: `${process.env.PATH ?? '/usr/bin:/bin'}:/usr/sbin:/sbin`,
    HOME: process.env.HOME ?? '/root',
    LANG: 'C.UTF-8',
    LC_ALL: 'C.UTF-8',
    ...extra,
  };
}

/** Runs a command without a shell; asynchronous so that several validators can run at once. */
export function runTool(cmd: string, args: string[], opts: { cwd?: string; env?: NodeJS.ProcessEnv; timeoutMs?: number } = {}): Promise<ToolRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd: opts.cwd, env: opts.env ?? toolEnv(), stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 60_000);
    child.on('error', (e) => {
      clearTimeout(timer);
      reject(new Error(`cannot run ${cmd}: ${e.message} (run scripts/ensure-validators.mjs)`));
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

const show = (r: ToolRun) => [r.code === 0 ? '' : `exit ${r.code}`, r.stdout.trim(), r.stderr.trim()].filter(Boolean).join('\n');

// ---------------------------------------------------------------------------------------------
// Compose

const COMPOSE_FILE = 'docker-compose.yml';

/** Parses YAML the strict way: duplicate keys are errors, `<<` merge keys are resolved. Rejects on any error or warning. */
export function parseYamlStrict(text: string, file: string): Document.Parsed {
  const doc = parseDocument(text, { uniqueKeys: true, merge: true, prettyErrors: true });
  const problems = [...doc.errors, ...doc.warnings];
  if (problems.length > 0) throw new ValidationError('yaml (uniqueKeys, merge)', file, problems.map((e) => e.message).join('\n'));
  return doc;
}

export type ComposeFile = {
  name?: string;
  services: Record<string, ComposeService>;
  networks?: Record<string, unknown>;
  volumes?: Record<string, unknown>;
  [k: string]: unknown;
};
export type ComposeService = {
  image?: string;
  restart?: string;
  ports?: unknown[];
  expose?: unknown[];
  environment?: Record<string, unknown> | string[];
  env_file?: string | (string | { path: string })[];
  volumes?: (string | { type?: string; source?: string; target?: string; read_only?: boolean })[];
  healthcheck?: { test?: unknown; disable?: boolean; [k: string]: unknown };
  depends_on?: string[] | Record<string, { condition?: string; [k: string]: unknown }>;
  command?: unknown;
  deploy?: { replicas?: number; [k: string]: unknown };
  [k: string]: unknown;
};

/** docker-compose.yml of a generated folder, parsed strictly with merge keys resolved. */
export function loadCompose(dir: string): ComposeFile {
  const file = path.join(dir, COMPOSE_FILE);
  const doc = parseYamlStrict(readFileSync(file, 'utf8'), file);
  return doc.toJS({ maxAliasCount: -1 }) as ComposeFile;
}

/**
 * Keys that only Compose v2 understands; docker-compose 1.29 (the only Compose that runs here,
 * without a Docker daemon) rejects them. They are removed from the copy v1 checks; the full file is
 * checked against the compose-spec schema instead.
 */
function stripComposeV2Only(text: string, file: string): string {
  const doc = parseYamlStrict(text, file);
  if (isMap(doc.contents)) {
    doc.delete('name');
    doc.delete('include');
  }
  const keyOf = (n: unknown) => (isScalar(n) ? n.value : n);
  visit(doc, {
    Pair(_key, pair, ancestors) {
      const k = keyOf(pair.key);
      const underDependsOn = ancestors.some((a) => isPair(a) && keyOf(a.key) === 'depends_on');
      const underHealthcheck = ancestors.some((a) => isPair(a) && keyOf(a.key) === 'healthcheck');
      if (underHealthcheck && k === 'start_interval') return visit.REMOVE;
      if (underDependsOn && (k === 'restart' || k === 'required')) return visit.REMOVE;
      return undefined;
    },
  });
  return doc.toString({ lineWidth: 0 });
}

/**
 * `docker-compose config -q` (v1.29) on a copy without the v2-only keys, written next to the
 * original so `.env` and relative env_file/volume paths resolve as they will for `docker compose`.
 * Any output on stderr (an unset variable only warns) is a failure.
 */
export async function validateComposeV1(dir: string): Promise<void> {
  const file = path.join(dir, COMPOSE_FILE);
  const copy = path.join(dir, '.docker-compose.v1-check.yml');
  writeFileSync(copy, stripComposeV2Only(readFileSync(file, 'utf8'), file));
  try {
    const r = await runTool('docker-compose', ['-f', copy, '--project-directory', dir, 'config', '-q'], { cwd: dir });
    if (r.code !== 0 || r.stderr.trim() !== '' || r.stdout.trim() !== '') throw new ValidationError('docker-compose config -q', file, show(r));
  } finally {
    rmSync(copy, { force: true });
  }
}

let composeSchema: ValidateFunction | undefined;

/** The compose-spec JSON schema that dclint ships (not exported by the package: read the file). */
function composeSchemaValidator(): ValidateFunction {
  if (composeSchema) return composeSchema;
  const schema = JSON.parse(readFileSync(path.join(ROOT, 'node_modules/dclint/schemas/compose.schema.json'), 'utf8')) as { $schema?: string };
  // The schema is draft-07, so the default Ajv class (draft-07) is the right one. It names its
  // meta-schema "https://json-schema.org/draft-07/schema" (https, no "#"), which Ajv registers
  // under "http://json-schema.org/draft-07/schema#": register the same meta-schema under that name too.
  const ajv = new Ajv({ strict: false, allErrors: true });
  addFormats(ajv);
  const require = createRequire(import.meta.url);
  const draft07 = require('ajv/dist/refs/json-schema-draft-07.json') as Record<string, unknown>;
  if (schema.$schema && !ajv.getSchema(schema.$schema)) ajv.addMetaSchema({ ...draft07, $id: schema.$schema });
  composeSchema = ajv.compile(schema);
  return composeSchema;
}

/** The whole docker-compose.yml (v2 keys included) against the compose-spec schema. */
export function validateComposeSchema(dir: string): void {
  const file = path.join(dir, COMPOSE_FILE);
  const data = loadCompose(dir);
  const validate = composeSchemaValidator();
  if (!validate(data)) {
    const lines = (validate.errors ?? []).map((e) => `${e.instancePath || '/'} ${e.message}${e.params ? ` ${JSON.stringify(e.params)}` : ''}`);
    throw new ValidationError('compose-spec JSON schema (ajv)', file, lines.join('\n'));
  }
}

// ---------------------------------------------------------------------------------------------
// nginx

export interface BindMount {
  service: string;
  source: string;
  target: string;
  readOnly: boolean;
}

/** Bind mounts of every service (short and long syntax); named volumes are left out. */
export function bindMounts(compose: ComposeFile): BindMount[] {
  const out: BindMount[] = [];
  for (const [service, s] of Object.entries(compose.services ?? {})) {
    for (const v of s.volumes ?? []) {
      if (typeof v === 'string') {
        const [source = '', target = '', mode = ''] = v.split(':');
        if (/^[./~]/.test(source)) out.push({ service, source, target, readOnly: mode.split(',').includes('ro') });
      } else if (v.type === 'bind' && v.source && v.target) out.push({ service, source: v.source, target: v.target, readOnly: !!v.read_only });
    }
  }
  return out;
}

/** `server host:port ...` lines of every upstream block of an nginx.conf. */
export function nginxUpstreams(conf: string): { name: string; servers: { host: string; port: string; line: string }[] }[] {
  const out: { name: string; servers: { host: string; port: string; line: string }[] }[] = [];
  const noComments = conf.replace(/#[^\n]*/g, '');
  for (const m of noComments.matchAll(/\bupstream\s+(\S+)\s*\{([^}]*)\}/g)) {
    const servers = [...m[2]!.matchAll(/^\s*server\s+([^\s;]+)([^;]*);/gm)].map((s) => {
      const addr = s[1]!;
      const i = addr.lastIndexOf(':');
      return { host: i > 0 ? addr.slice(0, i) : addr, port: i > 0 ? addr.slice(i + 1) : '80', line: s[0]!.trim() };
    });
    out.push({ name: m[1]!, servers });
  }
  return out;
}

/**
 * `nginx -t` on a copy of nginx/nginx.conf, inside a private mount namespace whose /etc/hosts
 * lists every compose service (nginx resolves upstream names at start and fails on unknown ones).
 * The copy differs from the file in three ways only:
 * - ` resolve` is removed from upstream `server` lines: it needs nginx 1.27.3 (the generated stack
 *   runs 1.28), and the nginx on this machine is 1.22, which rejects the parameter;
 * - the load balancer's bind-mount targets (/etc/nginx/...) point at the folders on this machine,
 *   and the TLS folder at a temporary one holding a throwaway certificate and key: the copies of the
 *   person's files when the generator made them, else one from the generated
 *   scripts/tls-self-signed.sh, else one from openssl;
 * - a `user` directive is dropped (the image has that user; this machine need not).
 */
export async function validateNginx(dir: string, opts: { lbService?: string } = {}): Promise<void> {
  const confFile = path.join(dir, 'nginx/nginx.conf');
  const compose = loadCompose(dir);
  const services = Object.keys(compose.services ?? {});
  const lbService = opts.lbService ?? 'loadbalancer';
  const work = tempDir('bpd-nginx-');
  let conf = readFileSync(confFile, 'utf8');

  // nginx 1.22 lacks `resolve` on upstream servers (1.27.3+).
  conf = conf.replace(/^(\s*server\s+[^\s{;]+[^;\n]*?)\s+resolve(?=[\s;])/gm, '$1');
  conf = conf.replace(/^\s*user\s+[^;]+;/gm, '# user directive dropped for the check');

  // TLS: every certificate and key the config names goes into one temporary folder.
  const tlsRefs = [...conf.matchAll(/^\s*(ssl_certificate|ssl_certificate_key|ssl_trusted_certificate|ssl_client_certificate)\s+([^\s;]+)\s*;/gm)].map((m) => ({
    directive: m[1]!,
    file: m[2]!,
  }));
  const tlsDir = path.join(work, 'tls');
  if (tlsRefs.length > 0) {
    mkdirSync(tlsDir, { recursive: true });
    const mounts = bindMounts(compose).filter((b) => b.service === lbService);
    const hostOf = (containerPath: string) => {
      const m = mounts.find((b) => containerPath.startsWith(`${b.target.replace(/\/$/, '')}/`));
      return m ? path.join(path.resolve(dir, m.source), path.relative(m.target, containerPath)) : undefined;
    };
    const certRef = tlsRefs.find((r) => r.directive === 'ssl_certificate');
    const keyRef = tlsRefs.find((r) => r.directive === 'ssl_certificate_key');
    const fromMounts = tlsRefs.map((r) => hostOf(r.file));
    const selfSigned = path.join(dir, 'scripts/tls-self-signed.sh');
    if (fromMounts.every((p) => p && existsSync(p))) {
      tlsRefs.forEach((r, i) => copyFileSync(fromMounts[i]!, path.join(tlsDir, path.basename(r.file))));
    } else if (existsSync(selfSigned)) {
      const r = await runTool('sh', [selfSigned, tlsDir], { cwd: dir });
      if (r.code !== 0) throw new ValidationError('sh scripts/tls-self-signed.sh', selfSigned, show(r));
    } else if (certRef && keyRef) {
      const r = await runTool('openssl', [
        'req',
        '-x509',
        '-newkey',
        'rsa:2048',
        '-nodes',
        '-days',
        '2',
        '-subj',
        '/CN=localhost',
        '-keyout',
        path.join(tlsDir, path.basename(keyRef.file)),
        '-out',
        path.join(tlsDir, path.basename(certRef.file)),
      ]);
      if (r.code !== 0) throw new Error(`openssl could not make a throwaway certificate:\n${show(r)}`);
    }
    for (const r of tlsRefs) {
      const local = path.join(tlsDir, path.basename(r.file));
      if (!existsSync(local))
        throw new ValidationError(
          'nginx TLS setup',
          confFile,
          `${r.directive} ${r.file}: no such file could be provided (looked in the load balancer's mounts and scripts/tls-self-signed.sh)`,
        );
      conf = conf.split(r.file).join(local);
    }
  }
  // Other container paths of the load balancer's mounts (e.g. an include) point at this machine's folders.
  for (const b of bindMounts(compose).filter((m) => m.service === lbService)) {
    const target = b.target.replace(/\/$/, '');
    conf = conf.replace(new RegExp(`${target.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}/`, 'g'), `${path.resolve(dir, b.source)}/`);
  }

  const confCopy = path.join(work, 'nginx.conf');
  writeFileSync(confCopy, conf);
  const hosts = path.join(work, 'hosts');
  writeFileSync(hosts, ['127.0.0.1 localhost', '::1 localhost', ...services.map((s) => `127.0.0.1 ${s}`), ''].join('\n'));
  // nginx opens `/dev/stderr` and `/dev/stdout` (the log paths of the config) itself; through
  // /proc/self/fd that fails with ENXIO on the socket pairs Node uses for a child's stdio, so the
  // child's output goes to a real file instead, and the config keeps its own log paths.
  const output = path.join(work, 'nginx-t.out');
  const script = 'mount --bind "$1" /etc/hosts && exec nginx -t -q -c "$2" -p "$3" >"$4" 2>&1';
  const run = await runTool('unshare', ['--mount', '--propagation', 'private', 'sh', '-c', script, 'sh', hosts, confCopy, `${work}/`, output]);
  const r = { ...run, stderr: `${run.stderr}${existsSync(output) ? readFileSync(output, 'utf8') : ''}` };
  // -q prints only problems; a [warn] counts as one.
  if (r.code !== 0 || /\[(warn|error|crit|alert|emerg)\]/.test(r.stderr))
    throw new ValidationError('nginx -t (1.22, in unshare with a private /etc/hosts)', confFile, show(r));
}

// ---------------------------------------------------------------------------------------------
// Prometheus

/** `promtool check config` (which also checks the rule files it names) and `promtool check rules` on every rules file. */
export async function validatePrometheus(dir: string): Promise<void> {
  const config = path.join(dir, 'prometheus/prometheus.yml');
  const rulesDir = path.join(dir, 'prometheus/rules');
  const c = await runTool('promtool', ['check', 'config', config]);
  if (c.code !== 0) throw new ValidationError('promtool check config', config, show(c));
  const rules = existsSync(rulesDir)
    ? readdirSync(rulesDir)
        .filter((f) => /\.ya?ml$/.test(f))
        .map((f) => path.join(rulesDir, f))
    : [];
  if (rules.length === 0) throw new ValidationError('promtool check rules', rulesDir, 'no rules file');
  const r = await runTool('promtool', ['check', 'rules', ...rules]);
  if (r.code !== 0) throw new ValidationError('promtool check rules', rules.join(' '), show(r));
}

// ---------------------------------------------------------------------------------------------
// Makefile

export const MAKE_TARGETS = [
  'help',
  'start',
  'stop',
  'restart',
  'restart-all',
  'upgrade',
  'backup',
  'restore',
  'doctor',
  'rotate-secret',
  'delete',
  'status',
  'logs',
] as const;

/** Explicit rule targets of a Makefile (no special targets, no file targets). */
export function makeTargets(makefile: string): string[] {
  const out = new Set<string>();
  for (const m of makefile.matchAll(/^([A-Za-z][A-Za-z0-9_-]*)\s*:(?![:=])/gm)) out.add(m[1]!);
  return [...out];
}

/** `make -n TARGET` for the usual targets (and `certs` when the Makefile has it) and every other target it defines; stderr is a failure. */
export async function validateMake(dir: string): Promise<string[]> {
  const file = path.join(dir, 'Makefile');
  const defined = makeTargets(readFileSync(file, 'utf8'));
  const missing = MAKE_TARGETS.filter((t) => !defined.includes(t));
  if (missing.length > 0) throw new ValidationError('make', file, `missing targets: ${missing.join(', ')}`);
  const targets = [...new Set([...MAKE_TARGETS, ...defined])];
  const problems: string[] = [];
  await Promise.all(
    targets.map(async (t) => {
      // rotate-secret refuses, in make itself, a NAME that is not one of the secrets it takes.
      const r = await runTool('make', ['-n', t, ...(t === 'rotate-secret' ? ['NAME=BINDPLANE_SESSION_SECRET'] : [])], { cwd: dir });
      if (r.code !== 0 || r.stderr.trim() !== '') problems.push(`make -n ${t}:\n${show(r)}`);
    }),
  );
  if (problems.length > 0) throw new ValidationError('make -n', file, problems.join('\n'));
  return targets;
}

// ---------------------------------------------------------------------------------------------
// Shell and YAML

/** shellcheck on scripts/*.sh; returns the files checked (none is fine). */
export async function validateShell(dir: string): Promise<string[]> {
  const scripts = path.join(dir, 'scripts');
  const files = existsSync(scripts)
    ? readdirSync(scripts)
        .filter((f) => f.endsWith('.sh'))
        .map((f) => path.join(scripts, f))
    : [];
  if (files.length === 0) return [];
  const r = await runTool('shellcheck', ['--format=gcc', ...files]);
  if (r.code !== 0 || r.stdout.trim() !== '') throw new ValidationError('shellcheck', files.join(' '), show(r));
  return files;
}

/** Every *.yml / *.yaml below a folder, hidden folders left out. */
export function yamlFiles(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const name of readdirSync(d).sort()) {
      if (name.startsWith('.') || name === 'node_modules') continue;
      const p = path.join(d, name);
      if (statSync(p).isDirectory()) walk(p);
      else if (/\.ya?ml$/.test(name)) out.push(p);
    }
  };
  walk(dir);
  return out;
}

export const YAMLLINT_CONFIG = '{extends: relaxed, rules: {line-length: disable}}';

/** yamllint (relaxed, no line length) on every YAML file; warnings count too (`--strict`). Returns the files checked. */
export async function validateYamllint(dir: string): Promise<string[]> {
  const files = yamlFiles(dir);
  if (files.length === 0) throw new ValidationError('yamllint', dir, 'no YAML files');
  const r = await runTool('yamllint', ['--strict', '-f', 'parsable', '-d', YAMLLINT_CONFIG, ...files]);
  if (r.code !== 0) throw new ValidationError('yamllint (relaxed, line-length disabled)', files.map((f) => path.relative(dir, f)).join(' '), show(r));
  return files;
}

// ---------------------------------------------------------------------------------------------

/** Every validator on one folder; all run, and every failure is reported together. */
export async function validateAll(dir: string): Promise<void> {
  const checks: [string, () => unknown][] = [
    ['compose v1', () => validateComposeV1(dir)],
    ['compose schema', () => validateComposeSchema(dir)],
    ['nginx', () => validateNginx(dir)],
    ['prometheus', () => validatePrometheus(dir)],
    ['make', () => validateMake(dir)],
    ['shellcheck', () => validateShell(dir)],
    ['yamllint', () => validateYamllint(dir)],
  ];
  const results = await Promise.allSettled(checks.map(async ([, f]) => f()));
  const failures = results.flatMap((r, i) => (r.status === 'rejected' ? [`[${checks[i]![0]}] ${(r.reason as Error).message}`] : []));
  if (failures.length > 0) throw new Error(failures.join('\n\n'));
}
