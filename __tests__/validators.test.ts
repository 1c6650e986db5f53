// Static proof of the generated files: a matrix of stacks goes through the real validators
// (docker-compose, the compose-spec schema, nginx -t, promtool, make -n, shellcheck, yamllint), and
// through the cross-checks no tool does (nginx upstreams against compose services, Bindplane's
// variable names, image tags, published ports, healthchecks, start order, bind mounts, secrets).
// The last block proves the validators are not vacuous: broken copies must be rejected.
import { spawnSync } from 'node:child_process';
import { appendFileSync, cpSync, existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ANSWERS, type Answers } from '../src/answers/schema.js';
import { cleanupTempDirs, generateStack, tempDir } from './helpers/stack.js';
import {
  bindMounts,
  loadCompose,
  MAKE_TARGETS,
  nginxUpstreams,
  runTool,
  validateComposeSchema,
  validateComposeV1,
  validateMake,
  validateNginx,
  validatePrometheus,
  validateShell,
  validateAll,
  validateYamllint,
  type ComposeFile,
  type ComposeService,
} from './helpers/validators.js';

afterAll(cleanupTempDirs);

// ---------------------------------------------------------------------------------------------
// What Bindplane reads: the names of /work/shared/reference/bindplane.md's table (collected from the
// operator's source, the Helm chart and Bindplane's docs). A name outside this list is a typo
// Bindplane silently ignores (the reference deployment shipped BINDPLANE_SESSIONS_SECRET and
// BINDPLANE_LOG_OUTPUT that way).
const withPrefix = (prefix: string, suffixes: string[]) => suffixes.map((s) => `BINDPLANE_${prefix}${s}`);
const BINDPLANE_VARIABLES: ReadonlySet<string> = new Set([
  // core
  ...withPrefix('', ['REMOTE_URL', 'HOST', 'PORT', 'ACCEPT_EULA', 'LICENSE', 'MODE', 'LOGGING_OUTPUT']),
  // auth
  ...withPrefix('', ['USERNAME', 'PASSWORD', 'SESSION_SECRET', 'SECRET_KEY']),
  // store
  'BINDPLANE_STORE_TYPE',
  ...withPrefix('POSTGRES_', ['HOST', 'PORT', 'DATABASE', 'USERNAME', 'PASSWORD', 'SSL_MODE', 'MAX_CONNECTIONS']),
  // event bus
  'BINDPLANE_EVENT_BUS_TYPE',
  ...withPrefix('KAFKA_', [
    'BROKERS',
    'TOPIC',
    'PROTOCOL_VERSION',
    'AUTH_TYPE',
    'SASL_USERNAME',
    'SASL_PASSWORD',
    'SASL_MECHANISM',
    'ENABLE_TLS',
    'TLS_CA',
    'TLS_SKIP_VERIFY',
  ]),
  ...withPrefix('GOOGLE_PUB_SUB_', ['PROJECT_ID', 'TOPIC', 'CREDENTIALS_FILE', 'ENDPOINT', 'INSECURE']),
  ...withPrefix('NATS_SERVER_', [
    'ENABLE',
    'NAME',
    'CLIENT_HOST',
    'CLIENT_PORT',
    'HTTP_HOST',
    'HTTP_PORT',
    'CLUSTER_NAME',
    'CLUSTER_HOST',
    'CLUSTER_PORT',
    'CLUSTER_ROUTES',
  ]),
  ...withPrefix('NATS_CLIENT_', ['NAME', 'ENDPOINT', 'SUBJECT']),
  // Prometheus
  ...withPrefix('PROMETHEUS_', [
    'ENABLE',
    'ENABLE_REMOTE',
    'HOST',
    'PORT',
    'QUERY_PATH_PREFIX',
    'REMOTE_WRITE_HOST',
    'REMOTE_WRITE_PORT',
    'REMOTE_WRITE_ENDPOINT',
    'AUTH_TYPE',
    'AUTH_USERNAME',
    'AUTH_PASSWORD',
    'ENABLE_TLS',
  ]),
  // transform agents
  ...withPrefix('TRANSFORM_AGENT_', ['ENABLE_REMOTE', 'REMOTE_AGENTS']),
]);

const LB = 'loadbalancer';
const JOBS = 'bindplane-jobs';
const NODE = /^bindplane-(\d+)$/;

// ---------------------------------------------------------------------------------------------
// Small readers

