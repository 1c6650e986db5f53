#!/usr/bin/env node
// Builds the stand-in images with the engine helper (lib/engine.mjs) and checks them in a private
// Docker engine: which HTTP client each TOOLS variant has, Node 18 inside, prompt SIGTERM, Kafka's
// healthcheck script, NATS servers sharing the network alias `nats` with a client-only process, and
// an agent container dialling a bindplane container (refused: no PostgreSQL here, so no project key),
// the bindplane CLI in the bindplane image.
//   node __tests__/engine/images/standin/dockercheck.mjs   (root; BPD_ENGINE_CACHE as engine.mjs)
// Prints "N passed, N failed". Stops its engine (and with it every container) at the end.
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const { startEngine, ensureImages, docker } = await import(path.join(HERE, '../../lib/engine.mjs'));
const log = (m) => process.stderr.write(`[dockercheck] ${m}\n`);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

const V = '1.0.0-standin';
const spec = (role, tools) => ({ tag: `bpd-standin/${role}:${tools}`, recipe: 'standin', buildArgs: { ROLE: role, TOOLS: tools, VERSION: `${V}-${tools}` } });
const SPECS = [spec('bindplane', 'bash'), spec('bindplane', 'curl'), spec('bindplane', 'wget'), spec('transform-agent', 'curl'), spec('kafka', 'bash'), spec('agent', 'bash')];

let passed = 0;
let failed = 0;
const check = (ok, what, extra = '') => {
  if (ok) passed++;
  else failed++;
  console.log(`  ${ok ? 'ok  ' : 'FAIL'} ${what}${extra && !ok ? `\n      ${extra}` : ''}`);
};

const bindplaneEnv = (extra) =>
  Object.entries({
    BINDPLANE_MODE: 'node',
    BINDPLANE_ACCEPT_EULA: 'true',
    BINDPLANE_HOST: '0.0.0.0',
    BINDPLANE_PORT: '3001',
    BINDPLANE_REMOTE_URL: 'http://loadbalancer:8080',
    BINDPLANE_LICENSE: 'l',
    BINDPLANE_USERNAME: 'admin',
    BINDPLANE_PASSWORD: 'pw',
    BINDPLANE_SESSION_SECRET: 's',
    BINDPLANE_STORE_TYPE: 'postgres',
    BINDPLANE_EVENT_BUS_TYPE: 'nats',
    BINDPLANE_NATS_CLIENT_ENDPOINT: 'nats://nats:4222',
    BINDPLANE_NATS_CLIENT_SUBJECT: 'bindplane-event-bus',
    ...extra,
  }).flatMap(([k, v]) => ['-e', `${k}=${v}`]);
const natsServerEnv = (name) => ({
  BINDPLANE_NATS_SERVER_ENABLE: 'true',
  BINDPLANE_NATS_SERVER_NAME: name,
  BINDPLANE_NATS_CLIENT_NAME: name,
  BINDPLANE_NATS_SERVER_CLIENT_HOST: '0.0.0.0',
  BINDPLANE_NATS_SERVER_CLIENT_PORT: '4222',
  BINDPLANE_NATS_SERVER_HTTP_HOST: '0.0.0.0',
  BINDPLANE_NATS_SERVER_HTTP_PORT: '8222',
  BINDPLANE_NATS_SERVER_CLUSTER_NAME: 'dockercheck',
  BINDPLANE_NATS_SERVER_CLUSTER_HOST: '0.0.0.0',
  BINDPLANE_NATS_SERVER_CLUSTER_PORT: '6222',
  BINDPLANE_NATS_SERVER_CLUSTER_ROUTES: 'nats://bp-1:6222,nats://bp-2:6222',
});

/** GET inside a container with bash's /dev/tcp (works in every TOOLS variant). */
async function bashGet(engine, container, url) {
  const u = new URL(url);
  const script = `exec 3<>/dev/tcp/${u.hostname}/${u.port}; printf 'GET ${u.pathname}${u.search} HTTP/1.0\\r\\nHost: x\\r\\n\\r\\n' >&3; cat <&3`;
  const r = await docker(engine, ['exec', container, 'bash', '-c', script], { allowFail: true, timeoutMs: 20_000 });
  const [head, ...body] = r.stdout.split('\r\n\r\n');
  return { status: Number((/^HTTP\/1\.\d (\d+)/.exec(head) || [])[1]), head, body: body.join('\r\n\r\n') };
}

