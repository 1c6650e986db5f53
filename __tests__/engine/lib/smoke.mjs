#!/usr/bin/env node
// Manual check of engine.mjs and the real-service image recipes (needs root):
//
//   node __tests__/engine/lib/smoke.mjs
//   BPD_ENGINE_CACHE=/var/tmp/fresh node __tests__/engine/lib/smoke.mjs   (a cold run)
//
// Provisions, starts a private dockerd, ensures the nginx, prometheus, postgres and pubsub images,
// checks that each really works (docker run on a user-defined network, then all of them together
// with `docker compose up -d --wait`), removes everything, stops the engine and checks that
// nothing is left behind. Exits 1 with the reason on the first failure.
import fs from 'node:fs';
import path from 'node:path';
import { CACHE, docker, dockerEnv, ensureImages, provision, run, startEngine } from './engine.mjs';

const T0 = Date.now();
const secs = (/** @type {number} */ t) => `${((Date.now() - t) / 1000).toFixed(1)} s`;
/** @param {string} msg */
const log = (msg) => process.stderr.write(`[smoke +${((Date.now() - T0) / 1000).toFixed(1).padStart(6)} s] ${msg}\n`);

const IMAGES = {
  nginx: 'nginx:1.28.0-alpine',
  prometheus: 'prom/prometheus:v3.4.0',
  postgres: 'postgres:16',
  pubsub: 'gcr.io/google.com/cloudsdktool/google-cloud-cli:529.0.0-emulators',
};
/** @type {import('./engine.mjs').ImageSpec[]} */
const SPECS = [
  { tag: IMAGES.nginx, recipe: 'nginx' },
  { tag: IMAGES.prometheus, recipe: 'prometheus' },
  { tag: IMAGES.postgres, recipe: 'postgres' },
  { tag: IMAGES.pubsub, recipe: 'pubsub' },
];
const NET = 'bpd-smoke';

/** @param {unknown} cond @param {string} msg */
function check(cond, msg) {
  if (!cond) throw new Error(`check failed: ${msg}`);
  log(`ok: ${msg}`);
}

/** @type {Record<string, number>} */
const phases = {};

/** @param {import('./engine.mjs').Engine} engine @param {string} name */
async function waitHealthy(engine, name, timeoutMs = 90_000) {
  const t = Date.now();
  for (;;) {
    const r = await docker(engine, ['inspect', '--format', '{{.State.Status}} {{if .State.Health}}{{.State.Health.Status}}{{end}}', name]);
    const [state, health] = r.stdout.trim().split(' ');
    if (health === 'healthy') return Date.now() - t;
    if (state !== 'running' || health === 'unhealthy' || Date.now() - t > timeoutMs) {
      const logs = await docker(engine, ['logs', '--tail', '40', name], { allowFail: true });
      const hc = await docker(engine, ['inspect', '--format', '{{json .State.Health}}', name], { allowFail: true });
      throw new Error(`${name} is ${state}/${health || 'no health'} after ${secs(t)}; health: ${hc.stdout.trim()}\nlogs:\n${logs.tail}`);
    }
    await new Promise((r) => setTimeout(r, 500));
  }
}

/** Host port that 127.0.0.1 publishes for a container port. @param {import('./engine.mjs').Engine} engine */
async function hostPort(engine, /** @type {string} */ name, /** @type {number} */ port) {
  const r = await docker(engine, ['port', name, `${port}/tcp`]);
  const m = /127\.0\.0\.1:(\d+)/.exec(r.stdout);
  if (!m) throw new Error(`no 127.0.0.1 port for ${name}:${port} in ${JSON.stringify(r.stdout)}`);
  return Number(m[1]);
}

/** @param {string} url @param {RequestInit} [init] */
async function http(url, init) {
  const res = await fetch(url, { ...init, signal: AbortSignal.timeout(10_000) });
  return { status: res.status, body: await res.text() };
}

/** @param {string} a @param {string} b */
function versionAtLeast(a, b) {
  const pa = a.split('.').map(Number);
  const pb = b.split('.').map(Number);
  for (let i = 0; i < 3; i++) if ((pa[i] || 0) !== (pb[i] || 0)) return (pa[i] || 0) > (pb[i] || 0);
  return true;
}