/** KEY=VALUE lines of an env file (comments and blank lines skipped). */
function readEnvFile(file: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    if (/^\s*(#|$)/.test(line)) continue;
    const m = /^\s*([A-Za-z_][A-Za-z0-9_]*)=(.*)$/.exec(line);
    if (!m) throw new Error(`${file}: not a KEY=VALUE line: ${JSON.stringify(line)}`);
    out.set(m[1]!, m[2]!);
  }
  return out;
}

/** A service's environment as a map, whichever syntax it uses; values without `=` are null. */
function environmentOf(s: ComposeService): Map<string, string | null> {
  const env = s.environment;
  if (!env) return new Map();
  if (Array.isArray(env)) return new Map(env.map((e) => (e.includes('=') ? [e.slice(0, e.indexOf('=')), e.slice(e.indexOf('=') + 1)] : [e, null])));
  return new Map(Object.entries(env).map(([k, v]) => [k, v === null || v === undefined ? null : String(v)]));
}

function envFilesOf(s: ComposeService): string[] {
  const f = s.env_file;
  if (!f) return [];
  return (Array.isArray(f) ? f : [f]).map((e) => (typeof e === 'string' ? e : e.path));
}

/** Everything a Bindplane process of this service sees: its env_files, then its environment. */
function bindplaneSettings(dir: string, s: ComposeService): Map<string, string | null> {
  const out = new Map<string, string | null>();
  for (const f of envFilesOf(s)) for (const [k, v] of readEnvFile(path.resolve(dir, f))) out.set(k, v);
  for (const [k, v] of environmentOf(s)) out.set(k, v);
  return out;
}

const isOneShot = (s: ComposeService) => s.restart === 'no' || (s.restart as unknown) === false;
const networksOf = (s: ComposeService): string[] => {
  const n = s.networks as string[] | Record<string, unknown> | undefined;
  if (!n) return ['default'];
  return Array.isArray(n) ? n : Object.keys(n);
};
/** [network, alias] pairs a service answers to besides its name. */
const aliasesOf = (s: ComposeService): [string, string][] => {
  const n = s.networks as string[] | Record<string, { aliases?: string[] } | null> | undefined;
  if (!n || Array.isArray(n)) return [];
  return Object.entries(n).flatMap(([net, cfg]) => (cfg?.aliases ?? []).map((alias): [string, string] => [net, alias]));
};
const shareNetwork = (a: ComposeService, b: ComposeService) => networksOf(a).some((n) => networksOf(b).includes(n));

// ---------------------------------------------------------------------------------------------
// Cross-checks: each returns the problems it found (empty when all is well), so the breakage
// tests at the end can prove they find what they look for.

function checkUpstreams(dir: string, compose: ComposeFile, instances: number): string[] {
  const problems: string[] = [];
  const services = compose.services;
  const conf = readFileSync(path.join(dir, 'nginx/nginx.conf'), 'utf8');
  const upstreams = nginxUpstreams(conf);
  if (upstreams.length === 0) problems.push('nginx.conf has no upstream block');
  const upstreamHosts = upstreams.flatMap((u) => u.servers.map((s) => s.host));
  for (const u of upstreams)
    for (const s of u.servers) {
      if (!services[s.host]) problems.push(`nginx upstream ${u.name}: "${s.line}" names ${s.host}, which is not a compose service`);
      else if (s.port !== '3001') problems.push(`nginx upstream ${u.name}: "${s.line}" does not use Bindplane's port 3001`);
      else if (services[LB] && !shareNetwork(services[LB], services[s.host]!)) problems.push(`${LB} shares no network with upstream ${s.host}`);
    }
  const nodes = Object.keys(services).filter((n) => NODE.test(n));
  const expected = Array.from({ length: instances }, (_, i) => `bindplane-${i + 1}`);
  if ([...nodes].sort().join() !== [...expected].sort().join())
    problems.push(`node services are [${nodes.join(', ')}], expected bindplane-1..bindplane-${instances}`);
  if ([...new Set(upstreamHosts)].sort().join() !== [...expected].sort().join())
    problems.push(`nginx upstream servers are [${upstreamHosts.join(', ')}], expected exactly bindplane-1..bindplane-${instances}`);
  if (upstreamHosts.length !== new Set(upstreamHosts).size) problems.push('an nginx upstream lists a server twice');
  const jobs = Object.keys(services).filter((n) => n.startsWith('bindplane-') && !NODE.test(n));
  if (jobs.join() !== JOBS) problems.push(`expected exactly one ${JOBS} besides the nodes, found [${jobs.join(', ')}]`);
  if (upstreamHosts.includes(JOBS)) problems.push(`${JOBS} is behind the load balancer`);
  // Roles: nodes run BINDPLANE_MODE=node, the jobs instance does not.
  for (const n of nodes) {
    const mode = bindplaneSettings(dir, services[n]!).get('BINDPLANE_MODE');
    if (mode !== 'node') problems.push(`${n}: BINDPLANE_MODE is ${mode ?? 'unset'}, expected node`);
  }
  const jobsMode = services[JOBS] ? bindplaneSettings(dir, services[JOBS]).get('BINDPLANE_MODE') : undefined;
  if (services[JOBS] && (!jobsMode || jobsMode.split(',').includes('node'))) problems.push(`${JOBS}: BINDPLANE_MODE is ${jobsMode ?? 'unset'}, expected all`);
  // The load balancer listens where it publishes.
  const listens = [...conf.replace(/#[^\n]*/g, '').matchAll(/^\s*listen\s+([^\s;]+)/gm)].map((m) => m[1]!);
  for (const p of services[LB]?.ports ?? []) {
    const container = String(p).split(':').pop()!.split('/')[0]!;
    if (!listens.some((l) => l === container || l.endsWith(`:${container}`)))
      problems.push(`${LB} publishes container port ${container}, but nginx listens on [${listens.join(', ')}]`);
  }
  return problems;
}

function checkBindplaneVariables(dir: string, compose: ComposeFile): string[] {
  const problems: string[] = [];
  const seen = new Set<string>();
  const check = (where: string, name: string) => {
    if (name.startsWith('BINDPLANE_') && !BINDPLANE_VARIABLES.has(name)) problems.push(`${where}: ${name} is not a variable Bindplane reads`);
  };
  for (const f of ['bindplane/bindplane.env', ...Object.values(compose.services).flatMap(envFilesOf)]) {
    const file = path.resolve(dir, f);
    if (seen.has(file)) continue;
    seen.add(file);
    if (!existsSync(file)) {
      problems.push(`${f}: missing`);
      continue;
    }
    for (const k of readEnvFile(file).keys()) check(path.relative(dir, file), k);
  }
  for (const [name, s] of Object.entries(compose.services))
    for (const k of environmentOf(s).keys()) check(`docker-compose.yml services.${name}.environment`, k);
  return problems;
}

function checkImages(compose: ComposeFile): string[] {
  const problems: string[] = [];
  for (const [name, s] of Object.entries(compose.services)) {
    if (!s.image) {
      problems.push(`${name}: no image`);
      continue;
    }
    if (s.image.includes('@sha256:')) continue;
    const last = s.image.slice(s.image.lastIndexOf('/') + 1);
    const tag = last.includes(':') ? last.slice(last.indexOf(':') + 1) : '';
    if (!tag) problems.push(`${name}: image ${s.image} has no tag`);
    else if (tag === 'latest' || /\$\{/.test(tag)) problems.push(`${name}: image ${s.image} is not pinned`);
  }
  return problems;
}

function checkPorts(compose: ComposeFile): string[] {
  return Object.entries(compose.services).flatMap(([name, s]) => {
    const out: string[] = [];
    if (name !== LB && (s.ports ?? []).length > 0) out.push(`${name} publishes ports ${JSON.stringify(s.ports)}: only ${LB} may`);
    if (s.network_mode === 'host') out.push(`${name} uses the host's network`);
    return out;
  });
}

/** The compose conventions: a project name and no obsolete version, restarts, bounded logs, named data volumes, marked guesses. */
function checkConventions(dir: string, compose: ComposeFile): string[] {
  const out: string[] = [];
  const text = readFileSync(path.join(dir, 'docker-compose.yml'), 'utf8');
  if (!compose.name) out.push('no top-level name');
  if ('version' in compose) out.push('an obsolete top-level version');
  for (const [name, s] of Object.entries(compose.services)) {
    if (!isOneShot(s) && s.restart !== 'unless-stopped') out.push(`${name}: restart is ${JSON.stringify(s.restart)}, not unless-stopped`);
    const logging = s.logging as { driver?: string; options?: Record<string, string> } | undefined;
    if (logging?.driver !== 'json-file' || !logging.options?.['max-size'] || !logging.options?.['max-file']) out.push(`${name}: log files are not bounded`);
  }
  const dataMounts: Record<string, string> = { postgres: '/var/lib/postgresql', prometheus: '/prometheus', kafka: '/var/lib/kafka/data' };
  for (const [name, s] of Object.entries(compose.services)) {
    const kind = name.replace(/-\d+$/, '');
    if (!(kind in dataMounts)) continue;
    const mount = (s.volumes ?? []).map(String).find((v) => v.split(':')[1]?.startsWith(dataMounts[kind]!));
    if (!mount || /^[./]/.test(mount)) out.push(`${name}: its data is not on a named volume (${mount ?? 'no mount'})`);
    else if (!(mount.split(':')[0]! in (compose.volumes ?? {}))) out.push(`${name}: volume ${mount.split(':')[0]} is not declared`);
  }
  // A healthcheck that guesses what an image holds says so in a comment just above it.
  const lines = text.split('\n');
  lines.forEach((line, i) => {
    // Prometheus and nginx images are busybox-based and have wget (observIQ's examples use it too).
    if (/^\s+test: .*(curl|wget|kill -0)/.test(line) && !/(\/-\/healthy|nginx-health)/.test(line)) {
      const above = lines.slice(Math.max(0, i - 3), i).join('\n');
      if (!/# Unverified/.test(above)) out.push(`line ${i + 1}: a guessed healthcheck without an "Unverified" comment`);
    }
  });
  return out;
}

/** No default credentials: every password, secret and key in the compose file comes from .env, required. */
function checkCredentials(compose: ComposeFile): string[] {
  return Object.entries(compose.services).flatMap(([name, s]) =>
    [...environmentOf(s)]
      .filter(([k]) => /PASSWORD|SECRET|_KEY$|CLUSTER_ID/.test(k))
      // The demo agents' key is the project's, which make start writes to .env before it starts them.
      .filter(([k, v]) => !(k === 'OPAMP_SECRET_KEY' && v === '${PROJECT_SECRET_KEY:-}'))
      .filter(([, v]) => !/^\$\{[A-Z_]+:\?[^}]+\}$/.test(v ?? ''))
      .map(([k, v]) => `${name}: ${k} is ${JSON.stringify(v)}, not a required reference to .env`),
  );
}

/** The load balancer's settings that no tool checks: passive health, long timeouts, websockets everywhere. */
function checkNginxSettings(dir: string): string[] {
  const conf = readFileSync(path.join(dir, 'nginx/nginx.conf'), 'utf8');
  const out: string[] = [];
  for (const u of nginxUpstreams(conf))
    for (const srv of u.servers)
      if (!/max_fails=\d+/.test(srv.line) || !/fail_timeout=\d+s/.test(srv.line)) out.push(`upstream server ${srv.host} has no max_fails/fail_timeout`);
  const timeout = /proxy_read_timeout (\d+)s;/.exec(conf);
  if (!timeout || Number(timeout[1]) < 3600) out.push(`proxy_read_timeout is ${timeout?.[1] ?? 'unset'}, under an hour`);
  if (!/map \$http_upgrade \$connection_upgrade/.test(conf)) out.push('no map on $http_upgrade');
  if (!/proxy_set_header Upgrade \$http_upgrade;/.test(conf) || !/proxy_set_header Connection \$connection_upgrade;/.test(conf))
    out.push('no Upgrade/Connection headers');
  // A location that sets any header of its own stops inheriting the server's, websocket ones included.
  for (const m of conf.matchAll(/location [^{]+\{([^}]*)\}/g))
    if (/proxy_set_header/.test(m[1]!)) out.push('a location sets its own headers and loses the websocket ones');
  if (!/server_tokens off;/.test(conf)) out.push('nginx shows its version');
  return out;
}

/** Data services (PostgreSQL, Prometheus, Kafka, the emulator, transform agents) sit only on internal networks. */
function checkInternalOnly(compose: ComposeFile): string[] {
  const internal = new Set(
    Object.entries(compose.networks ?? {})
      .filter(([, n]) => (n as { internal?: boolean } | null)?.internal === true)
      .map(([k]) => k),
  );
  const data = /^(postgres|prometheus|kafka-\d+|pubsub-emulator|pubsub-topic|transform-agent-\d+)$/;
  return Object.entries(compose.services)
    .filter(([name]) => data.test(name))
    .flatMap(([name, s]) => {
      const nets = networksOf(s);
      return nets.length > 0 && nets.every((n) => internal.has(n)) ? [] : [`${name} is on ${JSON.stringify(nets)}, not only on internal networks`];
    });
}

function checkHealthchecks(compose: ComposeFile): string[] {
  return Object.entries(compose.services).flatMap(([name, s]) => {
    if (isOneShot(s)) return [];
    const h = s.healthcheck;
    if (!h || h.disable || !h.test || (Array.isArray(h.test) && h.test[0] === 'NONE'))
      return [`${name} has no healthcheck (and is not a one-shot restart: "no" service)`];
    return [];
  });
}

function checkDependsOn(compose: ComposeFile): string[] {
  const problems: string[] = [];
  for (const [name, s] of Object.entries(compose.services)) {
    const d = s.depends_on;
    if (!d) continue;
    if (Array.isArray(d)) {
      problems.push(`${name}: depends_on is a list (no condition): [${d.join(', ')}]`);
      continue;
    }
    for (const [dep, spec] of Object.entries(d)) {
      const target = compose.services[dep];
      if (!spec?.condition) problems.push(`${name}: depends_on ${dep} has no condition`);
      else if (!target) problems.push(`${name}: depends_on ${dep}, which is not a service`);
      else if (spec.condition === 'service_healthy' && (!target.healthcheck || isOneShot(target)))
        problems.push(`${name}: waits for ${dep} to be healthy, but ${dep} has no healthcheck`);
      else if (spec.condition === 'service_completed_successfully' && !isOneShot(target))
        problems.push(`${name}: waits for ${dep} to complete, but ${dep} restarts`);
      else if (spec.condition === 'service_started') problems.push(`${name}: depends_on ${dep} with service_started (no readiness)`);
      if (target && !shareNetwork(s, target)) problems.push(`${name}: depends on ${dep} but shares no network with it`);
    }
  }
  return problems;
}

/**
 * Bind mounts: relative to the repository, and folders (a single-file bind mount pins the inode, so
 * an editor's save or a regeneration is not seen, and a missing source becomes a root-owned folder).
 * A missing source is allowed only when a Makefile rule that `start` needs creates it (`make certs`).
 */
function checkBindMounts(dir: string, compose: ComposeFile, madeByMake: string[] = []): string[] {
  const problems: string[] = [];
  for (const b of bindMounts(compose)) {
    const where = `${b.service}: ${b.source}:${b.target}`;
    if (!b.source.startsWith('./')) problems.push(`${where}: source is not inside the repository`);
    const host = path.resolve(dir, b.source);
    if (!existsSync(host)) {
      if (!madeByMake.includes(path.relative(dir, host))) problems.push(`${where}: source does not exist`);
    } else if (!statSync(host).isDirectory()) problems.push(`${where}: source is a single file, not a folder`);
    if (!b.readOnly) problems.push(`${where}: not read-only`);
  }
  return problems;
}

const SECRET_CHARS = /^[^$#'"\s\\`]+$/;

function checkSecrets(dir: string, expectedKeys: string[]): string[] {
  const problems: string[] = [];
  const file = path.join(dir, '.env');
  const mode = statSync(file).mode & 0o777;
  if (mode !== 0o600) problems.push(`.env has mode ${mode.toString(8)}, expected 600`);
  const env = readEnvFile(file);
  for (const k of expectedKeys) if (!env.get(k)) problems.push(`.env lacks ${k}`);
  const values = new Map<string, string>();
  for (const [k, v] of env) {
    if (k === 'BINDPLANE_LICENSE') continue;
    if (!SECRET_CHARS.test(v)) problems.push(`.env ${k} contains one of $ # ' " \\ \` or white space`);
    if (v.length < 16) problems.push(`.env ${k} is only ${v.length} characters long`);
    if (values.has(v)) problems.push(`.env ${k} has the same value as ${values.get(v)}`);
    values.set(v, k);
  }
  // KRaft refuses a cluster ID that is not a base64url-encoded UUID (22 characters).
  const cid = env.get('KAFKA_CLUSTER_ID');
  if (cid !== undefined && !/^[A-Za-z0-9_-]{22}$/.test(cid)) problems.push(`.env KAFKA_CLUSTER_ID ${JSON.stringify(cid)} is not a 22-character base64url UUID`);
  return problems;
}

/** With git itself: .env and local copies are ignored, everything the repository needs is not. */
function checkGitignore(dir: string, ignored: string[], tracked: string[]): string[] {
  const work = path.join(tempDir('bpd-git-'), 'repo');
  cpSync(dir, work, { recursive: true });
  const git = (...args: string[]) =>
    spawnSync('git', args, { cwd: work, encoding: 'utf8', env: { PATH: process.env.PATH, HOME: work, GIT_CONFIG_NOSYSTEM: '1' } });
  const init = git('init', '-q');
  if (init.status !== 0) return [`git init failed: ${init.stderr}`];
  const problems: string[] = [];
  for (const f of ignored) if (git('check-ignore', '-q', '--no-index', f).status !== 0) problems.push(`.gitignore does not ignore ${f}`);
  for (const f of tracked)
    if (git('check-ignore', '-q', '--no-index', f).status === 0) problems.push(`.gitignore ignores ${f}, which belongs in the repository`);
  return problems;
}

/** Host names in Bindplane's settings that must be compose services reachable from Bindplane. */
function checkAddresses(dir: string, compose: ComposeFile): string[] {
  const problems: string[] = [];
  const local = new Set(['0.0.0.0', '127.0.0.1', 'localhost', '::']);
  for (const [name, s] of Object.entries(compose.services)) {
    if (!name.startsWith('bindplane-')) continue;
    const settings = bindplaneSettings(dir, s);
    for (const [k, v] of settings) {
      if (!v || !/(_HOST|_BROKERS|_REMOTE_AGENTS|_ROUTES|_ENDPOINT)$/.test(k) || k === 'BINDPLANE_REMOTE_URL' || k.endsWith('_WRITE_ENDPOINT')) continue;
      for (const item of v.split(',')) {
        const host = item.replace(/^[a-z]+:\/\//, '').replace(/[:/].*$/, '');
        if (local.has(host)) continue;
        const target = compose.services[host];
        // A network alias (the NATS servers' shared name) counts when a service carries it on a network this one is on.
        const aliased = Object.values(compose.services).filter((t) => aliasesOf(t).some(([net, alias]) => alias === host && networksOf(s).includes(net)));
        if (!target && aliased.length === 0) problems.push(`${name}: ${k}=${v} names ${host}, which is not a compose service or a network alias`);
        else if (target && !shareNetwork(s, target)) problems.push(`${name}: ${k} names ${host}, which shares no network with it`);
      }
    }
  }
  return problems;
}

/**
 * KRaft settings of the Kafka brokers, by the rules Kafka applies at start and the ones clients
 * need: every node in the controller quorum has the controller role (Kafka refuses to start a
 * voter without it, and with no controller the cluster never forms), the controller listener is
 * one the node listens on and never advertised, voters name each node by its service name and
 * controller port, and each broker advertises its own service name (a client given `localhost`
 * dials itself), which is where Bindplane's BINDPLANE_KAFKA_BROKERS point.
 */
function checkKafka(dir: string, compose: ComposeFile): string[] {
  const problems: string[] = [];
  const brokers = Object.entries(compose.services).filter(([name]) => /^kafka-\d+$/.test(name));
  const listenerPort = (list: string, name: string) => new RegExp(`(?:^|,)${name}://[^:,]*:(\\d+)`).exec(list)?.[1];
  const advertised = new Set<string>();
  for (const [name, s] of brokers) {
    const env = environmentOf(s);
    const get = (k: string) => env.get(k) ?? '';
    const id = get('KAFKA_NODE_ID');
    const roles = get('KAFKA_PROCESS_ROLES')
      .split(',')
      .map((r) => r.trim());
    const controllerName = get('KAFKA_CONTROLLER_LISTENER_NAMES');
    const voters = get('KAFKA_CONTROLLER_QUORUM_VOTERS')
      .split(',')
      .map((v) => /^(\d+)@([^:]+):(\d+)$/.exec(v.trim()));
    if (voters.some((v) => !v)) problems.push(`${name}: KAFKA_CONTROLLER_QUORUM_VOTERS is not a list of id@host:port`);
    const mine = voters.find((v) => v?.[1] === id);
    if (!roles.includes('broker')) problems.push(`${name}: KAFKA_PROCESS_ROLES ${roles.join(',')} lacks broker: Bindplane has no broker to talk to`);
    if (mine && !roles.includes('controller'))
      problems.push(`${name}: node ${id} is a quorum voter, but KAFKA_PROCESS_ROLES ${roles.join(',')} lacks controller`);
    if (!mine && roles.includes('controller')) problems.push(`${name}: a controller that is not among the quorum voters`);
    const controllerPort = listenerPort(get('KAFKA_LISTENERS'), controllerName);
    if (roles.includes('controller') && !controllerPort) problems.push(`${name}: no ${controllerName || 'controller'} listener in KAFKA_LISTENERS`);
    if (mine && (mine[2] !== name || mine[3] !== controllerPort))
      problems.push(`${name}: the quorum names node ${id} as ${mine[2]}:${mine[3]}, not ${name}:${controllerPort}`);
    for (const entry of get('KAFKA_ADVERTISED_LISTENERS').split(',')) {
      const m = /^([A-Z_]+):\/\/([^:]*):(\d+)$/.exec(entry.trim());
      if (!m) problems.push(`${name}: advertised listener ${JSON.stringify(entry)} is not NAME://host:port`);
      else if (m[1] === controllerName) problems.push(`${name}: advertises its controller listener`);
      else if (m[2] !== name) problems.push(`${name}: advertises ${m[2]}:${m[3]}; clients in other containers reach it only as ${name}`);
      else if (listenerPort(get('KAFKA_LISTENERS'), m[1]!) !== m[3]) problems.push(`${name}: advertises port ${m[3]}, which its ${m[1]} listener does not use`);
      else advertised.add(`${m[2]}:${m[3]}`);
    }
  }
  for (const [name, s] of Object.entries(compose.services)) {
    const list = bindplaneSettings(dir, s).get('BINDPLANE_KAFKA_BROKERS');
    if (!list) continue;
    for (const b of list.split(',')) if (!advertised.has(b)) problems.push(`${name}: BINDPLANE_KAFKA_BROKERS names ${b}, which no broker advertises`);
  }
  return problems;
}

// ---------------------------------------------------------------------------------------------
// The matrix

interface Inputs {
  certFile: string;
  keyFile: string;
  credentialsFile: string;
  credentials: string;
}

interface Variant {
  id: string;
  answers: (i: Inputs) => Partial<Answers>;
}

const VARIANTS: Variant[] = [
  { id: 'defaults', answers: () => ({}) },
  {
    id: 'kafka, 1 broker, 1 instance, no TLS, no extras',
    answers: () => ({ eventBus: 'kafka', kafkaBrokers: 1, instances: 1, tls: 'none', transformAgents: 0, demoAgents: 0 }),
  },
  {
    id: 'kafka, 3 brokers, 7 instances, self-signed TLS, 3 transform agents, 2 demo agents',
    answers: () => ({ eventBus: 'kafka', kafkaBrokers: 3, instances: 7, tls: 'selfSigned', transformAgents: 3, demoAgents: 2, projectName: 'bp_kafka3' }),
  },
  {
    id: 'nats, 64 instances, provided TLS, 16 transform agents, 5 demo agents',
    answers: (i) => ({
      eventBus: 'nats',
      instances: 64,
      tls: 'provided',
      tlsCertFile: i.certFile,
      tlsKeyFile: i.keyFile,
      transformAgents: 16,
      demoAgents: 5,
      httpPort: 443,
      remoteUrl: 'https://bindplane.example.com',
      postgresVersion: '18',
      imageRegistry: 'observiq',
    }),
  },
  {
    id: 'nats, 1 instance, no TLS, port 8081, 1 demo agent',
    answers: () => ({ eventBus: 'nats', instances: 1, tls: 'none', transformAgents: 0, demoAgents: 1, httpPort: 8081 }),
  },
  {
    id: 'pubsub emulator, 3 instances, self-signed TLS for an IP address URL, 1 transform agent',
    answers: () => ({
      eventBus: 'pubsub',
      pubsubProjectId: 'bindplane-demo',
      instances: 3,
      tls: 'selfSigned',
      transformAgents: 1,
      demoAgents: 0,
      remoteUrl: 'https://10.1.2.3:8443',
      httpPort: 8443,
      adminUsername: 'ops@example.com',
      projectName: 'my_proj',
      postgresVersion: '14',
    }),
  },
  {
    id: 'pubsub with credentials, 7 instances, provided TLS, 2 transform agents, 3 demo agents',
    answers: (i) => ({
      eventBus: 'pubsub',
      pubsubProjectId: 'my-project-123',
      pubsubTopic: 'bp-events',
      pubsubCredentialsFile: i.credentialsFile,
      instances: 7,
      tls: 'provided',
      tlsCertFile: i.certFile,
      tlsKeyFile: i.keyFile,
      transformAgents: 2,
      demoAgents: 3,
    }),
  },
];

/** The answers a stack was made from: given ones over the schema's fixed defaults. */
function resolved(given: Partial<Answers>): Answers {
  const out: Record<string, unknown> = {};
  for (const spec of ANSWERS) if (spec.default !== undefined && typeof spec.default !== 'function') out[spec.name] = spec.default;
  return { ...out, ...given } as Answers;
}

let inputs: Inputs;

beforeAll(async () => {
  const work = tempDir('bpd-inputs-');
  const certFile = path.join(work, 'person', 'server.pem');
  const keyFile = path.join(work, 'person', 'server-key.pem');
  mkdirSync(path.dirname(certFile));
  const r = await runTool('openssl', [
    'req',
    '-x509',
    '-newkey',
    'ec',
    '-pkeyopt',
    'ec_paramgen_curve:prime256v1',
    '-nodes',
    '-days',
    '30',
    '-subj',
    '/CN=bindplane.example.com',
    '-addext',
    'subjectAltName=DNS:bindplane.example.com',
    '-keyout',
    keyFile,
    '-out',
    certFile,
  ]);
  if (r.code !== 0) throw new Error(`openssl: ${r.stderr}`);
  const credentialsFile = path.join(work, 'person', 'service-account.json');
  const credentials = JSON.stringify(
    {
      type: 'service_account',
      project_id: 'my-project-123',
      private_key_id: '0123456789abcdef',
      private_key: '-----BEGIN PRIVATE KEY-----\nMIIE\n-----END PRIVATE KEY-----\n',
      client_email: 'bindplane@my-project-123.iam.gserviceaccount.com',
      client_id: '1234567890',
      token_uri: 'https://oauth2.googleapis.com/token',
    },
    null,
    2,
  );
  writeFileSync(credentialsFile, credentials);
  inputs = { certFile, keyFile, credentialsFile, credentials };
});

for (const variant of VARIANTS) {
  describe.concurrent(variant.id, () => {
    let dir: string;
    let a: Answers;
    let compose: ComposeFile;

    beforeAll(async () => {
      const given = variant.answers(inputs);
      a = resolved(given);
      dir = await generateStack(given);
      compose = loadCompose(dir);
    });

    it('docker-compose config accepts docker-compose.yml (v1.29, v2-only keys stripped)', async () => {
      await validateComposeV1(dir);
    });

    it('docker-compose.yml matches the compose-spec JSON schema', () => {
      validateComposeSchema(dir);
    });

    it('nginx -t accepts nginx/nginx.conf', async () => {
      await validateNginx(dir);
    });

    it('promtool accepts the Prometheus config and rules', async () => {
      await validatePrometheus(dir);
    });

    it('make -n runs every target', async ({ expect }) => {
      const targets = await validateMake(dir);
      expect(targets).toEqual(expect.arrayContaining([...MAKE_TARGETS, ...(a.tls === 'none' ? [] : ['certs'])]));
      // Only the targets that start Bindplane may want the license (the reference Makefile demanded it for stop and delete).
      for (const t of ['stop', 'delete', 'status', 'logs', 'backup', 'doctor']) {
        const r = await runTool('make', ['-n', t], { cwd: dir });
        expect(r.stdout, `make -n ${t}`).not.toMatch(/BINDPLANE_LICENSE/);
      }
      const help = await runTool('make', ['help'], { cwd: dir });
      expect(help.code).toBe(0);
      for (const t of ['start', 'stop', 'restart', 'restart-all', 'upgrade', 'backup', 'restore', 'doctor', 'rotate-secret', 'delete', 'status', 'logs'])
        expect(help.stdout, 'make help lists it').toMatch(new RegExp(`^\\s+${t}\\s`, 'm'));
    });

    it('shellcheck accepts the scripts; yamllint the YAML files', async ({ expect }) => {
      const scripts = await validateShell(dir);
      const expected = [
        ...((a.demoAgents ?? 0) > 0 ? ['scripts/enroll-agent.sh'] : []),
        'scripts/first-start.sh',
        'scripts/stack.sh',
        ...(a.tls === 'selfSigned' ? ['scripts/tls-self-signed.sh'] : []),
      ];
      expect(scripts.map((f) => path.relative(dir, f))).toEqual(expected);
      const yamls = await validateYamllint(dir);
      expect(yamls.map((f) => path.relative(dir, f))).toEqual(
        expect.arrayContaining(['docker-compose.yml', 'prometheus/prometheus.yml', 'prometheus/rules/bindplane.yml']),
      );
    });

    it('nginx upstreams are exactly the node services; one jobs instance outside them', ({ expect }) => {
      expect(checkUpstreams(dir, compose, a.instances)).toEqual([]);
    });

    it('every BINDPLANE_* name is one Bindplane reads; addresses name reachable services', ({ expect }) => {
      expect(checkBindplaneVariables(dir, compose)).toEqual([]);
      expect(checkAddresses(dir, compose)).toEqual([]);
      const jobs = bindplaneSettings(dir, compose.services[JOBS]!);
      const busType = { kafka: 'kafka', nats: 'nats', pubsub: 'googlePubSub' }[a.eventBus];
      expect(jobs.get('BINDPLANE_EVENT_BUS_TYPE')).toBe(busType);
      expect(jobs.get('BINDPLANE_REMOTE_URL')).toBe(a.remoteUrl ?? `${a.tls === 'none' ? 'http' : 'https'}://localhost:${a.httpPort}`);
      const agents = jobs.get('BINDPLANE_TRANSFORM_AGENT_REMOTE_AGENTS');
      expect(agents ? agents.split(',').length : 0).toBe(a.transformAgents);
      if (a.eventBus === 'kafka') expect(jobs.get('BINDPLANE_KAFKA_BROKERS')!.split(',')).toHaveLength(a.kafkaBrokers);
      expect(checkKafka(dir, compose)).toEqual([]);
    });

    it('images are pinned; only the load balancer publishes a port', ({ expect }) => {
      expect(checkImages(compose)).toEqual([]);
      expect(checkPorts(compose)).toEqual([]);
      expect(checkInternalOnly(compose)).toEqual([]);
      expect(checkConventions(dir, compose)).toEqual([]);
      expect(checkCredentials(compose)).toEqual([]);
      expect(checkNginxSettings(dir)).toEqual([]);
      // On the bind address (127.0.0.1 for a new stack); 0.0.0.0, every interface, is written as stacks always had it.
      const host = a.bindAddress === '0.0.0.0' ? '' : `${a.bindAddress}:`;
      expect(compose.services[LB]?.ports?.map(String)).toEqual([`${host}${a.httpPort}:${a.httpPort}`]);
      expect(a.bindAddress).toBe('127.0.0.1');
    });

    it('every long-running service has a healthcheck; every depends_on has a condition', ({ expect }) => {
      expect(checkHealthchecks(compose)).toEqual([]);
      expect(checkDependsOn(compose)).toEqual([]);
      const kinds = Object.keys(compose.services);
      expect(kinds.filter((n) => n.startsWith('transform-agent-'))).toHaveLength(a.transformAgents);
      expect(kinds.filter((n) => n.startsWith('kafka-'))).toHaveLength(a.eventBus === 'kafka' ? a.kafkaBrokers : 0);
      const demo = Object.values(compose.services).filter((s) => s.image?.includes('bindplane-agent'));
      expect(demo.reduce((n, s) => n + (s.deploy?.replicas ?? 1), 0)).toBe(a.demoAgents);
      for (const s of demo) expect(environmentOf(s).get('OPAMP_ENDPOINT')).toBe(`${a.tls === 'none' ? 'ws' : 'wss'}://${LB}:${a.httpPort}/v1/opamp`);
    });

    it('bind mounts are read-only folders inside the repository', ({ expect }) => {
      const certsDir = a.tls === 'selfSigned' ? ['local/tls'] : [];
      expect(checkBindMounts(dir, compose, certsDir)).toEqual([]);
      if (a.eventBus === 'pubsub' && a.pubsubCredentialsFile) {
        // The credentials file Bindplane is told about is inside a mount and holds the person's JSON.
        const settings = bindplaneSettings(dir, compose.services[JOBS]!);
        const inContainer = settings.get('BINDPLANE_GOOGLE_PUB_SUB_CREDENTIALS_FILE')!;
        for (const name of Object.keys(compose.services).filter((n) => n.startsWith('bindplane-'))) {
          const m = bindMounts(compose).find((b) => b.service === name && inContainer.startsWith(`${b.target}/`));
          expect(m, `${name} mounts the folder of ${inContainer}`).toBeDefined();
          expect(readFileSync(path.join(dir, m!.source, path.relative(m!.target, inContainer)), 'utf8')).toBe(inputs.credentials);
        }
      }
    });

    it('.env is 0600, git-ignored, and its secrets are distinct and shell-safe', ({ expect }) => {
      const keys = ['BINDPLANE_PASSWORD', 'BINDPLANE_SESSION_SECRET', 'POSTGRES_PASSWORD', ...(a.eventBus === 'kafka' ? ['KAFKA_CLUSTER_ID'] : [])];
      expect(checkSecrets(dir, keys)).toEqual([]);
      const copies = [
        ...(a.tls === 'provided' ? ['local/tls/tls.crt', 'local/tls/tls.key'] : []),
        ...(a.pubsubCredentialsFile ? ['local/pubsub/credentials.json'] : []),
      ];
      for (const f of copies) expect(existsSync(path.join(dir, f)), `${f} was copied`).toBe(true);
      const tracked = [
        'docker-compose.yml',
        'bindplane/bindplane.env',
        'nginx/nginx.conf',
        'prometheus/prometheus.yml',
        'prometheus/rules/bindplane.yml',
        'Makefile',
        'README.md',
        '.gitignore',
        '.yo-rc.json',
      ];
      if (a.tls === 'selfSigned') tracked.push('scripts/tls-self-signed.sh');
      const bookkeeping = ['.bindplane-distributed/txn/journal.json', '.bindplane-distributed/txn/stage/1', '.bindplane-distributed/lock'];
      expect(
        checkGitignore(
          dir,
          ['.env', 'local/tls/tls.key', ...copies, ...bookkeeping],
          [...tracked, '.bindplane-distributed/record.json', '.bindplane-distributed/base.txt'],
        ),
      ).toEqual([]);
    });

    if (variant.answers({} as Inputs).tls === 'selfSigned') {
      it('make certs makes a key and certificate nginx accepts, in the folder the load balancer mounts', async ({ expect }) => {
        const copy = path.join(tempDir('bpd-certs-'), 'stack');
        cpSync(dir, copy, { recursive: true });
        const r = await runTool('make', ['certs'], { cwd: copy });
        expect(r.code, r.stderr).toBe(0);
        expect(statSync(path.join(copy, 'local/tls/tls.key')).mode & 0o077, 'the key is private').toBe(0);
        const x509 = await runTool('openssl', ['x509', '-in', path.join(copy, 'local/tls/tls.crt'), '-noout', '-ext', 'subjectAltName', '-checkend', '86400']);
        expect(x509.code, x509.stderr).toBe(0);
        expect(x509.stdout).toMatch(/DNS:localhost/);
        expect(x509.stdout).toMatch(new RegExp(`DNS:${LB}\\b`));
        const host = new URL(a.remoteUrl ?? 'https://localhost').hostname;
        expect(x509.stdout, "the certificate names the remote URL's host").toContain(/^[\d.]+$/.test(host) ? `IP Address:${host}` : `DNS:${host}`);
        // Now every bind source exists, and nginx -t runs on the files make made.
        expect(checkBindMounts(copy, loadCompose(copy))).toEqual([]);
        await validateNginx(copy);
        // A second `make certs` keeps the certificate.
        const again = await runTool('make', ['-q', 'certs'], { cwd: copy });
        expect(again.code, 'make -q certs: up to date').toBe(0);
      });
    }
  });
}

// ---------------------------------------------------------------------------------------------
// The validators are real: each rejects a broken copy of a good stack.

describe.concurrent('the validators reject broken files', () => {
  let good: string;
  let goodTls: string;
  let goodProvided: string;

  beforeAll(async () => {
    goodProvided = await generateStack({
      eventBus: 'nats',
      instances: 1,
      transformAgents: 0,
      tls: 'provided',
      tlsCertFile: inputs.certFile,
      tlsKeyFile: inputs.keyFile,
    });
    good = await generateStack({ eventBus: 'nats', instances: 2, transformAgents: 1, demoAgents: 1, tls: 'none' });
    goodTls = await generateStack({ eventBus: 'kafka', instances: 2, transformAgents: 0, tls: 'selfSigned' });
  });

  const broken = (from: () => string, edit: (dir: string) => void): string => {
    const dir = path.join(tempDir('bpd-broken-'), 'stack');
    cpSync(from(), dir, { recursive: true });
    edit(dir);
    return dir;
  };
  const rewrite = (dir: string, file: string, f: (text: string) => string) => {
    const p = path.join(dir, file);
    const before = readFileSync(p, 'utf8');
    const after = f(before);
    if (after === before) throw new Error(`the edit of ${file} changed nothing: the test is out of date`);
    writeFileSync(p, after);
  };

  it('docker-compose and the schema: an unknown key', async ({ expect }) => {
    const dir = broken(
      () => good,
      (d) => rewrite(d, 'docker-compose.yml', (t) => t.replace(/^( {2}postgres:\n)/m, '$1    restart_policy: always\n')),
    );
    await expect(validateComposeV1(dir)).rejects.toThrow(/restart_policy/);
    expect(() => validateComposeSchema(dir)).toThrow(/restart_policy/);
  });

  it('docker-compose: a missing env_file, an unset secret, depends_on a missing service', async ({ expect }) => {
    await expect(
      validateComposeV1(
        broken(
          () => good,
          (d) => rmSync(path.join(d, 'bindplane/bindplane.env')),
        ),
      ),
    ).rejects.toThrow(/bindplane\.env/);
    await expect(
      validateComposeV1(
        broken(
          () => good,
          (d) => rewrite(d, '.env', (t) => t.replace(/^POSTGRES_PASSWORD=.*\n/m, '')),
        ),
      ),
    ).rejects.toThrow(/POSTGRES_PASSWORD/);
    await expect(
      validateComposeV1(
        broken(
          () => good,
          (d) =>
            rewrite(d, 'docker-compose.yml', (t) => t.replace(/^ {4}depends_on:\n/m, '    depends_on:\n      ghost:\n        condition: service_healthy\n')),
        ),
      ),
    ).rejects.toThrow(/ghost/);
  });

  it('the strict YAML parse: a duplicate key', ({ expect }) => {
    const dir = broken(
      () => good,
      (d) => rewrite(d, 'docker-compose.yml', (t) => t.replace(/^( {4}image: postgres:.*\n)/m, '$1$1')),
    );
    expect(() => validateComposeSchema(dir)).toThrow(/unique|duplicate/i);
  });

  it("nginx -t: an unknown directive, an upstream host that is no service, a key that is not the certificate's", async ({ expect }) => {
    await expect(
      validateNginx(
        broken(
          () => good,
          (d) => rewrite(d, 'nginx/nginx.conf', (t) => t.replace('server_tokens off;', 'server_tokens off;\n  proxy_bogus on;')),
        ),
      ),
    ).rejects.toThrow(/proxy_bogus/);
    await expect(
      validateNginx(
        broken(
          () => good,
          (d) => rewrite(d, 'nginx/nginx.conf', (t) => t.replace(/server bindplane-2:/, 'server bindplane-9:')),
        ),
      ),
    ).rejects.toThrow(/host not found/);
    // The copy of the person's key does not belong to the copy of their certificate.
    const otherKey = path.join(tempDir('bpd-otherkey-'), 'other.key');
    const made = await runTool('openssl', ['genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-out', otherKey]);
    expect(made.code, made.stderr).toBe(0);
    await expect(
      validateNginx(
        broken(
          () => goodProvided,
          (d) => cpSync(otherKey, path.join(d, 'local/tls/tls.key')),
        ),
      ),
    ).rejects.toThrow(/key values mismatch/);
  });

  it('promtool: bad PromQL in a rule, an unknown config key', async ({ expect }) => {
    await expect(
      validatePrometheus(
        broken(
          () => good,
          (d) => rewrite(d, 'prometheus/rules/bindplane.yml', (t) => t.replace('sum without (agent) (', 'sum without (agent) (((')),
        ),
      ),
    ).rejects.toThrow(/promtool check/);
    await expect(
      validatePrometheus(
        broken(
          () => good,
          (d) => rewrite(d, 'prometheus/prometheus.yml', (t) => t.replace('global:\n', 'global:\n  scrape_intervall: 1m\n')),
        ),
      ),
    ).rejects.toThrow(/scrape_intervall/);
  });

  it('make -n: a recipe indented with spaces; a missing target', async ({ expect }) => {
    await expect(
      validateMake(
        broken(
          () => good,
          (d) => rewrite(d, 'Makefile', (t) => t.replace(/^\t\$\(COMPOSE\) \$\(STACK\) stop/m, '    $(COMPOSE) $(STACK) stop')),
        ),
      ),
    ).rejects.toThrow(/separator/);
    await expect(
      validateMake(
        broken(
          () => good,
          (d) => rewrite(d, 'Makefile', (t) => t.replace(/^status:/m, 'state:')),
        ),
      ),
    ).rejects.toThrow(/missing targets: status/);
  });

  it('shellcheck and yamllint', async ({ expect }) => {
    await expect(
      validateShell(
        broken(
          () => goodTls,
          (d) => appendFileSync(path.join(d, 'scripts/tls-self-signed.sh'), 'cp $dir/tls.crt /tmp\n'),
        ),
      ),
    ).rejects.toThrow(/SC2086/);
    await expect(
      validateYamllint(
        broken(
          () => good,
          (d) => rewrite(d, 'prometheus/prometheus.yml', (t) => t.replace('global:\n', 'global:\n  scrape_interval: 2m\n')),
        ),
      ),
    ).rejects.toThrow(/key-duplicates/);
  });

  it('the cross-checks', ({ expect }) => {
    const g = () => good;
    const c = (d: string) => loadCompose(d);
    // An upstream server that is not a node; a node missing from the upstream; the jobs instance behind it.
    let d = broken(g, (x) => rewrite(x, 'nginx/nginx.conf', (t) => t.replace(/server bindplane-2:/, 'server bindplane-jobs:')));
    expect(checkUpstreams(d, c(d), 2).join('\n')).toMatch(/bindplane-jobs is behind the load balancer/);
    expect(checkUpstreams(good, c(good), 3).join('\n')).toMatch(/expected bindplane-1..bindplane-3/);
    // Names Bindplane does not read (the reference deployment's two typos).
    d = broken(g, (x) => appendFileSync(path.join(x, 'bindplane/bindplane.env'), 'BINDPLANE_LOG_OUTPUT=stdout\n'));
    expect(checkBindplaneVariables(d, c(d))).toEqual(['bindplane/bindplane.env: BINDPLANE_LOG_OUTPUT is not a variable Bindplane reads']);
    d = broken(g, (x) => rewrite(x, 'docker-compose.yml', (t) => t.replace('BINDPLANE_SESSION_SECRET: ${', 'BINDPLANE_SESSIONS_SECRET: ${')));
    expect(checkBindplaneVariables(d, c(d)).join('\n')).toMatch(/BINDPLANE_SESSIONS_SECRET is not a variable/);
    // Unpinned images, a second published port, a missing healthcheck, a list-form depends_on.
    d = broken(g, (x) =>
      rewrite(x, 'docker-compose.yml', (t) =>
        t.replace(/image: postgres:\S+/, 'image: postgres').replace(/image: prom\/prometheus:\S+/, 'image: prom/prometheus:latest'),
      ),
    );
    expect(checkImages(c(d))).toHaveLength(2);
    d = broken(g, (x) => rewrite(x, 'docker-compose.yml', (t) => t.replace(/^( {2}postgres:\n)/m, '$1    ports:\n      - "5432:5432"\n')));
    expect(checkPorts(c(d)).join('\n')).toMatch(/postgres publishes/);
    const exposed = structuredClone(c(good));
    exposed.services.postgres!.networks = ['backend', 'frontend'];
    expect(checkInternalOnly(exposed)).toEqual(['postgres is on ["backend","frontend"], not only on internal networks']);
    // Conventions: an unbounded log, a bind-mounted database, a guess without its comment.
    d = broken(g, (x) =>
      rewrite(x, 'docker-compose.yml', (t) =>
        t
          .replace('max-file: "5"', 'compress: "true"')
          .replace('- postgres-data:/var/lib/postgresql', '- ./pgdata:/var/lib/postgresql')
          .replace('# Unverified which of curl, wget or bash', '# which of curl or wget'),
      ),
    );
    const conventions = checkConventions(d, c(d)).join('\n');
    expect(conventions).toMatch(/log files are not bounded/);
    expect(conventions).toMatch(/postgres: its data is not on a named volume/);
    expect(conventions).toMatch(/a guessed healthcheck without an "Unverified" comment/);
    // A default credential.
    const plain = structuredClone(c(good));
    (plain.services.postgres!.environment as Record<string, string>).POSTGRES_PASSWORD = 'bindplane';
    expect(checkCredentials(plain)).toEqual(['postgres: POSTGRES_PASSWORD is "bindplane", not a required reference to .env']);
    // nginx: no passive health, a short timeout, a location that drops the websocket headers.
    d = broken(g, (x) =>
      rewrite(x, 'nginx/nginx.conf', (t) =>
        t
          .replace(/ max_fails=2 fail_timeout=5s/, '')
          .replace('proxy_read_timeout 3600s;', 'proxy_read_timeout 60s;')
          .replace('proxy_buffering off;', 'proxy_buffering off;\n      proxy_set_header Host $host;'),
      ),
    );
    const settings = checkNginxSettings(d).join('\n');
    expect(settings).toMatch(/has no max_fails/);
    expect(settings).toMatch(/proxy_read_timeout is 60/);
    expect(settings).toMatch(/loses the websocket ones/);
    const noHealth = structuredClone(c(good));
    delete noHealth.services.postgres!.healthcheck;
    expect(checkHealthchecks(noHealth)).toEqual(['postgres has no healthcheck (and is not a one-shot restart: "no" service)']);
    expect(checkDependsOn(noHealth).join('\n')).toMatch(/waits for postgres to be healthy, but postgres has no healthcheck/);
    const listDeps = structuredClone(c(good));
    listDeps.services[LB]!.depends_on = ['bindplane-1'];
    expect(checkDependsOn(listDeps).join('\n')).toMatch(/depends_on is a list/);
    // A single-file bind mount.
    const fileMount = structuredClone(c(good));
    fileMount.services[LB]!.volumes = ['./nginx/nginx.conf:/etc/nginx/nginx.conf:ro'];
    expect(checkBindMounts(good, fileMount).join('\n')).toMatch(/single file/);
    // Secrets: a world-readable .env, a repeated value, a quote; a .gitignore that forgets .env.
    d = broken(g, (x) => {
      rewrite(x, '.env', (t) =>
        t
          .replace(/^POSTGRES_PASSWORD=.*$/m, `POSTGRES_PASSWORD=${readEnvFile(path.join(x, '.env')).get('BINDPLANE_PASSWORD')}`)
          .replace(/^BINDPLANE_SESSION_SECRET=/m, 'BINDPLANE_SESSION_SECRET="'),
      );
      spawnSync('chmod', ['644', path.join(x, '.env')]);
    });
    const secrets = checkSecrets(d, ['BINDPLANE_PASSWORD']).join('\n');
    expect(secrets).toMatch(/mode 644/);
    expect(secrets).toMatch(/POSTGRES_PASSWORD has the same value as BINDPLANE_PASSWORD/);
    expect(secrets).toMatch(/BINDPLANE_SESSION_SECRET contains/);
    d = broken(g, (x) => rewrite(x, '.gitignore', (t) => t.replace(/^\/\.env$/m, '')));
    expect(checkGitignore(d, ['.env'], [])).toEqual(['.gitignore does not ignore .env']);
    // Kafka: a broker advertising localhost; a voter without the controller role.
    const k = () => goodTls;
    d = broken(k, (x) =>
      rewrite(x, 'docker-compose.yml', (t) =>
        t.replace('KAFKA_ADVERTISED_LISTENERS: PLAINTEXT://kafka-1:', 'KAFKA_ADVERTISED_LISTENERS: PLAINTEXT://localhost:'),
      ),
    );
    expect(checkKafka(d, c(d)).join('\n')).toMatch(/kafka-1: advertises localhost:9092; clients in other containers reach it only as kafka-1/);
    d = broken(k, (x) => rewrite(x, 'docker-compose.yml', (t) => t.replace('KAFKA_PROCESS_ROLES: broker,controller', 'KAFKA_PROCESS_ROLES: broker')));
    expect(checkKafka(d, c(d)).join('\n')).toMatch(/node 1 is a quorum voter, but KAFKA_PROCESS_ROLES broker lacks controller/);
    expect(checkKafka(goodTls, c(goodTls))).toEqual([]);
    // .gitignore without the folder of an interrupted update.
    d = broken(g, (x) => rewrite(x, '.gitignore', (t) => t.replace(/^\/\.bindplane-distributed\/txn\/$/m, '')));
    expect(checkGitignore(d, ['.bindplane-distributed/txn/journal.json'], [])).toEqual(['.gitignore does not ignore .bindplane-distributed/txn/journal.json']);
    // An address that names no service.
    d = broken(g, (x) => rewrite(x, 'bindplane/bindplane.env', (t) => t.replace(/^BINDPLANE_POSTGRES_HOST=.*$/m, 'BINDPLANE_POSTGRES_HOST=postgresql')));
    expect(checkAddresses(d, c(d)).join('\n')).toMatch(/names postgresql, which is not a compose service or a network alias/);
  });
});

// ---------------------------------------------------------------------------------------------
// Property: random valid answer sets, every one through every validator and cross-check.
describe('random valid answer sets', () => {
  const answersArb = (i: Inputs): fc.Arbitrary<Partial<Answers>> =>
    fc
      .record({
        projectName: fc.stringMatching(/^[a-z0-9][a-z0-9_-]{0,20}$/),
        bindplaneVersion: fc.constantFrom('1.96.3', '1.100.0', '1.94.0'),
        imageRegistry: fc.constantFrom('ghcr.io/observiq', 'observiq', 'registry.example.com:5000/mirror'),
        instances: fc.oneof(fc.integer({ min: 1, max: 8 }), fc.integer({ min: 1, max: 64 })),
        eventBus: fc.constantFrom('kafka', 'pubsub', 'nats') as fc.Arbitrary<Answers['eventBus']>,
        kafkaBrokers: fc.constantFrom(1, 3),
        pubsubCredentials: fc.boolean(),
        postgresVersion: fc.constantFrom('14', '15', '16', '17', '18', '16.4'),
        postgresMaxConnections: fc.integer({ min: 5, max: 1000 }),
        transformAgents: fc.integer({ min: 0, max: 16 }),
        prometheusRetention: fc.constantFrom('15d', '12h', '1w2d', '90d'),
        httpPort: fc.integer({ min: 1, max: 65535 }),
        tls: fc.constantFrom('none', 'selfSigned', 'provided') as fc.Arbitrary<Answers['tls']>,
        adminUsername: fc.stringMatching(/^[A-Za-z0-9._@-]{1,20}$/),
        demoAgents: fc.integer({ min: 0, max: 100 }),
      })
      .map(({ pubsubCredentials, ...a }) => ({
        ...a,
        ...(a.eventBus === 'pubsub' ? { pubsubProjectId: 'demo-project-1', ...(pubsubCredentials ? { pubsubCredentialsFile: i.credentialsFile } : {}) } : {}),
        ...(a.tls === 'provided' ? { tlsCertFile: i.certFile, tlsKeyFile: i.keyFile } : {}),
      }));

  it('every generated repository passes every validator and cross-check', async () => {
    await fc.assert(
      fc.asyncProperty(answersArb(inputs), async (given) => {
        const a = resolved(given);
        const dir = await generateStack(given);
        await validateAll(dir);
        const compose = loadCompose(dir);
        const keys = ['BINDPLANE_PASSWORD', 'BINDPLANE_SESSION_SECRET', 'POSTGRES_PASSWORD', ...(a.eventBus === 'kafka' ? ['KAFKA_CLUSTER_ID'] : [])];
        const problems = [
          ...checkUpstreams(dir, compose, a.instances),
          ...checkBindplaneVariables(dir, compose),
          ...checkAddresses(dir, compose),
          ...checkImages(compose),
          ...checkPorts(compose),
          ...checkInternalOnly(compose),
          ...checkConventions(dir, compose),
          ...checkCredentials(compose),
          ...checkNginxSettings(dir),
          ...checkHealthchecks(compose),
          ...checkDependsOn(compose),
          ...checkBindMounts(dir, compose, a.tls === 'selfSigned' ? ['local/tls'] : []),
          ...checkSecrets(dir, keys),
        ];
        expect(problems, JSON.stringify(given)).toEqual([]);
        rmSync(path.dirname(dir), { recursive: true, force: true });
      }),
      // PROPERTY_RUNS=100 npm test for a longer search.
      { numRuns: Number(process.env.PROPERTY_RUNS ?? 12) },
    );
  }, 600_000);
});