const engine = await startEngine({ log });
try {
  await ensureImages(engine, SPECS, { log });
  for (const tools of ['bash', 'curl', 'wget']) {
    const r = await docker(engine, ['run', '--rm', '--entrypoint', 'sh', `bpd-standin/bindplane:${tools}`, '-c', 'for t in curl wget; do command -v $t >/dev/null && echo "$t:yes" || echo "$t:no"; done; node --version; printenv BPD_STANDIN_ROLE BPD_STANDIN_VERSION'], { timeoutMs: 60_000 });
    const out = r.stdout.trim().split('\n');
    check(out[0] === `curl:${tools === 'curl' ? 'yes' : 'no'}` && out[1] === `wget:${tools === 'wget' ? 'yes' : 'no'}`, `${tools} variant: ${out.slice(0, 2).join(' ')}`, r.stdout);
    check(/^v18\./.test(out[2]), `${tools} variant runs Node ${out[2]}`);
    check(out[3] === 'bindplane' && out[4] === `${V}-${tools}`, `${tools} variant env ${out[3]} ${out[4]}`);
  }
  await docker(engine, ['network', 'create', 'bpd-check']);
  // Two NATS servers behind the alias `nats`, one client-only node.
  const run = (name, image, args, aliases = []) => docker(engine, ['run', '-d', '--name', name, '--hostname', name, '--network', 'bpd-check', ...aliases.flatMap((a) => ['--network-alias', a]), ...args, image], { timeoutMs: 60_000 });
  await run('bp-1', 'bpd-standin/bindplane:curl', bindplaneEnv({ BINDPLANE_MODE: 'all', ...natsServerEnv('bp-1') }).concat([]), ['nats']);
  await run('bp-2', 'bpd-standin/bindplane:wget', bindplaneEnv(natsServerEnv('bp-2')), ['nats']);
  await run('bp-3', 'bpd-standin/bindplane:bash', bindplaneEnv({ BINDPLANE_NATS_CLIENT_NAME: 'bp-3' }));
  const busOk = async (c) => {
    for (let i = 0; i < 40; i++) {
      const h = await bashGet(engine, c, 'http://127.0.0.1:3001/health');
      try {
        const j = JSON.parse(h.body);
        if (j.checks.eventbus.ok) return { status: h.status, j, head: h.head };
      } catch {}
      await sleep(500);
    }
    return null;
  };
  const results = {};
  for (const c of ['bp-1', 'bp-2', 'bp-3']) {
    results[c] = await busOk(c);
    check(!!results[c], `${c}: event bus check passes in Docker (${results[c] ? JSON.stringify(results[c].j.checks.eventbus.detail) : 'never'})`);
    check(results[c] && results[c].status === 503 && /X-Bindplane-Instance: /i.test(results[c].head), `${c}: /health 503 without PostgreSQL/Prometheus, with the instance header`);
  }
  const curlOut = await docker(engine, ['exec', 'bp-1', 'curl', '-s', '-o', '/dev/null', '-w', '%{http_code}', 'http://127.0.0.1:3001/health'], { allowFail: true });
  check(curlOut.stdout === '503', `curl healthcheck command in the curl variant answers ${curlOut.stdout}`);
  const wgetOut = await docker(engine, ['exec', 'bp-2', 'sh', '-c', 'wget -q -O /dev/null http://127.0.0.1:3001/some/page && echo ok'], { allowFail: true });
  check(wgetOut.stdout.trim() === 'ok', 'wget in the wget variant reaches the stand-in');
  const dig = await docker(engine, ['exec', 'bp-3', 'getent', 'ahostsv4', 'nats'], { allowFail: true });
  const addrs = new Set(dig.stdout.split('\n').map((l) => l.split(/\s+/)[0]).filter(Boolean));
  check(addrs.size === 2, `the alias nats resolves to ${addrs.size} addresses in bp-3`);
  await sleep(2000); // routes
  const msg = `docker-${Date.now()}`;
  await bashGet(engine, 'bp-3', `http://127.0.0.1:3001/standin/nats/publish?msg=${msg}`);
  await sleep(1500);
  for (const c of ['bp-1', 'bp-2', 'bp-3']) {
    const r = await bashGet(engine, c, 'http://127.0.0.1:3001/standin/nats/received');
    check(r.body.includes(msg), `${c} received the message published through bp-3`);
  }
  // An agent container dialling bp-1: refused (bp-1 has no PostgreSQL here, so no project key), and
  // its manager.yaml written from OPAMP_* (js-yaml is in the image).
  await run('agent-1', 'bpd-standin/agent:bash', ['-e', 'OPAMP_ENDPOINT=ws://bp-1:3001/v1/opamp', '-e', 'OPAMP_SECRET_KEY=key-1', '-e', 'OPAMP_LABELS=demo=true']);
  await sleep(2500);
  const alog = await docker(engine, ['logs', 'agent-1'], { allowFail: true });
  check(/Failed to connect to server: handshake refused: HTTP\/1\.1 503/.test(alog.stdout), 'agent container dials bp-1 and is refused while the store is not ready', alog.stdout + alog.stderr);
  const idFile = await docker(engine, ['exec', 'agent-1', 'sh', '-c', 'stat -c %a /etc/otel/manager.yaml; cat /etc/otel/manager.yaml'], { allowFail: true });
  check(/^600\n/.test(idFile.stdout) && /agent_id: [0-9a-f-]{36}/.test(idFile.stdout) && /secret_key: key-1/.test(idFile.stdout), '/etc/otel/manager.yaml written from OPAMP_* with mode 0600', idFile.stdout);
  const cliOut = await docker(engine, ['exec', 'bp-1', 'bindplane', 'get', 'projects', '--remote-url', 'http://127.0.0.1:3001', '--password', 'pw'], { allowFail: true });
  check(cliOut.code === 1 && /^Error: 503 Service Unavailable/.test(cliOut.stderr), `bindplane CLI in the image answers (${(cliOut.stdout + cliOut.stderr).trim()})`);
  // Kafka: one broker as the compose file configures it, and its healthcheck script.
  await run('kafka-1', 'bpd-standin/kafka:bash', [
    ...Object.entries({
      KAFKA_NODE_ID: '1',
      KAFKA_PROCESS_ROLES: 'broker,controller',
      KAFKA_LISTENERS: 'PLAINTEXT://:9092,CONTROLLER://:9093',
      KAFKA_ADVERTISED_LISTENERS: 'PLAINTEXT://kafka-1:9092',
      KAFKA_CONTROLLER_LISTENER_NAMES: 'CONTROLLER',
      KAFKA_LISTENER_SECURITY_PROTOCOL_MAP: 'CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT',
      KAFKA_INTER_BROKER_LISTENER_NAME: 'PLAINTEXT',
      KAFKA_CONTROLLER_QUORUM_VOTERS: '1@kafka-1:9093',
      KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR: '1',
      KAFKA_TRANSACTION_STATE_LOG_REPLICATION_FACTOR: '1',
      KAFKA_TRANSACTION_STATE_LOG_MIN_ISR: '1',
      KAFKA_DEFAULT_REPLICATION_FACTOR: '1',
      KAFKA_MIN_INSYNC_REPLICAS: '1',
      KAFKA_LOG_DIRS: '/var/lib/kafka/data',
      CLUSTER_ID: 'MkU3OEVBNTcwNTJENDM2Qk',
    }).flatMap(([k, v]) => ['-e', `${k}=${v}`]),
  ]);
  let hc = null;
  for (let i = 0; i < 20 && !(hc && hc.code === 0); i++) {
    await sleep(500);
    hc = await docker(engine, ['exec', 'kafka-1', '/opt/kafka/bin/kafka-broker-api-versions.sh', '--bootstrap-server', '127.0.0.1:9092'], { allowFail: true });
  }
  check(hc && hc.code === 0, `kafka healthcheck script exits 0 (${hc && (hc.stdout + hc.stderr).trim()})`);
  // docker stop: SIGTERM handled by PID 1, well within the 10 s grace.
  for (const c of ['bp-1', 'agent-1', 'kafka-1']) {
    const t0 = Date.now();
    await docker(engine, ['stop', c], { timeoutMs: 30_000 });
    const ms = Date.now() - t0;
    const st = await docker(engine, ['inspect', '--format', '{{.State.ExitCode}}', c]);
    check(ms < 5000 && st.stdout.trim() === '0', `docker stop ${c}: ${ms} ms, exit code ${st.stdout.trim()}`);
  }
  const ps = await docker(engine, ['exec', 'bp-2', 'sh', '-c', 'ls /proc | grep -E "^[0-9]+$" | while read p; do cat /proc/$p/comm 2>/dev/null; done'], { allowFail: true });
  check(ps.stdout.includes('nats-server'), 'bp-2 runs its nats-server');
} catch (e) {
  failed++;
  console.log(`  FAIL ${e.stack || e}`);
} finally {
  await engine.stop();
}
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);