/** @param {import('./engine.mjs').Engine} engine @param {string} work */
async function checkPrometheus(engine, work) {
  const t = Date.now();
  const conf = path.join(work, 'prometheus');
  fs.mkdirSync(conf, { recursive: true });
  fs.writeFileSync(
    path.join(conf, 'prometheus.yml'),
    'global:\n  scrape_interval: 5s\nscrape_configs:\n  - job_name: self\n    static_configs:\n      - targets: ["127.0.0.1:9090"]\n',
  );
  // prettier-ignore
  await docker(engine, ['run', '-d', '--name', 'smoke-prometheus', '--network', NET, '-p', '127.0.0.1::9090',
    '-v', `${conf}:/etc/prometheus:ro`, '-v', 'smoke-prometheus-data:/prometheus',
    '--health-cmd', 'wget -q --spider http://127.0.0.1:9090/-/healthy', '--health-interval', '1s', '--health-retries', '60',
    IMAGES.prometheus,
    '--config.file=/etc/prometheus/prometheus.yml', '--storage.tsdb.path=/prometheus', '--storage.tsdb.retention.time=15d', '--web.enable-remote-write-receiver']);
  const ms = await waitHealthy(engine, 'smoke-prometheus');
  check(true, `prometheus healthy (wget --spider /-/healthy) after ${(ms / 1000).toFixed(1)} s`);
  const port = await hostPort(engine, 'smoke-prometheus', 9090);
  const h = await http(`http://127.0.0.1:${port}/-/healthy`);
  check(h.status === 200, `GET /-/healthy through the published port: ${h.status} ${h.body.trim()}`);
  const b = await http(`http://127.0.0.1:${port}/api/v1/status/buildinfo`);
  log(`prometheus buildinfo: ${b.body.trim()}`);
  const f = JSON.parse((await http(`http://127.0.0.1:${port}/api/v1/status/flags`)).body);
  check(f.data['web.enable-remote-write-receiver'] === 'true', 'remote-write receiver flag is on');
  const w = await http(`http://127.0.0.1:${port}/api/v1/write`, {
    method: 'POST',
    body: 'x',
    headers: { 'Content-Type': 'application/x-protobuf', 'Content-Encoding': 'snappy' },
  });
  check(w.status !== 404 && w.status < 500, `POST /api/v1/write is handled (${w.status}: ${w.body.trim().slice(0, 80)})`);
  const who = await docker(engine, ['exec', 'smoke-prometheus', 'sh', '-c', 'id -un; ls -ld /prometheus; ls /prometheus']);
  check(
    /^nobody\n/.test(who.stdout) && /wal/.test(who.stdout),
    `runs as nobody and writes its TSDB to the volume (${who.stdout.trim().replace(/\n/g, ' | ')})`,
  );
  phases.prometheus = Date.now() - t;
}

/** @param {import('./engine.mjs').Engine} engine @param {string} work */
async function checkNginx(engine, work) {
  const t = Date.now();
  const v = await docker(engine, ['run', '--rm', IMAGES.nginx, 'nginx', '-v']);
  const m = /nginx\/(\d+\.\d+\.\d+)/.exec(v.stdout + v.stderr);
  check(m && versionAtLeast(m[1], '1.27.3'), `nginx -v: ${m ? m[1] : (v.stdout + v.stderr).trim()} >= 1.27.3`);
  const conf = path.join(work, 'nginx');
  const tls = path.join(work, 'tls');
  fs.mkdirSync(conf, { recursive: true });
  fs.mkdirSync(tls, { recursive: true });
  fs.writeFileSync(
    path.join(conf, 'nginx.conf'),
    `worker_processes auto;
error_log /dev/stderr warn;
events { worker_connections 1024; }
http {
  server_tokens off;
  access_log /dev/stdout;
  resolver 127.0.0.11 valid=10s ipv6=off;
  upstream prom {
    zone prom 64k;
    server smoke-prometheus:9090 resolve max_fails=3 fail_timeout=10s;
  }
  server {
    listen 8080;
    location = /nginx-health { access_log off; return 200 "ok\\n"; }
    location / { proxy_pass http://prom; }
  }
}
`,
  );
  // prettier-ignore
  await docker(engine, ['run', '-d', '--name', 'smoke-nginx', '--network', NET, '-p', '127.0.0.1::8080',
    '-v', `${conf}:/etc/nginx/bindplane:ro`, '-v', `${tls}:/etc/nginx/tls:ro`,
    '--health-cmd', 'wget -q -O /dev/null http://127.0.0.1:8080/nginx-health', '--health-interval', '1s', '--health-retries', '30',
    IMAGES.nginx, 'nginx', '-c', '/etc/nginx/bindplane/nginx.conf', '-g', 'daemon off;']);
  const ms = await waitHealthy(engine, 'smoke-nginx');
  check(true, `nginx healthy (wget /nginx-health) after ${(ms / 1000).toFixed(1)} s`);
  const port = await hostPort(engine, 'smoke-nginx', 8080);
  const h = await http(`http://127.0.0.1:${port}/nginx-health`);
  check(h.status === 200 && h.body === 'ok\n', `GET /nginx-health: ${h.status} ${h.body.trim()}`);
  const p = await http(`http://127.0.0.1:${port}/-/healthy`);
  check(p.status === 200 && /Healthy/.test(p.body), `proxied to prometheus through an upstream with resolve: ${p.status} ${p.body.trim()}`);
  const logs = await docker(engine, ['logs', 'smoke-nginx']);
  check(/GET \/-\/healthy/.test(logs.stdout), 'access log goes to the container output');
  phases.nginx = Date.now() - t;
}

/** @param {import('./engine.mjs').Engine} engine */
async function checkPostgres(engine) {
  const t = Date.now();
  // prettier-ignore
  await docker(engine, ['run', '-d', '--name', 'smoke-postgres', '--network', NET,
    '-e', 'POSTGRES_USER=bindplane', '-e', 'POSTGRES_PASSWORD=x', '-e', 'POSTGRES_DB=bindplane',
    '-v', 'smoke-postgres-data:/var/lib/postgresql/data',
    '--health-cmd', 'pg_isready -U bindplane -d bindplane', '--health-interval', '1s', '--health-retries', '60',
    IMAGES.postgres, 'postgres', '-c', 'max_connections=520']);
  const ms = await waitHealthy(engine, 'smoke-postgres');
  check(true, `postgres initialised and healthy (pg_isready) after ${(ms / 1000).toFixed(1)} s`);
  const psql = (/** @type {string} */ pw, /** @type {string} */ sql) =>
    docker(
      engine,
      ['run', '--rm', '--network', NET, IMAGES.postgres, 'psql', `host=smoke-postgres user=bindplane password=${pw} dbname=bindplane`, '-Atc', sql],
      {
        allowFail: true,
      },
    );
  const ok = await psql('x', 'select 1');
  check(ok.code === 0 && ok.stdout.trim() === '1', `psql over the network with the right password: ${ok.stdout.trim() || ok.tail}`);
  const mc = await psql('x', 'show max_connections');
  check(mc.stdout.trim() === '520', `command ["postgres", "-c", "max_connections=520"] reaches the server: ${mc.stdout.trim()}`);
  const who = await psql(
    'x',
    "select rolsuper, (select pg_get_userbyid(datdba) from pg_database where datname = 'bindplane'), current_setting('password_encryption') from pg_roles where rolname = 'bindplane'",
  );
  check(who.stdout.trim() === 't|bindplane|scram-sha-256', `bindplane is a superuser owning database bindplane, scram: ${who.stdout.trim()}`);
  const bad = await psql('wrong', 'select 1');
  check(bad.code !== 0 && /password authentication failed/.test(bad.tail), `a wrong password fails: ${bad.tail.split('\n').pop()}`);
  const tools = await docker(engine, ['run', '--rm', IMAGES.postgres, 'sh', '-c', 'for b in pg_dump pg_restore psql pg_isready; do command -v $b; done']);
  check(tools.stdout.trim().split('\n').length === 4, `pg_dump, pg_restore, psql, pg_isready on PATH (${tools.stdout.trim().replace(/\n/g, ' ')})`);
  const s0 = Date.now();
  await docker(engine, ['stop', '-t', '20', 'smoke-postgres']);
  const stopMs = Date.now() - s0;
  check(stopMs < 5000, `docker stop takes ${(stopMs / 1000).toFixed(1)} s (STOPSIGNAL SIGINT reaches postgres as PID 1)`);
  await docker(engine, ['start', 'smoke-postgres']);
  await waitHealthy(engine, 'smoke-postgres');
  const again = await psql('x', 'select 2');
  const logs = await docker(engine, ['logs', 'smoke-postgres']);
  check(again.stdout.trim() === '2' && (logs.stderr.match(/initialising/g) || []).length === 1, 'restarts on the same volume without initialising again');
  phases.postgres = Date.now() - t;
}

/** @param {import('./engine.mjs').Engine} engine */
async function checkPubsub(engine) {
  const t = Date.now();
  // prettier-ignore
  await docker(engine, ['run', '-d', '--name', 'smoke-pubsub', '--network', NET,
    '--health-cmd', 'curl -fsS -o /dev/null http://127.0.0.1:8085/', '--health-interval', '1s', '--health-retries', '60',
    IMAGES.pubsub, 'gcloud', 'beta', 'emulators', 'pubsub', 'start', '--host-port=0.0.0.0:8085', '--project=smoke-project']);
  const ms = await waitHealthy(engine, 'smoke-pubsub');
  check(true, `pubsub emulator healthy (curl /) after ${(ms / 1000).toFixed(1)} s`);
  const put = () =>
    docker(engine, [
      'run',
      '--rm',
      '--network',
      NET,
      IMAGES.pubsub,
      'sh',
      '-c',
      "curl -s -o /dev/null -w '%{http_code}' -X PUT http://smoke-pubsub:8085/v1/projects/smoke-project/topics/smoke-topic",
    ]);
  const a = await put();
  check(
    a.stdout.trim() === '200',
    `PUT /v1/projects/smoke-project/topics/smoke-topic (topic names need 3+ characters) from another container: ${a.stdout.trim()}`,
  );
  const b = await put();
  check(b.stdout.trim() === '409', `the same PUT again: ${b.stdout.trim()} (already exists)`);
  const bad = await docker(engine, ['run', '--rm', IMAGES.pubsub, 'gcloud', 'components', 'list'], { allowFail: true });
  const said = bad.stderr.split('\n').find((l) => l.startsWith('gcloud (test stand-in)')) || bad.stderr;
  check(bad.code === 2 && /usage: gcloud beta emulators pubsub start/.test(bad.stderr), `the gcloud shim refuses anything else: ${said}`);
  phases.pubsub = Date.now() - t;
}

/** All four together with compose v2 (2.40) against this dockerd. @param {import('./engine.mjs').Engine} engine @param {string} work */
async function checkCompose(engine, work) {
  const t = Date.now();
  const dir = path.join(work, 'compose');
  fs.mkdirSync(dir, { recursive: true });
  fs.cpSync(path.join(work, 'nginx'), path.join(dir, 'nginx'), { recursive: true });
  fs.cpSync(path.join(work, 'prometheus'), path.join(dir, 'prometheus'), { recursive: true });
  fs.writeFileSync(path.join(dir, 'nginx/nginx.conf'), fs.readFileSync(path.join(dir, 'nginx/nginx.conf'), 'utf8').replace('smoke-prometheus', 'prometheus'));
  fs.writeFileSync(
    path.join(dir, 'docker-compose.yml'),
    `name: bpd-smoke
services:
  postgres:
    image: ${IMAGES.postgres}
    command: ["postgres", "-c", "max_connections=520"]
    environment: { POSTGRES_USER: bindplane, POSTGRES_DB: bindplane, POSTGRES_PASSWORD: x }
    volumes: [postgres-data:/var/lib/postgresql/data]
    networks: [backend]
    healthcheck: { test: ["CMD-SHELL", "pg_isready -U bindplane -d bindplane"], interval: 1s, timeout: 5s, retries: 60 }
  prometheus:
    image: ${IMAGES.prometheus}
    command: [--config.file=/etc/prometheus/prometheus.yml, --storage.tsdb.path=/prometheus, --storage.tsdb.retention.time=15d, --web.enable-remote-write-receiver]
    volumes: [./prometheus:/etc/prometheus:ro, prometheus-data:/prometheus]
    networks: [backend, frontend]
    healthcheck: { test: ["CMD", "wget", "-q", "--spider", "http://127.0.0.1:9090/-/healthy"], interval: 1s, retries: 60 }
  pubsub-emulator:
    image: ${IMAGES.pubsub}
    command: ["gcloud", "beta", "emulators", "pubsub", "start", "--host-port=0.0.0.0:8085", "--project=smoke-project"]
    networks: [backend]
    healthcheck: { test: ["CMD", "curl", "-fsS", "-o", "/dev/null", "http://127.0.0.1:8085/"], interval: 1s, retries: 60 }
  pubsub-topic:
    image: ${IMAGES.pubsub}
    restart: "no"
    command: ["sh", "-c", "code=$$(curl -s -o /dev/null -w '%{http_code}' -X PUT http://pubsub-emulator:8085/v1/projects/smoke-project/topics/smoke-topic) && echo \\"create topic: $$code\\" && [ \\"$$code\\" = 200 ] || [ \\"$$code\\" = 409 ]"]
    networks: [backend]
    depends_on: { pubsub-emulator: { condition: service_healthy } }
  lb:
    image: ${IMAGES.nginx}
    command: ["nginx", "-c", "/etc/nginx/bindplane/nginx.conf", "-g", "daemon off;"]
    ports: ["127.0.0.1:0:8080"]
    volumes: [./nginx:/etc/nginx/bindplane:ro]
    networks: [frontend]
    depends_on: { prometheus: { condition: service_healthy }, postgres: { condition: service_healthy }, pubsub-topic: { condition: service_completed_successfully } }
    healthcheck: { test: ["CMD", "wget", "-q", "-O", "/dev/null", "http://127.0.0.1:8080/nginx-health"], interval: 1s, retries: 30 }
networks:
  frontend: {}
  backend: { internal: true }
volumes:
  postgres-data: {}
  prometheus-data: {}
`,
  );
  const compose = (/** @type {string[]} */ args, timeoutMs = 180_000) =>
    run('docker', ['compose', ...args], { cwd: dir, env: dockerEnv(engine), timeoutMs, what: `docker compose ${args.join(' ')}` });
  const v = await compose(['version', '--short']);
  const u0 = Date.now();
  await compose(['up', '-d', '--wait', '--remove-orphans']);
  check(true, `docker compose ${v.stdout.trim()} up -d --wait: all healthy after ${secs(u0)}`);
  const ps = await compose(['ps', '-a', '--format', '{{.Service}}={{.State}}/{{.Health}}']);
  log(`compose ps: ${ps.stdout.trim().replace(/\n/g, ' ')}`);
  const port = Number(/:(\d+)/.exec((await compose(['port', 'lb', '8080'])).stdout)?.[1]);
  const h = await http(`http://127.0.0.1:${port}/-/healthy`);
  check(h.status === 200, `through the compose load balancer to prometheus: ${h.status}`);
  const topic = await compose(['logs', 'pubsub-topic']);
  check(/create topic: 200/.test(topic.stdout), `one-shot pubsub-topic: ${topic.stdout.trim()}`);
  await compose(['down', '-v', '--remove-orphans']);
  const left = await docker(engine, ['ps', '-aq', '--filter', 'label=com.docker.compose.project=bpd-smoke']);
  check(left.stdout.trim() === '', 'docker compose down -v removed its containers');
  phases.compose = Date.now() - t;
}

function snapshot() {
  return {
    bpde: fs.readdirSync('/tmp').filter((d) => d.startsWith('bpde-')),
    ifaces: fs.readdirSync('/sys/class/net'),
    etcDocker: fs.existsSync('/etc/docker') ? fs.readdirSync('/etc/docker') : null,
    mounts: fs
      .readFileSync('/proc/self/mounts', 'utf8')
      .split('\n')
      .filter((l) => l.includes('/tmp/bpde-')),
    runContainerd: fs.existsSync('/run/containerd'),
  };
}

async function main() {
  log(`cache: ${CACHE}`);
  const before = snapshot();
  let t = Date.now();
  await provision({ log });
  phases.provision = Date.now() - t;
  t = Date.now();
  const engine = await startEngine({ log });
  phases.startEngine = Date.now() - t;
  let failure = null;
  try {
    t = Date.now();
    await ensureImages(engine, SPECS, { log });
    phases.ensureImages = Date.now() - t;
    const work = path.join(engine.dir, 'smoke');
    fs.mkdirSync(work);
    await docker(engine, ['network', 'create', NET]);
    await checkPrometheus(engine, work);
    await checkNginx(engine, work);
    await checkPostgres(engine);
    await checkPubsub(engine);
    t = Date.now();
    await docker(engine, ['rm', '-f', '-v', 'smoke-prometheus', 'smoke-nginx', 'smoke-postgres', 'smoke-pubsub']);
    await docker(engine, ['network', 'rm', NET]);
    await docker(engine, ['volume', 'prune', '-f']);
    phases.remove = Date.now() - t;
    await checkCompose(engine, work);
  } catch (e) {
    failure = e;
  } finally {
    t = Date.now();
    try {
      await engine.stop();
    } catch (e) {
      failure = failure || e;
    }
    phases.stop = Date.now() - t;
  }
  if (failure) throw failure;

  const after = snapshot();
  check(!fs.existsSync(engine.dir), `${engine.dir} removed`);
  check(after.bpde.filter((d) => !before.bpde.includes(d)).length === 0, 'no new /tmp/bpde-* folder');
  const newIfaces = after.ifaces.filter((i) => !before.ifaces.includes(i));
  check(newIfaces.length === 0, `no new network interface (${after.ifaces.join(' ')})`);
  check(after.mounts.length === 0, 'nothing mounted under /tmp/bpde-*');
  // dockerd writes /etc/docker/key.json; another private engine running at the same time may have
  // written it before this one started, or remove it after, so then the strict check cannot hold.
  const others = [...before.bpde, ...after.bpde].filter((d) => {
    try {
      return fs.existsSync(`/proc/${Number(fs.readFileSync(`/tmp/${d}/dockerd.pid`, 'utf8'))}`);
    } catch {
      return false;
    }
  });
  if (others.length) log(`not checking /etc/docker: other private engines are running (${[...new Set(others)].join(' ')})`);
  else {
    check(JSON.stringify(after.etcDocker) === JSON.stringify(before.etcDocker), `/etc/docker as before (${JSON.stringify(before.etcDocker)})`);
    check(after.runContainerd === before.runContainerd, `/run/containerd ${before.runContainerd ? 'still there as before' : 'not left behind'}`);
  }
  const procs = fs
    .readdirSync('/proc')
    .filter((p) => /^\d+$/.test(p))
    .filter((p) => {
      try {
        return fs.readFileSync(`/proc/${p}/cmdline`, 'utf8').includes(engine.dir);
      } catch {
        return false;
      }
    });
  check(procs.length === 0, 'no process mentions the engine folder');
  const cg = fs.readdirSync('/sys/fs/cgroup').filter((h) => fs.existsSync(path.join('/sys/fs/cgroup', h, path.basename(engine.dir))));
  check(cg.length === 0, 'no cgroup of the engine is left');

  const cacheFiles = fs
    .readdirSync(CACHE)
    .filter((f) => f.endsWith('.tar'))
    .map((f) => `${f} ${(fs.statSync(path.join(CACHE, f)).size / 1e6).toFixed(0)} MB`);
  log(`cache files: ${cacheFiles.join(', ')}`);
  log(
    `phases: ${Object.entries(phases)
      .map(([k, v]) => `${k} ${(v / 1000).toFixed(1)} s`)
      .join(', ')}`,
  );
  log(`smoke passed in ${secs(T0)}`);
}

main().catch((e) => {
  process.stderr.write(`[smoke] FAILED after ${secs(T0)}: ${e && e.stack ? e.stack : e}\n`);
  process.exitCode = 1;
});
