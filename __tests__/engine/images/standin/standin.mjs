#!/usr/bin/env node
// Stand-ins for the images no one can pull here (Bindplane, its transform agent, its agent, Kafka),
// for the engine tests that run a generated stack on a local Docker engine. One ESM file, Node 18
// built-ins plus js-yaml (the project's own dependency: ./js-yaml.mjs in the image, the js-yaml
// package when run from the checkout). Each role checks the wiring it is given as the real program
// would need it, and REFUSES what the real product refuses (a 503 with reasons, a 401/403, or exit 1
// where the real program refuses to start), so that a wrong generated value makes a test fail. It is
// not a model of the products beyond that.
//
// Vendor sources (our own code throughout; nothing below was copied, and NONE of it was proven
// against a real server or collector: no vendor image can be pulled here):
//   [SH]  observIQ/grrcon-2026-bindplane-demos selfhosted/README.md and selfhosted/docker-compose.yaml
//         (bindplane-ee 1.103.0); its fork adnanrahic/grrcon-2026-bindplane-demos .claude/90-selfhosted.md.
//   [OP]  the open-source Bindplane OP CLI, luis-sousa-pinto/bindplane-op at 847e632 (internal/cli:
//         flags, profiles, printer, get, apply).
//   [COL] observIQ/bindplane-otel-collector d1725ba: internal/extension/opampconnectionextension/
//         runtime/bootstrap.go and docs/opamp.md.
//   [REF] shared/reference/bindplane.md (variables, roles, the audit).
// Which behaviour follows which source:
//   - Fresh server: no organization, no project; every API call but `create organization` is 403
//     Forbidden, logged `project not in context` [SH]. `bindplane create organization NAME` prints the
//     organization and a `Default Project` with its SECRETKEY; `bindplane get projects` reads it back
//     [SH]. One organization per server here: a second `create organization` is refused (Error,
//     exit 1; the stand-in's choice, the vendor's answer is not known).
//   - The agents' key is the PROJECT's, minted from crypto.randomUUID at `create organization` (the
//     real key's format is not known), kept in PostgreSQL (stable while the database lives, new after
//     it is dropped) [SH]. OpAMP with no organization yet, with the server's BINDPLANE_SECRET_KEY, or
//     with any other key: 401 Unauthorized [SH]. BINDPLANE_SECRET_KEY stays a known, deprecated
//     variable and is not required [REF, SH].
//   - A new database gets its type library a few seconds after the jobs instance first migrated it
//     (BPD_STANDIN_TYPES_DELAY_MS, default 6000); until then an apply naming a type fails per
//     resource `unknown SourceType: X` / `unknown DestinationType: X` [SH: "~105 source types and
//     ~60 destination types asynchronously"; the stand-in seeds a few dozen, see TYPE_LIBRARY].
//   - CLI flags --remote-url, --username, --password, --profile, -o/--output json|table|yaml, each
//     flag also bound to BINDPLANE_REMOTE_URL / BINDPLANE_USERNAME / BINDPLANE_PASSWORD; precedence
//     flag > env > profile > default (admin/admin, http://127.0.0.1:3001) [OP]. Profiles in
//     $BINDPLANE_CONFIG_HOME/profiles/NAME.yaml (default ~/.bindplane): name, auth.username,
//     auth.password, network.remoteURL [OP]; `profile create|set` as in [SH] (only --remote-url,
//     --username, --password). Self-hosted servers take basic auth [SH].
//   - Tables: headers upper-cased, cells separated by tabs, no borders, rows sorted by the first
//     column; an empty result prints `No matching resources found.` [OP, its tablewriter test].
//     `get agents` columns ID, NAME, VERSION, STATUS, CONFIGURATION, CONNECTED, REPORTED,
//     DISCONNECTED, LABELS; -l/--selector k=v [OP]. The time columns are ages (e.g. `12s`): the
//     vendor's exact time format is not known. `get projects` columns NAME, ID, SECRETKEY [SH shows
//     the SECRETKEY column; the others are the stand-in's].
//   - `apply -f FILE|-` (repeatable, positional files too) prints `Kind name status` per resource,
//     status created|configured|unchanged|invalid|error, a reason on the next line after a tab;
//     per-resource invalid still exits 0; request and auth errors print `Error: ...` and exit 1 [OP].
//   - Errors print `Error: ...` on stderr and exit 1; unknown command / flag as cobra words them [OP].
//   - Collector [COL]: manager.yaml at $MANAGER_YAML_PATH, else manager.yaml in the working folder
//     /etc/otel (BPD_STANDIN_STATE_DIR here); keys endpoint, secret_key, agent_id, labels, agent_name,
//     tls_config.insecure_skip_verify. When the file exists it is used as is (only a missing
//     agent_id is filled in; OPAMP_* are not read); when absent it is written (mode 0600) from
//     OPAMP_ENDPOINT, OPAMP_SECRET_KEY, OPAMP_LABELS, OPAMP_AGENT_NAME, OPAMP_TLS_SKIP_VERIFY. A new
//     agent id is a UUIDv7. Logs `Successfully connected to server`; on 401 `Failed to connect to
//     server` and it keeps retrying (every 1 s here) [COL, SH: "retrying forever"].
//   - The transform agent has no OpAMP and no key; only the server calls it on 4568 [REF].
//
// Role from BPD_STANDIN_ROLE: bindplane | transform-agent | agent | kafka. BPD_STANDIN_VERSION is
// the image's tag (reported); BPD_STANDIN_INSTANCE overrides the instance name (the host name).
// Client modes (any role): `standin.mjs kafka-api-versions --bootstrap-server HOST:PORT`;
// `standin.mjs cli ARGS` is the `bindplane` command of the bindplane image (see cliMain).
//
// bindplane: listens on BINDPLANE_HOST (default 127.0.0.1):BINDPLANE_PORT (default 3001). Checks,
//   each retried every 1 s until it passes, then passed for good: config, postgres (the jobs instance,
//   mode all, migrates: the bpd_standin_* tables), prometheus, nats-server (when
//   BINDPLANE_NATS_SERVER_ENABLE=true), eventbus, transform-agents (when
//   BINDPLANE_TRANSFORM_AGENT_ENABLE_REMOTE=true). Every answer carries X-Bindplane-Instance and
//   X-Bindplane-Version. HTTP:
//     /health                    200 {instance, mode, version, checks} | 503 {..., failing: [{check, reason}]}
//     /standin/info              {instance, mode, version, healthy, organization, agents: [{id, name,
//                                version, labels, labelsRaw, userAgent, remoteAddress, remotePort,
//                                forwardedFor, connectedAt}], websocketConnectionsTotal, nats?: {...}}
//     /standin/nats/publish?msg=X publishes X on BINDPLANE_NATS_CLIENT_SUBJECT (503 when not connected)
//     /standin/nats/received     JSON list of the last 100 payloads received on the subject
//     /v1/...                    the CLI's API (the stand-in's own design; basic auth against
//                                BINDPLANE_USERNAME/BINDPLANE_PASSWORD, else 401; 403 before an
//                                organization exists, except POST /v1/organizations; 503 before the
//                                postgres check passed): POST /v1/organizations {name}, GET
//                                /v1/projects, GET /v1/agents?selector=k=v, GET /v1/resources?kind=K,
//                                POST /v1/apply {resources: [...]}
//     anything else (GET/HEAD)   200 {instance, path}
//   Websocket upgrades on /v1/opamp (needs `Authorization: Secret-Key <the project's key>`, else 401)
//   and /v1/graphql (no key); any other path 404. After the 101: one text frame {instance, path,
//   version}; text and binary frames echoed; pings answered; on /v1/opamp the node may also send
//   {type: 'configuration', name} when the agent's labels match a configuration's selector. Agents
//   come from the X-Agent-Id, X-Agent-Name, X-Agent-Version, X-Agent-Labels and User-Agent headers;
//   each node records its agents in PostgreSQL with a heartbeat every 5 s, and an agent whose row
//   was not refreshed for 15 s is Disconnected.
// transform-agent: BPD_STANDIN_HOST (0.0.0.0):BPD_STANDIN_PORT (4568); /collector-version ->
//   200 v0.0.0-standin, /health -> 200.
// agent: manager.yaml as above (its endpoint ws[s]://host[:port]/v1/opamp). Logs `agent id <id>
//   (from <file>)` or `(new, written to <file>)`, the endpoint and where the key came from (never the
//   key), `connected to <instance> via <endpoint>` and `Successfully connected to server`; on a
//   refusal `Failed to connect to server: ...` once per distinct failure; retries every 1 s forever.
// kafka: the apache/kafka KRaft variables (see kafkaConfig); exits 1 on any violation. Listens on
//   each listener; broker listeners answer `APIVERSIONS` -> `OK` | `ERR no quorum` and
//   `METADATA <topic>` -> `OK <advertised host:port> <node id>`; controller listeners `PING` -> `PONG`.
import { execFile, spawn } from 'node:child_process';
import { createHash, randomBytes, randomInt, randomUUID } from 'node:crypto';
import dns from 'node:dns';
import { EventEmitter } from 'node:events';
import fs from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import tls from 'node:tls';
import { fileURLToPath } from 'node:url';

export const VERSION = process.env.BPD_STANDIN_VERSION || '0.0.0-dev';
// The instance name is the container's host name; BPD_STANDIN_INSTANCE overrides it for tests that
// run several stand-ins on one host.
export const HOSTNAME = process.env.BPD_STANDIN_INSTANCE || os.hostname();
const ROLE = process.env.BPD_STANDIN_ROLE || '';

// ---------------------------------------------------------------------------------------------
// Logging and shutdown

let logTag = ROLE || 'standin';
export function log(msg) {
  process.stdout.write(`${new Date().toISOString()} ${logTag}[${HOSTNAME}] ${msg}\n`);
}

let shuttingDown = false;
const cleanups = [];
/** It runs as PID 1 in a container: without handlers SIGTERM would be ignored. */
function installSignalHandlers() {
  const stop = async (sig) => {
    if (shuttingDown) return;
    shuttingDown = true;
    log(`${sig}: shutting down`);
    const hard = setTimeout(() => process.exit(0), 4000);
    hard.unref();
    for (const c of cleanups.reverse()) {
      try {
        await c();
      } catch (e) {
        log(`cleanup failed: ${e.message}`);
      }
    }
    process.exit(0);
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGHUP', () => stop('SIGHUP'));
}

// ---------------------------------------------------------------------------------------------
// Small helpers

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function withTimeout(promise, ms, what) {
  let t;
  return Promise.race([
    promise.finally(() => clearTimeout(t)),
    new Promise((_, reject) => {
      t = setTimeout(() => reject(new Error(`${what}: no answer within ${ms} ms`)), ms);
    }),
  ]);
}

/** Go's strconv.ParseBool, which Bindplane's configuration library (and the agent) use. */
export function parseBool(v) {
  if (v === undefined) return undefined;
  if (['1', 't', 'T', 'TRUE', 'true', 'True'].includes(v)) return true;
  if (['0', 'f', 'F', 'FALSE', 'false', 'False'].includes(v)) return false;
  return null;
}

const isPort = (v) => /^\d+$/.test(String(v)) && Number(v) >= 1 && Number(v) <= 65535;

/** `host:port` or `[v6]:port` -> {host, port}; null when malformed. */
export function parseHostPort(s) {
  const m = /^(\[[^\]]+\]|[^:\s/]+):(\d+)$/.exec(String(s).trim());
  if (!m || !isPort(m[2])) return null;
  return { host: m[1].replace(/^\[|\]$/g, ''), port: Number(m[2]) };
}

/** js-yaml: the copy next to this file in the image, else the package (run from the checkout). */
let yamlLib = null;
export async function loadYaml() {
  if (yamlLib) return yamlLib;
  let mod;
  try {
    mod = await import('./js-yaml.mjs');
  } catch (e) {
    if (e.code !== 'ERR_MODULE_NOT_FOUND') throw e;
    mod = await import('js-yaml');
  }
  yamlLib = mod.load ? mod : mod.default;
  return yamlLib;
}

/** A UUIDv7 (48-bit Unix milliseconds, version 7, RFC 4122 variant, random rest): the collector's new agent ids. */
export function uuidv7(nowMs = Date.now()) {
  const b = randomBytes(16);
  let t = BigInt(nowMs);
  for (let i = 5; i >= 0; i--) {
    b[i] = Number(t & 0xffn);
    t >>= 8n;
  }
  b[6] = (b[6] & 0x0f) | 0x70;
  b[8] = (b[8] & 0x3f) | 0x80;
  const h = b.toString('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

/**
 * A table as the CLI prints it: upper-cased headers, tab-separated cells, no borders, rows sorted by
 * their first cell; the header line ends with a space and each row with a tab, as the vendor's
 * tablewriter test expects ("A\tB\tC \n1\t2\t3\t\n"). No rows: `No matching resources found.`
 */
export function formatTable(headers, rows) {
  if (!rows.length) return 'No matching resources found.\n';
  const sorted = [...rows].map((r) => r.map((c) => (c === undefined || c === null || c === '' ? '-' : String(c)))).sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  return `${headers.map((h) => h.toUpperCase()).join('\t')} \n${sorted.map((r) => `${r.join('\t')}\t\n`).join('')}`;
}

/** Age of a time in whole units, like `12s`, `3m`, `5h`, `2d`. */
export function age(fromMs, nowMs = Date.now()) {
  const s = Math.max(0, Math.floor((nowMs - fromMs) / 1000));
  if (s < 120) return `${s}s`;
  if (s < 7200) return `${Math.floor(s / 60)}m`;
  if (s < 172800) return `${Math.floor(s / 3600)}h`;
  return `${Math.floor(s / 86400)}d`;
}

/** `k=v,k2=v2` -> {k: v, k2: v2}; keys sorted when printed back by labelsText. */
export function parseLabels(v) {
  const labels = {};
  for (const part of String(v || '').split(',').map((x) => x.trim()).filter(Boolean)) {
    const i = part.indexOf('=');
    if (i < 0) labels[part] = '';
    else labels[part.slice(0, i)] = part.slice(i + 1);
  }
  return labels;
}
export const labelsText = (labels) =>
  Object.keys(labels || {})
    .sort()
    .map((k) => `${k}=${labels[k]}`)
    .join(',');

function errText(e) {
  if (!e) return 'unknown error';
  const code = e.code && !String(e.message).includes(e.code) ? `${e.code} ` : '';
  return `${code}${e.message}`.trim();
}

/** One HTTP(S) request with a bounded time; never throws on a status, only on transport errors. */
export function httpRequest(method, urlStr, { headers = {}, body, timeoutMs = 5000, rejectUnauthorized = true } = {}) {
  return new Promise((resolve, reject) => {
    let u;
    try {
      u = new URL(urlStr);
    } catch {
      reject(new Error(`not a URL: ${urlStr}`));
      return;
    }
    const mod = u.protocol === 'https:' ? https : http;
    const h = { ...headers };
    if (body !== undefined && h['Content-Length'] === undefined) h['Content-Length'] = Buffer.byteLength(body);
    const req = mod.request(u, { method, headers: h, agent: false, rejectUnauthorized }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, body: Buffer.concat(chunks) }));
      res.on('error', (e) => reject(new Error(`${method} ${urlStr}: ${errText(e)}`)));
    });
    req.setTimeout(timeoutMs, () => req.destroy(new Error(`no answer within ${timeoutMs} ms`)));
    req.on('error', (e) => reject(new Error(`${method} ${urlStr}: ${errText(e)}`)));
    req.end(body);
  });
}

/** Connects, sends one line, resolves with the first line answered (without the newline). */
export function tcpExchange(host, port, line, timeoutMs = 3000) {
  return new Promise((resolve, reject) => {
    const sock = net.connect({ host, port });
    let buf = '';
    let done = false;
    const finish = (err, val) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      sock.destroy();
      if (err) reject(err);
      else resolve(val);
    };
    const timer = setTimeout(() => finish(new Error(`${host}:${port}: no answer within ${timeoutMs} ms`)), timeoutMs);
    sock.setEncoding('utf8');
    sock.on('connect', () => sock.write(`${line}\n`));
    sock.on('data', (d) => {
      buf += d;
      const i = buf.indexOf('\n');
      if (i >= 0) finish(null, buf.slice(0, i).replace(/\r$/, ''));
    });
    sock.on('error', (e) => finish(new Error(`${host}:${port}: ${errText(e)}`)));
    sock.on('close', () => finish(new Error(`${host}:${port}: connection closed without an answer`)));
  });
}

function listen(server, port, host, what) {
  return new Promise((resolve, reject) => {
    const onErr = (e) => reject(new Error(`${what}: cannot listen on ${host ?? '*'}:${port}: ${errText(e)}`));
    server.once('error', onErr);
    server.listen({ port, host: host || undefined }, () => {
      server.off('error', onErr);
      resolve();
    });
  });
}

function fatal(msg) {
  log(`FATAL: ${msg}`);
  process.exit(1);
}

// ---------------------------------------------------------------------------------------------
// Snappy (block format, literals only) and the protobuf of a Prometheus remote-write request

function varint(n) {
  let v = BigInt(n);
  const out = [];
  do {
    let b = Number(v & 0x7fn);
    v >>= 7n;
    if (v > 0n) b |= 0x80;
    out.push(b);
  } while (v > 0n);
  return Buffer.from(out);
}

/** Snappy block format using only literal elements: valid input for any snappy decoder. */
export function snappyEncode(input) {
  const parts = [varint(input.length)];
  for (let i = 0; i < input.length; i += 65536) {
    const chunk = input.subarray(i, i + 65536);
    const n = chunk.length - 1;
    if (n < 60) parts.push(Buffer.from([n << 2]));
    else if (n < 256) parts.push(Buffer.from([60 << 2, n]));
    else parts.push(Buffer.from([61 << 2, n & 0xff, n >> 8]));
    parts.push(chunk);
  }
  return Buffer.concat(parts);
}

/** Decoder for the same format (and copies), used by the self-test. */
export function snappyDecode(buf) {
  let pos = 0;
  let len = 0;
  let shift = 0;
  for (;;) {
    const b = buf[pos++];
    len += (b & 0x7f) * 2 ** shift;
    shift += 7;
    if (!(b & 0x80)) break;
  }
  const out = Buffer.alloc(len);
  let o = 0;
  while (pos < buf.length) {
    const tag = buf[pos++];
    const type = tag & 3;
    if (type === 0) {
      let n = tag >> 2;
      if (n >= 60) {
        const bytes = n - 59;
        n = 0;
        for (let i = 0; i < bytes; i++) n += buf[pos++] * 256 ** i;
      }
      n += 1;
      buf.copy(out, o, pos, pos + n);
      pos += n;
      o += n;
    } else {
      let length;
      let offset;
      if (type === 1) {
        length = ((tag >> 2) & 7) + 4;
        offset = ((tag >> 5) << 8) | buf[pos++];
      } else if (type === 2) {
        length = (tag >> 2) + 1;
        offset = buf.readUInt16LE(pos);
        pos += 2;
      } else {
        length = (tag >> 2) + 1;
        offset = buf.readUInt32LE(pos);
        pos += 4;
      }
      for (let i = 0; i < length; i++, o++) out[o] = out[o - offset];
    }
  }
  return out;
}

const pbField = (num, wire) => varint((num << 3) | wire);
const pbBytes = (num, payload) => Buffer.concat([pbField(num, 2), varint(payload.length), payload]);

/** prometheus.WriteRequest{timeseries: [{labels (sorted by name), samples: [{value, timestamp}]}]}. */
export function encodeWriteRequest(series) {
  const ts = series.map(({ labels, value, timestampMs }) => {
    const sorted = Object.entries(labels).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    const labelBufs = sorted.map(([k, v]) => pbBytes(1, Buffer.concat([pbBytes(1, Buffer.from(k)), pbBytes(2, Buffer.from(String(v)))])));
    const dbl = Buffer.alloc(8);
    dbl.writeDoubleLE(value);
    const sample = Buffer.concat([pbField(1, 1), dbl, pbField(2, 0), varint(timestampMs)]);
    return pbBytes(1, Buffer.concat([...labelBufs, pbBytes(2, sample)]));
  });
  return Buffer.concat(ts);
}

// ---------------------------------------------------------------------------------------------
// WebSocket (RFC 6455): handshake helpers and frames

const WS_GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11';
export const wsAccept = (key) => createHash('sha1').update(key + WS_GUID).digest('base64');
export const OP = { cont: 0, text: 1, binary: 2, close: 8, ping: 9, pong: 10 };

export function wsEncode(opcode, payload = Buffer.alloc(0), masked = false) {
  const data = Buffer.isBuffer(payload) ? payload : Buffer.from(String(payload));
  const len = data.length;
  let header;
  if (len < 126) header = Buffer.from([0x80 | opcode, (masked ? 0x80 : 0) | len]);
  else if (len < 65536) {
    header = Buffer.alloc(4);
    header[0] = 0x80 | opcode;
    header[1] = (masked ? 0x80 : 0) | 126;
    header.writeUInt16BE(len, 2);
  } else {
    header = Buffer.alloc(10);
    header[0] = 0x80 | opcode;
    header[1] = (masked ? 0x80 : 0) | 127;
    header.writeBigUInt64BE(BigInt(len), 2);
  }
  if (!masked) return Buffer.concat([header, data]);
  const key = randomBytes(4);
  const body = Buffer.alloc(len);
  for (let i = 0; i < len; i++) body[i] = data[i] ^ key[i & 3];
  return Buffer.concat([header, key, body]);
}

/**
 * A websocket over an upgraded socket. `side` is 'server' (frames received must be masked, frames
 * sent are not) or 'client' (the reverse). Emits 'message' (opcode, Buffer), 'ping', 'pong', 'close'
 * (code, reason, how).
 */
export class WsConn extends EventEmitter {
  constructor(socket, side, head) {
    super();
    this.socket = socket;
    this.side = side;
    this.buf = Buffer.alloc(0);
    this.fragments = null;
    this.closed = false;
    this.closeSent = false;
    socket.on('data', (d) => this.#push(d));
    socket.on('error', (e) => this.#finish(1006, errText(e), 'error'));
    socket.on('close', () => this.#finish(1006, 'connection closed without a close frame', 'dropped'));
    // Bytes that came with the handshake: parsed once the caller has attached its listeners.
    if (head && head.length) process.nextTick(() => this.#push(head));
  }

  send(opcode, payload) {
    if (this.closed || this.socket.destroyed) return;
    this.socket.write(wsEncode(opcode, payload, this.side === 'client'));
  }

  close(code = 1000, reason = '') {
    if (this.closeSent || this.socket.destroyed) return;
    this.closeSent = true;
    const p = Buffer.alloc(2 + Buffer.byteLength(reason));
    p.writeUInt16BE(code, 0);
    p.write(reason, 2);
    this.socket.write(wsEncode(OP.close, p, this.side === 'client'));
    setTimeout(() => this.socket.destroy(), 1000).unref();
  }

  terminate(reason) {
    this.#finish(1006, reason, 'terminated');
    this.socket.destroy();
  }

  #finish(code, reason, how) {
    if (this.closed) return;
    this.closed = true;
    this.emit('close', code, reason, how);
  }

  #protocolError(reason) {
    this.close(1002, reason.slice(0, 100));
    this.#finish(1002, reason, 'protocol error');
  }

  #push(d) {
    this.buf = this.buf.length ? Buffer.concat([this.buf, d]) : d;
    while (!this.closed) {
      const b = this.buf;
      if (b.length < 2) return;
      const fin = (b[0] & 0x80) !== 0;
      const opcode = b[0] & 0x0f;
      const masked = (b[1] & 0x80) !== 0;
      let len = b[1] & 0x7f;
      let off = 2;
      if (len === 126) {
        if (b.length < 4) return;
        len = b.readUInt16BE(2);
        off = 4;
      } else if (len === 127) {
        if (b.length < 10) return;
        len = Number(b.readBigUInt64BE(2));
        off = 10;
      }
      if (b[0] & 0x70) return this.#protocolError('reserved bits set');
      if (this.side === 'server' && !masked) return this.#protocolError('client frame not masked');
      if (this.side === 'client' && masked) return this.#protocolError('server frame masked');
      const keyLen = masked ? 4 : 0;
      if (b.length < off + keyLen + len) return;
      let payload = Buffer.from(b.subarray(off + keyLen, off + keyLen + len));
      if (masked) {
        const key = b.subarray(off, off + 4);
        for (let i = 0; i < payload.length; i++) payload[i] ^= key[i & 3];
      }
      this.buf = b.subarray(off + keyLen + len);
      if (opcode >= 8) {
        if (!fin || len > 125) return this.#protocolError('bad control frame');
        if (opcode === OP.ping) {
          this.send(OP.pong, payload);
          this.emit('ping', payload);
        } else if (opcode === OP.pong) this.emit('pong', payload);
        else if (opcode === OP.close) {
          const code = payload.length >= 2 ? payload.readUInt16BE(0) : 1005;
          const reason = payload.length > 2 ? payload.subarray(2).toString() : '';
          if (!this.closeSent) this.close(code === 1005 ? 1000 : code, '');
          this.#finish(code, reason, 'close frame');
          this.socket.end();
        } else return this.#protocolError(`unknown control opcode ${opcode}`);
        continue;
      }
      if (opcode === OP.cont) {
        if (!this.fragments) return this.#protocolError('continuation without a first frame');
        this.fragments.parts.push(payload);
      } else if (opcode === OP.text || opcode === OP.binary) {
        if (this.fragments) return this.#protocolError('new message inside a fragmented one');
        this.fragments = { opcode, parts: [payload] };
      } else return this.#protocolError(`unknown opcode ${opcode}`);
      if (fin) {
        const { opcode: op, parts } = this.fragments;
        this.fragments = null;
        this.emit('message', op, Buffer.concat(parts));
      }
    }
  }
}

// ---------------------------------------------------------------------------------------------
// NATS client (text protocol)

/**
 * Opens one NATS connection to address:port: waits for INFO, sends CONNECT (+PING, waits PONG so an
 * -ERR is seen), SUB subject (+PING/PONG). Resolves with {publish, close, address, info}; emits
 * messages through onMsg(subject, payload) and the end through onClose(reason).
 */
export function natsOpen({ address, port, name, subject, onMsg, onClose, timeoutMs = 5000 }) {
  return new Promise((resolve, reject) => {
    const sock = net.connect({ host: address, port });
    let buf = Buffer.alloc(0);
    let stage = 'info';
    let pending = null; // {subject, sid, reply, size}
    let settled = false;
    let info = null;
    const where = `${address.includes(':') ? `[${address}]` : address}:${port}`;
    const timer = setTimeout(() => fail(new Error(`${where}: NATS handshake timed out at stage ${stage}`)), timeoutMs);
    const fail = (e) => {
      if (!settled) {
        settled = true;
        clearTimeout(timer);
        sock.destroy();
        reject(e);
      } else sock.destroy();
    };
    const conn = {
      address: where,
      closed: false,
      publish: (subj, data) => {
        const p = Buffer.from(data);
        sock.write(Buffer.concat([Buffer.from(`PUB ${subj} ${p.length}\r\n`), p, Buffer.from('\r\n')]));
      },
      close: () => sock.destroy(),
      get info() {
        return info;
      },
    };
    const onLine = (line) => {
      const [op, ...rest] = line.split(' ');
      switch (op.toUpperCase()) {
        case 'INFO':
          try {
            info = JSON.parse(rest.join(' '));
          } catch {
            return fail(new Error(`${where}: bad INFO from server`));
          }
          if (stage === 'info') {
            if (info.auth_required) return fail(new Error(`${where}: server requires authentication, none is configured`));
            const connect = { verbose: false, pedantic: false, lang: 'node-standin', version: VERSION, protocol: 1, echo: true };
            if (name) connect.name = name;
            sock.write(`CONNECT ${JSON.stringify(connect)}\r\nPING\r\n`);
            stage = 'connect';
          }
          return;
        case 'PING':
          sock.write('PONG\r\n');
          return;
        case 'PONG':
          if (stage === 'connect') {
            sock.write(`SUB ${subject} 1\r\nPING\r\n`);
            stage = 'sub';
          } else if (stage === 'sub') {
            stage = 'ready';
            settled = true;
            clearTimeout(timer);
            resolve(conn);
          }
          return;
        case '+OK':
          return;
        case '-ERR':
          if (!settled) return fail(new Error(`${where}: server error ${rest.join(' ')}`));
          log(`nats: server error ${rest.join(' ')}`);
          return;
        case 'MSG': {
          // MSG <subject> <sid> [reply-to] <#bytes>
          const size = Number(rest[rest.length - 1]);
          pending = { subject: rest[0], size };
          return;
        }
        default:
          return fail(new Error(`${where}: unexpected protocol line ${JSON.stringify(line.slice(0, 80))}`));
      }
    };
    sock.on('data', (d) => {
      buf = buf.length ? Buffer.concat([buf, d]) : d;
      for (;;) {
        if (pending) {
          if (buf.length < pending.size + 2) return;
          const payload = buf.subarray(0, pending.size).toString();
          const subj = pending.subject;
          buf = buf.subarray(pending.size + 2);
          pending = null;
          if (onMsg) onMsg(subj, payload);
          continue;
        }
        const i = buf.indexOf('\r\n');
        if (i < 0) return;
        const line = buf.subarray(0, i).toString();
        buf = buf.subarray(i + 2);
        onLine(line);
        if (sock.destroyed) return;
      }
    });
    sock.on('error', (e) => {
      if (!settled) fail(new Error(`${where}: ${errText(e)}`));
    });
    sock.on('close', () => {
      conn.closed = true;
      if (!settled) fail(new Error(`${where}: connection closed during the NATS handshake (stage ${stage})`));
      else if (onClose) onClose(conn, `connection to ${where} closed`);
    });
  });
}

/** Order in which to try a name's addresses: one at random first, then the rest in random order. */
export function addressOrder(addresses, avoid = []) {
  const list = [...new Set(addresses)];
  for (let i = list.length - 1; i > 0; i--) {
    const j = randomInt(i + 1);
    [list[i], list[j]] = [list[j], list[i]];
  }
  // An address that just failed goes last, so a reconnect tries another one first.
  return [...list.filter((a) => !avoid.includes(a)), ...list.filter((a) => avoid.includes(a))];
}

// ---------------------------------------------------------------------------------------------
// Checks: each retried every second until it passes, then it stays passed.

class Checks {
  constructor() {
    this.items = new Map();
  }

  add(name, fn, timeoutMs = 20_000) {
    const item = { name, ok: false, reason: 'not checked yet', detail: undefined, since: new Date().toISOString(), attempts: 0 };
    this.items.set(name, item);
    log(`check ${name}: pending`);
    (async () => {
      while (!shuttingDown) {
        item.attempts++;
        try {
          const detail = await withTimeout(Promise.resolve().then(fn), timeoutMs, `check ${name}`);
          item.ok = true;
          item.reason = undefined;
          item.detail = detail;
          item.since = new Date().toISOString();
          log(`check ${name}: passed${detail !== undefined ? ` (${typeof detail === 'string' ? detail : JSON.stringify(detail)})` : ''}`);
          return;
        } catch (e) {
          const reason = e && e.message ? e.message : String(e);
          if (reason !== item.reason) {
            item.reason = reason;
            item.since = new Date().toISOString();
            log(`check ${name}: FAILED: ${reason}`);
          }
        }
        await sleep(1000);
      }
    })();
  }

  get allOk() {
    return [...this.items.values()].every((i) => i.ok);
  }

  toJSON() {
    return Object.fromEntries(
      [...this.items.values()].map((i) => [i.name, i.ok ? { ok: true, since: i.since, detail: i.detail } : { ok: false, reason: i.reason, since: i.since, attempts: i.attempts }]),
    );
  }
}

// ---------------------------------------------------------------------------------------------
// Role: bindplane

/** The variables Bindplane reads (shared/reference/bindplane.md) plus BINDPLANE_LOGGING_TYPE. */
export const BINDPLANE_VARS = new Set([
  // core
  'BINDPLANE_REMOTE_URL', 'BINDPLANE_HOST', 'BINDPLANE_PORT', 'BINDPLANE_ACCEPT_EULA', 'BINDPLANE_LICENSE', 'BINDPLANE_MODE',
  'BINDPLANE_LOGGING_OUTPUT', 'BINDPLANE_LOGGING_TYPE',
  // auth
  'BINDPLANE_USERNAME', 'BINDPLANE_PASSWORD', 'BINDPLANE_SESSION_SECRET', 'BINDPLANE_SECRET_KEY',
  // store
  'BINDPLANE_STORE_TYPE', 'BINDPLANE_POSTGRES_HOST', 'BINDPLANE_POSTGRES_PORT', 'BINDPLANE_POSTGRES_DATABASE', 'BINDPLANE_POSTGRES_USERNAME',
  'BINDPLANE_POSTGRES_PASSWORD', 'BINDPLANE_POSTGRES_SSL_MODE', 'BINDPLANE_POSTGRES_MAX_CONNECTIONS',
  // event bus
  'BINDPLANE_EVENT_BUS_TYPE',
  'BINDPLANE_KAFKA_BROKERS', 'BINDPLANE_KAFKA_TOPIC', 'BINDPLANE_KAFKA_PROTOCOL_VERSION', 'BINDPLANE_KAFKA_AUTH_TYPE', 'BINDPLANE_KAFKA_SASL_USERNAME',
  'BINDPLANE_KAFKA_SASL_PASSWORD', 'BINDPLANE_KAFKA_SASL_MECHANISM', 'BINDPLANE_KAFKA_ENABLE_TLS', 'BINDPLANE_KAFKA_TLS_CA', 'BINDPLANE_KAFKA_TLS_SKIP_VERIFY',
  'BINDPLANE_GOOGLE_PUB_SUB_PROJECT_ID', 'BINDPLANE_GOOGLE_PUB_SUB_TOPIC', 'BINDPLANE_GOOGLE_PUB_SUB_CREDENTIALS_FILE', 'BINDPLANE_GOOGLE_PUB_SUB_ENDPOINT',
  'BINDPLANE_GOOGLE_PUB_SUB_INSECURE',
  'BINDPLANE_NATS_SERVER_ENABLE', 'BINDPLANE_NATS_SERVER_NAME', 'BINDPLANE_NATS_SERVER_CLIENT_HOST', 'BINDPLANE_NATS_SERVER_CLIENT_PORT',
  'BINDPLANE_NATS_SERVER_HTTP_HOST', 'BINDPLANE_NATS_SERVER_HTTP_PORT', 'BINDPLANE_NATS_SERVER_CLUSTER_NAME', 'BINDPLANE_NATS_SERVER_CLUSTER_HOST',
  'BINDPLANE_NATS_SERVER_CLUSTER_PORT', 'BINDPLANE_NATS_SERVER_CLUSTER_ROUTES', 'BINDPLANE_NATS_CLIENT_NAME', 'BINDPLANE_NATS_CLIENT_ENDPOINT',
  'BINDPLANE_NATS_CLIENT_SUBJECT',
  // prometheus
  'BINDPLANE_PROMETHEUS_ENABLE', 'BINDPLANE_PROMETHEUS_ENABLE_REMOTE', 'BINDPLANE_PROMETHEUS_HOST', 'BINDPLANE_PROMETHEUS_PORT',
  'BINDPLANE_PROMETHEUS_QUERY_PATH_PREFIX', 'BINDPLANE_PROMETHEUS_REMOTE_WRITE_HOST', 'BINDPLANE_PROMETHEUS_REMOTE_WRITE_PORT',
  'BINDPLANE_PROMETHEUS_REMOTE_WRITE_ENDPOINT', 'BINDPLANE_PROMETHEUS_AUTH_TYPE', 'BINDPLANE_PROMETHEUS_AUTH_USERNAME', 'BINDPLANE_PROMETHEUS_AUTH_PASSWORD',
  'BINDPLANE_PROMETHEUS_ENABLE_TLS',
  // transform agents
  'BINDPLANE_TRANSFORM_AGENT_ENABLE_REMOTE', 'BINDPLANE_TRANSFORM_AGENT_REMOTE_AGENTS',
]);

/** The config check: what Bindplane would refuse or silently ignore. Returns the list of problems. */
export function bindplaneConfigProblems(env) {
  const p = [];
  const nonEmpty = (k) => {
    if (!env[k]) p.push(`${k} is empty or unset`);
  };
  const unknown = Object.keys(env)
    .filter((k) => k.startsWith('BINDPLANE_') && !BINDPLANE_VARS.has(k))
    .sort();
  for (const k of unknown) p.push(`unknown variable ${k}: Bindplane does not read it (misspelt?)`);
  if (!['node', 'all'].includes(env.BINDPLANE_MODE)) p.push(`BINDPLANE_MODE is ${JSON.stringify(env.BINDPLANE_MODE ?? null)}, expected node or all`);
  if (parseBool(env.BINDPLANE_ACCEPT_EULA) !== true) p.push(`BINDPLANE_ACCEPT_EULA is ${JSON.stringify(env.BINDPLANE_ACCEPT_EULA ?? null)}, expected true`);
  // BINDPLANE_SECRET_KEY is deprecated and not required: agents use the project's key ([SH], [REF]).
  for (const k of ['BINDPLANE_LICENSE', 'BINDPLANE_USERNAME', 'BINDPLANE_PASSWORD', 'BINDPLANE_SESSION_SECRET']) nonEmpty(k);
  try {
    const u = new URL(env.BINDPLANE_REMOTE_URL ?? '');
    if (!['http:', 'https:'].includes(u.protocol) || !u.hostname) throw new Error();
  } catch {
    p.push(`BINDPLANE_REMOTE_URL ${JSON.stringify(env.BINDPLANE_REMOTE_URL ?? null)} is not an http(s) URL`);
  }
  if (env.BINDPLANE_STORE_TYPE !== 'postgres') p.push(`BINDPLANE_STORE_TYPE is ${JSON.stringify(env.BINDPLANE_STORE_TYPE ?? null)}, expected postgres`);
  if (env.BINDPLANE_PORT !== undefined && !isPort(env.BINDPLANE_PORT)) p.push(`BINDPLANE_PORT ${JSON.stringify(env.BINDPLANE_PORT)} is not a port`);
  if (env.BINDPLANE_HOST !== undefined && !env.BINDPLANE_HOST) p.push('BINDPLANE_HOST is empty');
  if (env.BINDPLANE_LOGGING_OUTPUT !== undefined && !['stdout', 'file'].includes(env.BINDPLANE_LOGGING_OUTPUT))
    p.push(`BINDPLANE_LOGGING_OUTPUT is ${JSON.stringify(env.BINDPLANE_LOGGING_OUTPUT)}, expected stdout or file`);
  if (!['nats', 'kafka', 'googlePubSub'].includes(env.BINDPLANE_EVENT_BUS_TYPE))
    p.push(`BINDPLANE_EVENT_BUS_TYPE is ${JSON.stringify(env.BINDPLANE_EVENT_BUS_TYPE ?? null)}, expected nats, kafka or googlePubSub`);
  for (const k of Object.keys(env)) {
    if (/_(ENABLE|ENABLE_REMOTE|INSECURE|ENABLE_TLS|SKIP_VERIFY|ACCEPT_EULA)$/.test(k) && BINDPLANE_VARS.has(k) && env[k] !== '' && parseBool(env[k]) === null)
      p.push(`${k} is ${JSON.stringify(env[k])}, not a boolean`);
  }
  const remote = parseBool(env.BINDPLANE_TRANSFORM_AGENT_ENABLE_REMOTE) === true;
  if (!remote && env.BINDPLANE_TRANSFORM_AGENT_REMOTE_AGENTS)
    p.push('BINDPLANE_TRANSFORM_AGENT_REMOTE_AGENTS is set but BINDPLANE_TRANSFORM_AGENT_ENABLE_REMOTE is not true: the agents would be ignored');
  return p;
}

function sqlString(s) {
  return `'${String(s).replace(/'/g, "''")}'`;
}

function conninfoValue(s) {
  return `'${String(s).replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
}

function runPsql(env, sql) {
  const conninfo = [
    `host=${conninfoValue(env.BINDPLANE_POSTGRES_HOST)}`,
    `port=${conninfoValue(env.BINDPLANE_POSTGRES_PORT)}`,
    `dbname=${conninfoValue(env.BINDPLANE_POSTGRES_DATABASE)}`,
    `user=${conninfoValue(env.BINDPLANE_POSTGRES_USERNAME)}`,
    `sslmode=${conninfoValue(env.BINDPLANE_POSTGRES_SSL_MODE || 'disable')}`,
    'connect_timeout=5',
    `application_name=${conninfoValue(`bpd-standin-${HOSTNAME}`)}`,
  ].join(' ');
  // Only what is given here counts: no PG* variable of the environment leaks in.
  const childEnv = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('PG')));
  if (env.BINDPLANE_POSTGRES_PASSWORD) childEnv.PGPASSWORD = env.BINDPLANE_POSTGRES_PASSWORD;
  return new Promise((resolve, reject) => {
    execFile('psql', ['-X', '-w', '-v', 'ON_ERROR_STOP=1', '-Atc', sql, conninfo], { env: childEnv, timeout: 15_000, killSignal: 'SIGKILL' }, (err, stdout, stderr) => {
      if (err) {
        const text = (stderr || err.message).trim().split('\n').slice(0, 3).join(' / ');
        reject(new Error(`psql to ${env.BINDPLANE_POSTGRES_HOST}:${env.BINDPLANE_POSTGRES_PORT}/${env.BINDPLANE_POSTGRES_DATABASE} as ${env.BINDPLANE_POSTGRES_USERNAME}: ${text}`));
      } else resolve(stdout.trim());
    });
  });
}

// The server's state in PostgreSQL (the jobs instance creates the tables when it migrates).
const STORE_SCHEMA = `
CREATE TABLE IF NOT EXISTS bpd_standin_schema(version text, applied_at timestamptz default now());
CREATE TABLE IF NOT EXISTS bpd_standin_organization(one boolean PRIMARY KEY DEFAULT true CHECK (one), id text NOT NULL, name text NOT NULL, created_at timestamptz NOT NULL DEFAULT now());
CREATE TABLE IF NOT EXISTS bpd_standin_project(id text PRIMARY KEY, organization_id text NOT NULL, name text NOT NULL, secret_key text NOT NULL UNIQUE, created_at timestamptz NOT NULL DEFAULT now());
CREATE TABLE IF NOT EXISTS bpd_standin_resource_type(kind text NOT NULL, name text NOT NULL, PRIMARY KEY (kind, name));
CREATE TABLE IF NOT EXISTS bpd_standin_resource(kind text NOT NULL, name text NOT NULL, body text NOT NULL, updated_at timestamptz NOT NULL DEFAULT now(), PRIMARY KEY (kind, name));
CREATE TABLE IF NOT EXISTS bpd_standin_agent(id text PRIMARY KEY, name text NOT NULL, labels text NOT NULL, version text NOT NULL, instance text NOT NULL,
  connected_at timestamptz NOT NULL, heartbeat_at timestamptz NOT NULL, disconnected_at timestamptz);
`;

/** A few of the vendor's types (the real library has ~105 source and ~60 destination types [SH]). */
export const TYPE_LIBRARY = {
  SourceType: ['host', 'otlp', 'file_log', 'custom', 'prometheus', 'k8s_cluster', 'k8s_container', 'k8s_kubelet', 'k8s_events', 'apache_common', 'apache_http', 'nginx', 'mysql', 'postgresql', 'redis', 'mongodb', 'kafka_cluster', 'syslog', 'journald', 'tcp', 'udp', 'fluentforward', 'jvm', 'windows_events', 'docker', 'elasticsearch', 'rabbitmq', 'haproxy', 'iis', 'sqlserver'],
  DestinationType: ['custom', 'otlp', 'otlp_http', 'logging', 'googlecloud', 'prometheus_remote_write', 'elasticsearch', 'splunk_hec', 'datadog', 'newrelic_otlp', 'loki', 'kafka_otlp', 'aws_s3', 'azure_blob', 'bindplane_gateway', 'dev_null'],
};
const TYPE_KINDS = { Source: 'SourceType', Destination: 'DestinationType' };

const jsonQuery = (select) => `SELECT coalesce(json_agg(x), '[]'::json) FROM (${select}) x`;

/**
 * The organization a handshake checks the key against: read again at most every 2 s once it
 * exists (agents reconnect often, and each read is a psql process); a server without one asks
 * every time, so an organization made a moment ago counts at once.
 */
let handshakeOrg = { org: null, at: 0 };
async function organizationForHandshake(store) {
  if (handshakeOrg.org && Date.now() - handshakeOrg.at < 2000) return handshakeOrg.org;
  const org = await store.organization();
  handshakeOrg = { org, at: Date.now() };
  return org;
}

/** The store of one bindplane process: every read and write goes through psql. */
function makeStore(env) {
  const q = (sql) => runPsql(env, sql);
  const rows = async (select) => JSON.parse((await q(jsonQuery(select))) || '[]');
  return {
    async organization() {
      const r = await rows('SELECT o.id, o.name, p.id AS project_id, p.name AS project_name, p.secret_key FROM bpd_standin_organization o LEFT JOIN bpd_standin_project p ON p.organization_id = o.id ORDER BY p.created_at LIMIT 1');
      return r[0] || null;
    },
    /** Creates the organization and its Default Project; null when one exists already. */
    async createOrganization(name) {
      const orgId = randomUUID();
      const projectId = randomUUID();
      const key = randomUUID();
      const r = await q(
        `WITH o AS (INSERT INTO bpd_standin_organization(id, name) VALUES (${sqlString(orgId)}, ${sqlString(name)}) ON CONFLICT DO NOTHING RETURNING id, name),
         p AS (INSERT INTO bpd_standin_project(id, organization_id, name, secret_key) SELECT ${sqlString(projectId)}, o.id, 'Default Project', ${sqlString(key)} FROM o RETURNING id, name, secret_key)
         SELECT coalesce(json_agg(x), '[]'::json) FROM (SELECT o.id, o.name, p.id AS project_id, p.name AS project_name, p.secret_key FROM o, p) x`,
      );
      return JSON.parse(r || '[]')[0] || null;
    },
    async types() {
      const r = await rows('SELECT kind, name FROM bpd_standin_resource_type');
      const out = { SourceType: new Set(), DestinationType: new Set() };
      for (const t of r) out[t.kind]?.add(t.name);
      return out;
    },
    async seedTypes() {
      const values = Object.entries(TYPE_LIBRARY).flatMap(([kind, names]) => names.map((n) => `(${sqlString(kind)}, ${sqlString(n)})`));
      await q(`INSERT INTO bpd_standin_resource_type(kind, name) VALUES ${values.join(', ')} ON CONFLICT DO NOTHING`);
    },
    async resources(kind) {
      const r = await rows(`SELECT kind, name, body FROM bpd_standin_resource${kind ? ` WHERE kind = ${sqlString(kind)}` : ''} ORDER BY kind, name`);
      return r.map((x) => ({ kind: x.kind, name: x.name, body: x.body, doc: JSON.parse(x.body) }));
    },
    async putResources(list) {
      if (!list.length) return;
      const values = list.map((x) => `(${sqlString(x.kind)}, ${sqlString(x.name)}, ${sqlString(x.body)}, now())`);
      await q(`INSERT INTO bpd_standin_resource(kind, name, body, updated_at) VALUES ${values.join(', ')} ON CONFLICT (kind, name) DO UPDATE SET body = EXCLUDED.body, updated_at = now()`);
    },
    async agentConnected(a) {
      await q(
        `INSERT INTO bpd_standin_agent(id, name, labels, version, instance, connected_at, heartbeat_at) VALUES (${[a.id, a.name, a.labelsRaw, a.version, HOSTNAME].map(sqlString).join(', ')}, now(), now())
         ON CONFLICT (id) DO UPDATE SET name = EXCLUDED.name, labels = EXCLUDED.labels, version = EXCLUDED.version, instance = EXCLUDED.instance, connected_at = now(), heartbeat_at = now(), disconnected_at = NULL`,
      );
    },
    async agentsHeartbeat(ids) {
      if (!ids.length) return;
      await q(`UPDATE bpd_standin_agent SET heartbeat_at = now() WHERE instance = ${sqlString(HOSTNAME)} AND disconnected_at IS NULL AND id IN (${ids.map(sqlString).join(', ')})`);
    },
    async agentDisconnected(id) {
      await q(`UPDATE bpd_standin_agent SET disconnected_at = now() WHERE id = ${sqlString(id)} AND instance = ${sqlString(HOSTNAME)} AND disconnected_at IS NULL`);
    },
    async agents() {
      return rows(
        `SELECT id, name, labels, version, instance, (extract(epoch FROM connected_at) * 1000)::bigint AS connected_ms, (extract(epoch FROM heartbeat_at) * 1000)::bigint AS heartbeat_ms,
           (extract(epoch FROM disconnected_at) * 1000)::bigint AS disconnected_ms, (extract(epoch FROM now()) * 1000)::bigint AS now_ms,
           (disconnected_at IS NULL AND heartbeat_at > now() - interval '${AGENT_STALE_S} seconds') AS connected
         FROM bpd_standin_agent ORDER BY id`,
      );
    },
  };
}
// Every 5 s, stale after 15 s: each beat is a psql process, and the engine tier runs 8 stacks at once.
const AGENT_HEARTBEAT_MS = 5000;
const AGENT_STALE_S = 15;

/** The configuration an agent gets: the first by name whose non-empty matchLabels all match its labels. */
export function configurationFor(labels, configurations) {
  for (const c of [...configurations].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))) {
    const m = c.doc?.spec?.selector?.matchLabels;
    if (!m || typeof m !== 'object' || !Object.keys(m).length) continue;
    if (Object.entries(m).every(([k, v]) => labels[k] === String(v))) return c.name;
  }
  return null;
}

/** JSON with sorted keys: what `unchanged` compares. */
function canonical(v) {
  if (Array.isArray(v)) return `[${v.map(canonical).join(',')}]`;
  if (v && typeof v === 'object') return `{${Object.keys(v).sort().map((k) => `${JSON.stringify(k)}:${canonical(v[k])}`).join(',')}}`;
  return JSON.stringify(v ?? null);
}

const RESOURCE_API_VERSIONS = {
  Configuration: ['bindplane.observiq.com/v1', 'bindplane.observiq.com/v2'],
  Destination: ['bindplane.observiq.com/v1'],
  Source: ['bindplane.observiq.com/v1'],
  Processor: ['bindplane.observiq.com/v1'],
};

/**
 * Applies resources: [{kind, name, status, reason?}] in the order given. Sources, processors and
 * destinations are taken before configurations, so a configuration may name a destination of the
 * same apply; a name that is neither stored nor valid in this apply is refused.
 */
export async function applyResources(store, docs) {
  const [types, stored] = await Promise.all([store.types(), store.resources()]);
  const known = new Map(stored.map((r) => [`${r.kind}/${r.name}`, r.body]));
  const results = new Array(docs.length);
  const writes = [];
  const order = docs.map((d, i) => i).sort((a, b) => (docs[a]?.kind === 'Configuration') - (docs[b]?.kind === 'Configuration') || a - b);
  for (const i of order) {
    const d = docs[i];
    const kind = d && typeof d === 'object' && typeof d.kind === 'string' ? d.kind : '(none)';
    const name = d?.metadata && typeof d.metadata.name === 'string' ? d.metadata.name : '';
    const reason = resourceProblem(d, kind, name, types, known);
    if (reason) {
      results[i] = { kind, name: name || '(unnamed)', status: 'invalid', reason };
      continue;
    }
    const body = canonical(d);
    const key = `${kind}/${name}`;
    const prev = known.get(key);
    const status = prev === undefined ? 'created' : prev === body ? 'unchanged' : 'configured';
    known.set(key, body);
    if (status !== 'unchanged') writes.push({ kind, name, body });
    results[i] = { kind, name, status };
  }
  await store.putResources(writes);
  return results;
}

function resourceProblem(d, kind, name, types, known) {
  if (!d || typeof d !== 'object' || Array.isArray(d)) return 'a resource must be a mapping';
  const versions = RESOURCE_API_VERSIONS[kind];
  if (!versions) return `unknown kind: ${kind}`;
  if (!versions.includes(d.apiVersion)) return `unsupported apiVersion ${JSON.stringify(d.apiVersion ?? null)} for ${kind} (expected ${versions.join(' or ')})`;
  if (!name) return 'metadata.name is required';
  if (!/^[A-Za-z0-9]([A-Za-z0-9._-]*[A-Za-z0-9])?$/.test(name)) return `metadata.name ${JSON.stringify(name)} is not a valid name`;
  const spec = d.spec;
  if (!spec || typeof spec !== 'object') return 'spec is required';
  const typeOk = (k, t) => (typeof t !== 'string' || !t ? `${k} spec.type is required` : types[TYPE_KINDS[k]].has(t) ? null : `unknown ${TYPE_KINDS[k]}: ${t}`);
  if (kind === 'Destination' || kind === 'Source') return typeOk(kind, spec.type);
  if (kind === 'Processor') return typeof spec.type === 'string' && spec.type ? null : 'Processor spec.type is required';
  // Configuration
  const problems = [];
  for (const [field, refKind] of [
    ['sources', 'Source'],
    ['destinations', 'Destination'],
  ]) {
    const list = spec[field] ?? [];
    if (!Array.isArray(list)) {
      problems.push(`spec.${field} must be a list`);
      continue;
    }
    for (const item of list) {
      if (item && typeof item.type === 'string') {
        const p = typeOk(refKind, item.type);
        if (p) problems.push(p);
      } else if (item && typeof item.name === 'string') {
        if (!known.has(`${refKind}/${item.name}`)) problems.push(`unknown ${refKind}: ${item.name}`);
      } else problems.push(`each of spec.${field} needs a type or a name`);
    }
  }
  const m = spec.selector?.matchLabels;
  if (m !== undefined && (!m || typeof m !== 'object' || Array.isArray(m) || Object.values(m).some((v) => typeof v === 'object'))) problems.push('spec.selector.matchLabels must map label names to values');
  return problems.length ? problems.join('; ') : null;
}

async function checkPostgres(env, mode) {
  const missing = ['BINDPLANE_POSTGRES_HOST', 'BINDPLANE_POSTGRES_PORT', 'BINDPLANE_POSTGRES_DATABASE', 'BINDPLANE_POSTGRES_USERNAME'].filter((k) => !env[k]);
  if (missing.length) throw new Error(`${missing.join(', ')} unset`);
  if (!isPort(env.BINDPLANE_POSTGRES_PORT)) throw new Error(`BINDPLANE_POSTGRES_PORT ${JSON.stringify(env.BINDPLANE_POSTGRES_PORT)} is not a port`);
  const ssl = env.BINDPLANE_POSTGRES_SSL_MODE;
  if (ssl !== undefined && !['disable', 'require', 'verify-ca', 'verify-full'].includes(ssl))
    throw new Error(`BINDPLANE_POSTGRES_SSL_MODE ${JSON.stringify(ssl)} is not disable, require, verify-ca or verify-full`);
  const wanted = env.BINDPLANE_POSTGRES_MAX_CONNECTIONS === undefined ? 100 : Number(env.BINDPLANE_POSTGRES_MAX_CONNECTIONS);
  if (!Number.isInteger(wanted) || wanted < 1) throw new Error(`BINDPLANE_POSTGRES_MAX_CONNECTIONS ${JSON.stringify(env.BINDPLANE_POSTGRES_MAX_CONNECTIONS)} is not a positive integer`);
  const max = Number(await runPsql(env, 'SHOW max_connections'));
  if (!(max >= wanted)) throw new Error(`server max_connections is ${max}, below BINDPLANE_POSTGRES_MAX_CONNECTIONS=${wanted}: this instance's pool could not open`);
  if (mode === 'all') {
    await runPsql(env, `${STORE_SCHEMA} INSERT INTO bpd_standin_schema(version) VALUES (${sqlString(VERSION)})`);
    return { maxConnections: max, migrated: VERSION };
  }
  const exists = await runPsql(env, "SELECT to_regclass('bpd_standin_schema') IS NOT NULL");
  if (exists !== 't') throw new Error('table bpd_standin_schema does not exist: the jobs instance (mode all) has not migrated this database yet');
  const versions = (await runPsql(env, 'SELECT DISTINCT version FROM bpd_standin_schema ORDER BY 1')).split('\n').filter(Boolean);
  if (!versions.includes(VERSION)) throw new Error(`the database was migrated by version(s) ${versions.join(', ') || '(none)'}, not by this node's ${VERSION}`);
  return { maxConnections: max, schemaVersions: versions };
}

async function checkPrometheus(env, mode) {
  if (parseBool(env.BINDPLANE_PROMETHEUS_ENABLE) !== true) throw new Error('BINDPLANE_PROMETHEUS_ENABLE is not true');
  if (parseBool(env.BINDPLANE_PROMETHEUS_ENABLE_REMOTE) !== true) throw new Error('BINDPLANE_PROMETHEUS_ENABLE_REMOTE is not true');
  for (const k of ['BINDPLANE_PROMETHEUS_HOST', 'BINDPLANE_PROMETHEUS_REMOTE_WRITE_HOST']) if (!env[k]) throw new Error(`${k} unset`);
  for (const k of ['BINDPLANE_PROMETHEUS_PORT', 'BINDPLANE_PROMETHEUS_REMOTE_WRITE_PORT'])
    if (!isPort(env[k])) throw new Error(`${k} ${JSON.stringify(env[k] ?? null)} is not a port`);
  const endpoint = env.BINDPLANE_PROMETHEUS_REMOTE_WRITE_ENDPOINT;
  if (!endpoint || !endpoint.startsWith('/')) throw new Error(`BINDPLANE_PROMETHEUS_REMOTE_WRITE_ENDPOINT ${JSON.stringify(endpoint ?? null)} is not a path`);
  const auth = env.BINDPLANE_PROMETHEUS_AUTH_TYPE ?? 'none';
  if (!['none', 'basic'].includes(auth)) throw new Error(`BINDPLANE_PROMETHEUS_AUTH_TYPE ${JSON.stringify(auth)} is not none or basic`);
  const headers = {};
  if (auth === 'basic') headers.Authorization = `Basic ${Buffer.from(`${env.BINDPLANE_PROMETHEUS_AUTH_USERNAME ?? ''}:${env.BINDPLANE_PROMETHEUS_AUTH_PASSWORD ?? ''}`).toString('base64')}`;
  const scheme = parseBool(env.BINDPLANE_PROMETHEUS_ENABLE_TLS) === true ? 'https' : 'http';
  const value = randomInt(1, 1_000_000_000);
  const body = snappyEncode(encodeWriteRequest([{ labels: { __name__: 'bpd_standin_up', instance: HOSTNAME, mode }, value, timestampMs: Date.now() }]));
  const writeUrl = `${scheme}://${env.BINDPLANE_PROMETHEUS_REMOTE_WRITE_HOST}:${env.BINDPLANE_PROMETHEUS_REMOTE_WRITE_PORT}${endpoint}`;
  const w = await httpRequest('POST', writeUrl, {
    headers: { ...headers, 'Content-Encoding': 'snappy', 'Content-Type': 'application/x-protobuf', 'X-Prometheus-Remote-Write-Version': '0.1.0', 'User-Agent': `bpd-standin/${VERSION}` },
    body,
  });
  if (w.status < 200 || w.status > 299) throw new Error(`remote write to ${writeUrl} answered ${w.status}: ${w.body.toString().trim().slice(0, 200)}`);
  let prefix = env.BINDPLANE_PROMETHEUS_QUERY_PATH_PREFIX || '';
  if (prefix && !prefix.startsWith('/')) prefix = `/${prefix}`;
  prefix = prefix.replace(/\/+$/, '');
  const query = `bpd_standin_up{instance="${HOSTNAME}"}`;
  const queryUrl = `${scheme}://${env.BINDPLANE_PROMETHEUS_HOST}:${env.BINDPLANE_PROMETHEUS_PORT}${prefix}/api/v1/query?query=${encodeURIComponent(query)}`;
  let last = '';
  for (let i = 0; i < 10; i++) {
    const q = await httpRequest('GET', queryUrl, { headers });
    if (q.status !== 200) throw new Error(`query ${queryUrl} answered ${q.status}: ${q.body.toString().trim().slice(0, 200)}`);
    let result;
    try {
      result = JSON.parse(q.body.toString()).data.result;
    } catch {
      throw new Error(`query ${queryUrl}: not a Prometheus API answer: ${q.body.toString().slice(0, 100)}`);
    }
    if (result.some((r) => r.value && r.value[1] === String(value))) return { wrote: writeUrl, queried: queryUrl.split('?')[0], value };
    last = JSON.stringify(result).slice(0, 200);
    await sleep(300);
  }
  throw new Error(`wrote ${query}=${value} to ${writeUrl} (${w.status}), but ${queryUrl.split('?')[0]} does not return it (got ${last}): the query and remote-write addresses are not the same Prometheus`);
}

// NATS: the embedded server (when enabled) and the client connection ------------------------

const natsState = { connecting: null, server: null, serverRestarts: 0, conn: null, connectedTo: null, received: [], reconnects: 0, checkPassed: false, lastFailed: [] };

export function natsServerConfig(env) {
  const problems = [];
  const lines = [];
  const q = (s) => JSON.stringify(String(s));
  const port = (k) => {
    if (env[k] === undefined || env[k] === '') return undefined;
    if (!isPort(env[k])) problems.push(`${k} ${JSON.stringify(env[k])} is not a port`);
    return Number(env[k]);
  };
  if (env.BINDPLANE_NATS_SERVER_NAME) {
    if (/\s/.test(env.BINDPLANE_NATS_SERVER_NAME)) problems.push('BINDPLANE_NATS_SERVER_NAME contains spaces');
    lines.push(`server_name: ${q(env.BINDPLANE_NATS_SERVER_NAME)}`);
  }
  if (env.BINDPLANE_NATS_SERVER_CLIENT_HOST) lines.push(`host: ${q(env.BINDPLANE_NATS_SERVER_CLIENT_HOST)}`);
  const clientPort = port('BINDPLANE_NATS_SERVER_CLIENT_PORT');
  if (clientPort) lines.push(`port: ${clientPort}`);
  const httpPort = port('BINDPLANE_NATS_SERVER_HTTP_PORT');
  if (httpPort) lines.push(`http: ${q(`${env.BINDPLANE_NATS_SERVER_HTTP_HOST || '0.0.0.0'}:${httpPort}`)}`);
  else if (env.BINDPLANE_NATS_SERVER_HTTP_HOST) problems.push('BINDPLANE_NATS_SERVER_HTTP_HOST is set without BINDPLANE_NATS_SERVER_HTTP_PORT');
  const clusterPort = port('BINDPLANE_NATS_SERVER_CLUSTER_PORT');
  const routes = (env.BINDPLANE_NATS_SERVER_CLUSTER_ROUTES || '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  for (const r of routes) {
    let ok = false;
    try {
      const u = new URL(r);
      ok = ['nats:', 'nats-route:'].includes(u.protocol) && !!u.hostname && isPort(u.port);
    } catch {}
    if (!ok) problems.push(`route ${JSON.stringify(r)} in BINDPLANE_NATS_SERVER_CLUSTER_ROUTES is not nats://host:port`);
  }
  if (clusterPort || routes.length || env.BINDPLANE_NATS_SERVER_CLUSTER_NAME) {
    if (!clusterPort) problems.push('cluster settings given without BINDPLANE_NATS_SERVER_CLUSTER_PORT');
    lines.push('cluster {');
    if (env.BINDPLANE_NATS_SERVER_CLUSTER_NAME) lines.push(`  name: ${q(env.BINDPLANE_NATS_SERVER_CLUSTER_NAME)}`);
    if (env.BINDPLANE_NATS_SERVER_CLUSTER_HOST) lines.push(`  host: ${q(env.BINDPLANE_NATS_SERVER_CLUSTER_HOST)}`);
    if (clusterPort) lines.push(`  port: ${clusterPort}`);
    if (routes.length) lines.push(`  routes: [${routes.map(q).join(', ')}]`);
    lines.push('}');
  }
  const probeHost = (h) => (!h || h === '0.0.0.0' || h === '::' ? '127.0.0.1' : h);
  return {
    problems,
    text: `${lines.join('\n')}\n`,
    clientProbe: { host: probeHost(env.BINDPLANE_NATS_SERVER_CLIENT_HOST), port: clientPort ?? 4222 },
    httpProbe: httpPort ? { host: probeHost(env.BINDPLANE_NATS_SERVER_HTTP_HOST), port: httpPort } : null,
    routes,
    name: env.BINDPLANE_NATS_SERVER_NAME || null,
  };
}

/** Reads the INFO line a NATS server sends first. */
function natsInfoProbe(host, port, timeoutMs = 2000) {
  return new Promise((resolve, reject) => {
    const sock = net.connect({ host, port });
    let buf = '';
    const done = (err, v) => {
      clearTimeout(t);
      sock.destroy();
      if (err) reject(err);
      else resolve(v);
    };
    const t = setTimeout(() => done(new Error(`${host}:${port}: no NATS INFO within ${timeoutMs} ms (not a NATS server?)`)), timeoutMs);
    sock.setEncoding('utf8');
    sock.on('data', (d) => {
      buf += d;
      const i = buf.indexOf('\r\n');
      if (i < 0) return;
      const line = buf.slice(0, i);
      if (!line.startsWith('INFO ')) return done(new Error(`${host}:${port} is not a NATS server (it sent ${JSON.stringify(line.slice(0, 40))})`));
      try {
        done(null, JSON.parse(line.slice(5)));
      } catch {
        done(new Error(`${host}:${port}: bad NATS INFO`));
      }
    });
    sock.on('error', (e) => done(new Error(`${host}:${port}: ${errText(e)}`)));
    sock.on('close', () => done(new Error(`${host}:${port}: closed without NATS INFO`)));
  });
}

function startNatsServer(cfg) {
  const file = path.join(os.tmpdir(), `bpd-standin-nats-${process.pid}.conf`);
  fs.writeFileSync(file, cfg.text);
  log(`nats-server: starting with ${file}: ${cfg.text.replace(/\n/g, ' ').replace(/\s+/g, ' ').trim()}`);
  let delay = 1000;
  const launch = () => {
    if (shuttingDown) return;
    const started = Date.now();
    const child = spawn('nats-server', ['-c', file], { stdio: ['ignore', 'pipe', 'pipe'] });
    natsState.server = child;
    const relay = (stream) => {
      let rest = '';
      stream.setEncoding('utf8');
      stream.on('data', (d) => {
        rest += d;
        const lines = rest.split('\n');
        rest = lines.pop();
        for (const l of lines) if (l.trim()) log(`nats-server: ${l}`);
      });
    };
    relay(child.stdout);
    relay(child.stderr);
    child.on('error', (e) => log(`nats-server: cannot start: ${errText(e)}`));
    child.on('exit', (code, sig) => {
      if (natsState.server === child) natsState.server = null;
      if (shuttingDown) return;
      natsState.serverRestarts++;
      // Back off (up to 10 s) while it dies at once, as with a port in use; 1 s after a long run.
      delay = Date.now() - started < 5000 ? Math.min(delay * 2, 10_000) : 1000;
      log(`nats-server: exited (${sig ?? `code ${code}`}); restarting in ${delay / 1000} s`);
      setTimeout(launch, delay);
    });
  };
  launch();
  cleanups.push(
    () =>
      new Promise((resolve) => {
        const c = natsState.server;
        try {
          fs.unlinkSync(file);
        } catch {}
        if (!c || c.exitCode !== null) return resolve();
        const t = setTimeout(() => {
          c.kill('SIGKILL');
          resolve();
        }, 2500);
        c.once('exit', () => {
          clearTimeout(t);
          resolve();
        });
        c.kill('SIGTERM');
      }),
  );
}

async function checkNatsServer(cfg) {
  if (cfg.problems.length) throw new Error(cfg.problems.join('; '));
  if (!natsState.server || natsState.server.exitCode !== null) throw new Error('nats-server is not running (see its log lines)');
  // Our server, not just anything, must answer on the client port: its INFO names it.
  const info = await natsInfoProbe(cfg.clientProbe.host, cfg.clientProbe.port);
  if (cfg.name && info.server_name !== cfg.name) throw new Error(`the NATS server on ${cfg.clientProbe.host}:${cfg.clientProbe.port} is ${JSON.stringify(info.server_name)}, not ${cfg.name}`);
  const detail = { pid: natsState.server.pid, client: `${cfg.clientProbe.host}:${cfg.clientProbe.port}`, serverName: info.server_name };
  if (cfg.httpProbe) {
    const base = `http://${cfg.httpProbe.host}:${cfg.httpProbe.port}`;
    const h = await httpRequest('GET', `${base}/healthz`);
    if (h.status !== 200) throw new Error(`nats-server monitoring ${base}/healthz answered ${h.status}`);
    detail.monitoring = base;
  }
  return detail;
}

export function parseNatsEndpoint(v) {
  const out = [];
  for (const part of String(v ?? '').split(',').map((s) => s.trim()).filter(Boolean)) {
    let u;
    try {
      u = new URL(part);
    } catch {
      throw new Error(`BINDPLANE_NATS_CLIENT_ENDPOINT ${JSON.stringify(v)}: ${JSON.stringify(part)} is not a URL`);
    }
    if (u.protocol !== 'nats:' || !u.hostname) throw new Error(`BINDPLANE_NATS_CLIENT_ENDPOINT ${JSON.stringify(v)}: expected nats://host:port`);
    out.push({ host: u.hostname.replace(/^\[|\]$/g, ''), port: u.port ? Number(u.port) : 4222 });
  }
  if (!out.length) throw new Error('BINDPLANE_NATS_CLIENT_ENDPOINT is unset');
  return out;
}

/** Resolves the endpoint's names and connects to one address at random, then to the others. */
function natsConnect(env) {
  // One attempt at a time: the check's retries and the reconnect loop share it.
  if (!natsState.connecting) natsState.connecting = natsConnectOnce(env).finally(() => (natsState.connecting = null));
  return natsState.connecting;
}

async function natsConnectOnce(env) {
  const endpoints = parseNatsEndpoint(env.BINDPLANE_NATS_CLIENT_ENDPOINT);
  const subject = env.BINDPLANE_NATS_CLIENT_SUBJECT;
  const candidates = [];
  const errors = [];
  for (const ep of endpoints) {
    try {
      const addrs = await dns.promises.lookup(ep.host, { all: true });
      for (const a of addrs) candidates.push({ address: a.address, port: ep.port, key: `${a.address}:${ep.port}`, host: ep.host });
    } catch (e) {
      errors.push(`cannot resolve ${ep.host}: ${errText(e)}`);
    }
  }
  const byKey = new Map(candidates.map((c) => [c.key, c]));
  for (const key of addressOrder([...byKey.keys()], natsState.lastFailed)) {
    const c = byKey.get(key);
    try {
      const conn = await natsOpen({
        address: c.address,
        port: c.port,
        name: env.BINDPLANE_NATS_CLIENT_NAME,
        subject,
        onMsg: (_s, payload) => {
          natsState.received.push(payload);
          if (natsState.received.length > 100) natsState.received.splice(0, natsState.received.length - 100);
          const w = natsWaiters.get(payload);
          if (w) w();
        },
        onClose: (c, reason) => natsDropped(env, c, reason),
      });
      if (conn.closed) throw new Error(`${conn.address}: connection closed right after the handshake`);
      natsState.lastFailed = [];
      natsState.conn = conn;
      natsState.connectedTo = `${c.host} (${conn.address})`;
      return conn;
    } catch (e) {
      natsState.lastFailed.push(key);
      errors.push(e.message);
    }
  }
  throw new Error(`cannot connect to ${env.BINDPLANE_NATS_CLIENT_ENDPOINT}: ${errors.join('; ') || 'no address'}`);
}

const natsWaiters = new Map();

function natsDropped(env, conn, reason) {
  if (natsState.conn !== conn) return;
  natsState.conn = null;
  natsState.lastFailed = [conn.address.replace(/^\[|\](?=:)/g, '')];
  if (shuttingDown) return;
  log(`nats: ${reason}; reconnecting`);
  if (!natsState.checkPassed) return; // the check's own retries reconnect
  (async () => {
    while (!shuttingDown && !natsState.conn) {
      await sleep(1000);
      try {
        await natsConnect(env);
        natsState.reconnects++;
        log(`nats: reconnected to ${natsState.connectedTo}`);
      } catch (e) {
        log(`nats: reconnect failed: ${e.message}`);
      }
    }
  })();
}

async function natsPublishAndWait(subject, payload, timeoutMs = 5000) {
  const conn = natsState.conn;
  if (!conn) throw new Error('not connected to NATS');
  const got = new Promise((resolve) => natsWaiters.set(payload, resolve));
  conn.publish(subject, payload);
  try {
    await withTimeout(got, timeoutMs, `message published on ${subject} via ${conn.address} not received back`);
  } finally {
    natsWaiters.delete(payload);
  }
}

async function checkNats(env) {
  const subject = env.BINDPLANE_NATS_CLIENT_SUBJECT;
  if (!subject || /\s/.test(subject)) throw new Error(`BINDPLANE_NATS_CLIENT_SUBJECT ${JSON.stringify(subject ?? null)} is not a subject`);
  parseNatsEndpoint(env.BINDPLANE_NATS_CLIENT_ENDPOINT);
  if (!natsState.conn) await natsConnect(env);
  await natsPublishAndWait(subject, `bpd-standin-check ${HOSTNAME} ${randomUUID()}`);
  natsState.checkPassed = true;
  return { connectedTo: natsState.connectedTo, subject };
}

// Kafka -----------------------------------------------------------------------------------------

async function checkKafka(env) {
  const brokers = (env.BINDPLANE_KAFKA_BROKERS || '').split(',').map((s) => s.trim()).filter(Boolean);
  if (!brokers.length) throw new Error('BINDPLANE_KAFKA_BROKERS is empty');
  const topic = env.BINDPLANE_KAFKA_TOPIC;
  if (!topic) throw new Error('BINDPLANE_KAFKA_TOPIC is empty');
  if (!/^\d+\.\d+\.\d+$/.test(env.BINDPLANE_KAFKA_PROTOCOL_VERSION || '')) throw new Error(`BINDPLANE_KAFKA_PROTOCOL_VERSION ${JSON.stringify(env.BINDPLANE_KAFKA_PROTOCOL_VERSION ?? null)} is not MAJOR.MINOR.PATCH`);
  if ((env.BINDPLANE_KAFKA_AUTH_TYPE ?? 'none') !== 'none') throw new Error(`BINDPLANE_KAFKA_AUTH_TYPE is ${JSON.stringify(env.BINDPLANE_KAFKA_AUTH_TYPE)}: the stack's Kafka has no authentication (expected none)`);
  if (parseBool(env.BINDPLANE_KAFKA_ENABLE_TLS) === true) throw new Error('BINDPLANE_KAFKA_ENABLE_TLS is true, but the stack\'s Kafka listens in plain text');
  const problems = [];
  const seen = [];
  for (const b of brokers) {
    const hp = parseHostPort(b);
    if (!hp) {
      problems.push(`broker ${JSON.stringify(b)} is not host:port`);
      continue;
    }
    let first;
    try {
      first = await tcpExchange(hp.host, hp.port, `METADATA ${topic}`);
    } catch (e) {
      problems.push(`broker ${b}: ${e.message}`);
      continue;
    }
    const m = /^OK (\S+) (\d+)$/.exec(first);
    if (!m) {
      problems.push(`broker ${b} answered ${JSON.stringify(first)}`);
      continue;
    }
    const adv = parseHostPort(m[1]);
    if (!adv) {
      problems.push(`broker ${b} advertises ${JSON.stringify(m[1])}, not host:port`);
      continue;
    }
    try {
      const second = await tcpExchange(adv.host, adv.port, `METADATA ${topic}`);
      const m2 = /^OK (\S+) (\d+)$/.exec(second);
      if (!m2 || m2[2] !== m[2]) throw new Error(`answered ${JSON.stringify(second)}, not node ${m[2]}`);
    } catch (e) {
      problems.push(`broker ${b} (node ${m[2]}) advertises ${m[1]}, which clients cannot use: ${e.message}`);
      continue;
    }
    seen.push(`${b}=node ${m[2]} via ${m[1]}`);
  }
  if (problems.length) throw new Error(problems.join('; '));
  return { brokers: seen, topic };
}

// Google Pub/Sub ---------------------------------------------------------------------------------

async function checkPubSub(env) {
  const project = env.BINDPLANE_GOOGLE_PUB_SUB_PROJECT_ID;
  const topic = env.BINDPLANE_GOOGLE_PUB_SUB_TOPIC;
  if (!project) throw new Error('BINDPLANE_GOOGLE_PUB_SUB_PROJECT_ID is empty');
  if (!topic) throw new Error('BINDPLANE_GOOGLE_PUB_SUB_TOPIC is empty');
  if (env.BINDPLANE_GOOGLE_PUB_SUB_ENDPOINT) {
    const ep = parseHostPort(env.BINDPLANE_GOOGLE_PUB_SUB_ENDPOINT);
    if (!ep) throw new Error(`BINDPLANE_GOOGLE_PUB_SUB_ENDPOINT ${JSON.stringify(env.BINDPLANE_GOOGLE_PUB_SUB_ENDPOINT)} is not host:port (the client dials it with gRPC, no scheme)`);
    if (parseBool(env.BINDPLANE_GOOGLE_PUB_SUB_INSECURE) !== true) throw new Error('BINDPLANE_GOOGLE_PUB_SUB_ENDPOINT is set but BINDPLANE_GOOGLE_PUB_SUB_INSECURE is not true: the emulator has no TLS');
    const base = `http://${env.BINDPLANE_GOOGLE_PUB_SUB_ENDPOINT}/v1`;
    const topicName = `projects/${project}/topics/${topic}`;
    const sub = `projects/${project}/subscriptions/bpd-standin-${HOSTNAME}`;
    const api = async (method, p, body) => {
      const r = await httpRequest(method, `${base}/${p}`, { headers: { 'Content-Type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) });
      let json = null;
      try {
        json = JSON.parse(r.body.toString() || 'null');
      } catch {}
      return { status: r.status, json, text: r.body.toString().slice(0, 200) };
    };
    const t = await api('GET', topicName);
    if (t.status !== 200) throw new Error(`topic ${topicName} on ${env.BINDPLANE_GOOGLE_PUB_SUB_ENDPOINT}: ${t.status} ${t.status === 404 ? '(not found: the one-shot topic service has not created it)' : t.text}`);
    const s = await api('PUT', sub, { topic: topicName, ackDeadlineSeconds: 10 });
    if (s.status !== 200 && s.status !== 409) throw new Error(`creating subscription ${sub}: ${s.status} ${s.text}`);
    const data = `bpd-standin-check ${HOSTNAME} ${randomUUID()}`;
    const pub = await api('POST', `${topicName}:publish`, { messages: [{ data: Buffer.from(data).toString('base64') }] });
    if (pub.status !== 200) throw new Error(`publishing to ${topicName}: ${pub.status} ${pub.text}`);
    for (let i = 0; i < 20; i++) {
      const pulled = await api('POST', `${sub}:pull`, { maxMessages: 10, returnImmediately: true });
      if (pulled.status !== 200) throw new Error(`pulling ${sub}: ${pulled.status} ${pulled.text}`);
      const msgs = (pulled.json && pulled.json.receivedMessages) || [];
      if (msgs.length) {
        const ack = await api('POST', `${sub}:acknowledge`, { ackIds: msgs.map((m) => m.ackId) });
        if (ack.status !== 200) throw new Error(`acknowledging on ${sub}: ${ack.status} ${ack.text}`);
        if (msgs.some((m) => Buffer.from(m.message.data || '', 'base64').toString() === data)) return { emulator: env.BINDPLANE_GOOGLE_PUB_SUB_ENDPOINT, topic: topicName, subscription: sub };
      }
      await sleep(500);
    }
    throw new Error(`published on ${topicName} but the message never arrived on ${sub}`);
  }
  const file = env.BINDPLANE_GOOGLE_PUB_SUB_CREDENTIALS_FILE;
  if (!file) throw new Error('neither BINDPLANE_GOOGLE_PUB_SUB_ENDPOINT nor BINDPLANE_GOOGLE_PUB_SUB_CREDENTIALS_FILE is set');
  let json;
  try {
    json = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (e) {
    throw new Error(`BINDPLANE_GOOGLE_PUB_SUB_CREDENTIALS_FILE ${file}: ${e.code === 'ENOENT' ? 'no such file (is the folder mounted?)' : errText(e)}`);
  }
  if (!json || json.type !== 'service_account') throw new Error(`${file} is not a service-account key (type is ${JSON.stringify(json && json.type)})`);
  log(`pubsub: credentials ${file} are a service-account key; Google itself is not reachable here, so the connection is not checked`);
  return { credentialsFile: file, connection: 'not checked (Google is not reachable here)' };
}

async function checkTransformAgents(env) {
  const agents = (env.BINDPLANE_TRANSFORM_AGENT_REMOTE_AGENTS || '').split(',').map((s) => s.trim()).filter(Boolean);
  if (!agents.length) throw new Error('BINDPLANE_TRANSFORM_AGENT_ENABLE_REMOTE is true but BINDPLANE_TRANSFORM_AGENT_REMOTE_AGENTS is empty');
  const problems = [];
  for (const a of agents) {
    if (!parseHostPort(a)) {
      problems.push(`${JSON.stringify(a)} is not host:port`);
      continue;
    }
    try {
      const r = await httpRequest('GET', `http://${a}/collector-version`);
      if (r.status !== 200) problems.push(`${a}/collector-version answered ${r.status}`);
    } catch (e) {
      problems.push(e.message);
    }
  }
  if (problems.length) throw new Error(problems.join('; '));
  return { agents };
}

/** The jobs instance seeds the type library of a fresh database some seconds after it migrated it ([SH]). */
function seedTypeLibrary(env, store, checks) {
  const raw = env.BPD_STANDIN_TYPES_DELAY_MS;
  const delay = raw !== undefined && /^\d+$/.test(raw) ? Number(raw) : 6000;
  (async () => {
    while (!shuttingDown && !checks.items.get('postgres')?.ok) await sleep(250);
    if (shuttingDown) return;
    let waited = false;
    while (!shuttingDown) {
      try {
        const have = await store.types();
        if (have.SourceType.size || have.DestinationType.size) return log(`type library present: ${have.SourceType.size} source types, ${have.DestinationType.size} destination types`);
        if (!waited) {
          log(`type library empty (new database): seeding it in ${delay / 1000} s`);
          await sleep(delay);
          waited = true;
        }
        await store.seedTypes();
        const now = await store.types();
        return log(`type library seeded: ${now.SourceType.size} source types, ${now.DestinationType.size} destination types`);
      } catch (e) {
        log(`type library: seeding failed (retrying in 1 s): ${e.message}`);
        await sleep(1000);
      }
    }
  })();
}

async function roleBindplane() {
  const env = process.env;
  const mode = env.BINDPLANE_MODE;
  const host = env.BINDPLANE_HOST || '127.0.0.1';
  const port = isPort(env.BINDPLANE_PORT) ? Number(env.BINDPLANE_PORT) : 3001;
  const checks = new Checks();
  const store = makeStore(env);
  const storeReady = () => checks.items.get('postgres')?.ok === true;
  const agents = new Map();
  let wsTotal = 0;
  const openSockets = new Set();

  const baseHeaders = { 'X-Bindplane-Instance': HOSTNAME, 'X-Bindplane-Version': VERSION };
  const json = (res, status, obj) => {
    const body = `${JSON.stringify(obj)}\n`;
    res.writeHead(status, { ...baseHeaders, 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body) });
    res.end(body);
  };
  const api = async (req, res, u) => {
    const route = `${req.method} ${u.pathname}`;
    const chunks = [];
    let size = 0;
    for await (const c of req) {
      size += c.length;
      if (size > 16 << 20) return json(res, 413, { error: 'request body over 16 MiB' });
      chunks.push(c);
    }
    const m = /^Basic\s+(\S+)$/i.exec(req.headers.authorization || '');
    const cred = m ? Buffer.from(m[1], 'base64').toString() : '';
    const colon = cred.indexOf(':');
    if (!m || colon < 0 || !env.BINDPLANE_USERNAME || cred.slice(0, colon) !== env.BINDPLANE_USERNAME || cred.slice(colon + 1) !== env.BINDPLANE_PASSWORD) {
      log(`api ${route}: 401 Unauthorized (${m ? 'wrong username or password' : 'no basic auth'})`);
      return json(res, 401, { error: 'Unauthorized' });
    }
    if (!storeReady()) return json(res, 503, { error: 'the store is not ready (the postgres check has not passed)' });
    let body = null;
    if (chunks.length) {
      try {
        body = JSON.parse(Buffer.concat(chunks).toString());
      } catch {
        return json(res, 400, { error: 'the request body is not JSON' });
      }
    }
    const org = await store.organization();
    if (route === 'POST /v1/organizations') {
      const name = body && typeof body.name === 'string' ? body.name.trim() : '';
      if (!name) return json(res, 400, { error: 'an organization needs a name' });
      if (org) {
        log(`api ${route}: 409 (organization ${org.name} exists already)`);
        return json(res, 409, { error: `an organization exists already on this server (${org.name})` });
      }
      const made = await store.createOrganization(name);
      if (!made) return json(res, 409, { error: 'an organization exists already on this server' });
      log(`organization ${made.name} created (${made.id}) with project ${made.project_name} (${made.project_id})`);
      return json(res, 201, { organization: { id: made.id, name: made.name }, projects: [{ id: made.project_id, name: made.project_name, secretKey: made.secret_key }] });
    }
    if (!org || !org.project_id) {
      log(`api ${route}: 403 Forbidden: project not in context`);
      return json(res, 403, { error: 'project not in context' });
    }
    if (route === 'GET /v1/projects') return json(res, 200, { projects: [{ id: org.project_id, name: org.project_name, secretKey: org.secret_key }] });
    if (route === 'GET /v1/resources') {
      const kind = u.searchParams.get('kind');
      if (!RESOURCE_API_VERSIONS[kind]) return json(res, 400, { error: `unknown kind ${JSON.stringify(kind)}` });
      return json(res, 200, { resources: (await store.resources(kind)).map((r) => r.doc) });
    }
    if (route === 'GET /v1/agents') {
      const selector = parseLabels(u.searchParams.get('selector') || '');
      const [list, configurations] = await Promise.all([store.agents(), store.resources('Configuration')]);
      const out = list
        .map((a) => {
          const labels = parseLabels(a.labels);
          return {
            id: a.id,
            name: a.name,
            version: a.version,
            status: a.connected ? 'Connected' : 'Disconnected',
            configuration: configurationFor(labels, configurations),
            labels,
            instance: a.instance,
            connectedAt: new Date(Number(a.connected_ms)).toISOString(),
            reportedAt: new Date(Number(a.heartbeat_ms)).toISOString(),
            disconnectedAt: a.connected ? null : new Date(Number(a.disconnected_ms ?? a.heartbeat_ms)).toISOString(),
            serverTime: new Date(Number(a.now_ms)).toISOString(),
          };
        })
        .filter((a) => Object.entries(selector).every(([k, v]) => a.labels[k] === v));
      return json(res, 200, { agents: out });
    }
    if (route === 'POST /v1/apply') {
      if (!body || !Array.isArray(body.resources)) return json(res, 400, { error: 'expected {resources: [...]}' });
      const updates = await applyResources(store, body.resources);
      for (const x of updates) log(`apply: ${x.kind} ${x.name} ${x.status}${x.reason ? ` (${x.reason})` : ''}`);
      return json(res, 200, { updates });
    }
    return json(res, 404, { error: `no API at ${route}` });
  };

  const server = http.createServer((req, res) => {
    const u = new URL(req.url, 'http://standin');
    if (u.pathname.startsWith('/v1/'))
      return api(req, res, u).catch((e) => {
        log(`api ${req.method} ${u.pathname}: 500: ${e.message}`);
        if (!res.headersSent) json(res, 500, { error: e.message });
      });
    if (req.method !== 'GET' && req.method !== 'HEAD') return json(res, 405, { instance: HOSTNAME, error: `method ${req.method} not supported by the stand-in` });
    if (u.pathname === '/health') {
      const body = { instance: HOSTNAME, mode, version: VERSION, checks: checks.toJSON() };
      if (checks.allOk) return json(res, 200, body);
      return json(res, 503, { ...body, failing: [...checks.items.values()].filter((i) => !i.ok).map((i) => ({ check: i.name, reason: i.reason })) });
    }
    if (u.pathname === '/standin/info') {
      const orgKnown = storeReady() ? store.organization().then((o) => !!o, () => null) : Promise.resolve(null);
      return orgKnown.then((organization) => json(res, 200, {
        instance: HOSTNAME,
        mode,
        version: VERSION,
        healthy: checks.allOk,
        organization,
        agents: [...agents.values()],
        websocketConnectionsTotal: wsTotal,
        nats:
          env.BINDPLANE_EVENT_BUS_TYPE === 'nats'
            ? { serverRunning: !!natsState.server, serverPid: natsState.server?.pid ?? null, serverRestarts: natsState.serverRestarts, connectedTo: natsState.conn ? natsState.connectedTo : null, reconnects: natsState.reconnects }
            : undefined,
      }));
    }
    if (u.pathname === '/standin/nats/publish') {
      const msg = u.searchParams.get('msg');
      if (env.BINDPLANE_EVENT_BUS_TYPE !== 'nats') return json(res, 404, { instance: HOSTNAME, error: 'the event bus is not NATS' });
      if (!msg) return json(res, 400, { instance: HOSTNAME, error: 'msg is required' });
      if (!natsState.conn) return json(res, 503, { instance: HOSTNAME, error: 'not connected to NATS' });
      natsState.conn.publish(env.BINDPLANE_NATS_CLIENT_SUBJECT, msg);
      return json(res, 200, { instance: HOSTNAME, published: msg, subject: env.BINDPLANE_NATS_CLIENT_SUBJECT, via: natsState.connectedTo });
    }
    if (u.pathname === '/standin/nats/received') {
      const body = `${JSON.stringify(natsState.received)}\n`;
      res.writeHead(200, { ...baseHeaders, 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body) });
      return res.end(body);
    }
    return json(res, 200, { instance: HOSTNAME, path: u.pathname });
  });

  const rawReply = (socket, status, text, obj) => {
    const body = `${JSON.stringify(obj)}\n`;
    const head = [`HTTP/1.1 ${status} ${text}`, `X-Bindplane-Instance: ${HOSTNAME}`, `X-Bindplane-Version: ${VERSION}`, 'Content-Type: application/json', `Content-Length: ${Buffer.byteLength(body)}`, 'Connection: close'];
    socket.end(`${head.join('\r\n')}\r\n\r\n${body}`);
  };
  server.on('upgrade', (req, socket, head) => {
    upgrade(req, socket, head).catch((e) => {
      log(`websocket ${req.url}: 500: ${e.message}`);
      rawReply(socket, 500, 'Internal Server Error', { instance: HOSTNAME, error: e.message });
    });
  });
  const upgrade = async (req, socket, head) => {
    const u = new URL(req.url, 'http://standin');
    const remote = `${req.socket.remoteAddress}:${req.socket.remotePort}`;
    const fwd = req.headers['x-forwarded-for'] || req.headers['x-real-ip'] || null;
    const who = `${remote}${fwd ? ` (forwarded for ${fwd})` : ''}`;
    socket.on('error', () => {});
    if (u.pathname !== '/v1/opamp' && u.pathname !== '/v1/graphql') {
      log(`websocket ${u.pathname} from ${who}: refused, 404 (only /v1/opamp and /v1/graphql upgrade)`);
      return rawReply(socket, 404, 'Not Found', { instance: HOSTNAME, error: `no websocket on ${u.pathname}` });
    }
    const key = req.headers['sec-websocket-key'];
    if (String(req.headers.upgrade).toLowerCase() !== 'websocket' || !key || req.headers['sec-websocket-version'] !== '13') {
      log(`websocket ${u.pathname} from ${who}: refused, 400 (not a version-13 websocket upgrade)`);
      return rawReply(socket, 400, 'Bad Request', { instance: HOSTNAME, error: 'not a websocket upgrade' });
    }
    const agentId = req.headers['x-agent-id'] || null;
    const labelsRaw = req.headers['x-agent-labels'] || '';
    if (u.pathname === '/v1/opamp') {
      // The agents' key is the project's, from PostgreSQL; no server-level key is accepted ([SH]).
      if (!storeReady()) {
        log(`websocket /v1/opamp from ${who} (agent ${agentId}): refused, 503 (the store is not ready)`);
        return rawReply(socket, 503, 'Service Unavailable', { instance: HOSTNAME, error: 'the store is not ready' });
      }
      const org = await organizationForHandshake(store);
      const auth = req.headers.authorization || '';
      const given = /^Secret-Key (.*)$/.exec(auth)?.[1];
      if (!org || !org.secret_key || given !== org.secret_key) {
        const why = !auth
          ? 'no Authorization header'
          : !given
            ? 'the Authorization header is not Secret-Key <key>'
            : !org
              ? 'no organization yet, so no project key exists'
              : env.BINDPLANE_SECRET_KEY && given === env.BINDPLANE_SECRET_KEY
                ? "wrong secret key: that is the server's BINDPLANE_SECRET_KEY, not the project's key"
                : 'wrong secret key';
        log(`websocket /v1/opamp from ${who} (agent ${agentId}): refused, 401 (${why})`);
        return rawReply(socket, 401, 'Unauthorized', { instance: HOSTNAME, error: 'invalid secret key' });
      }
    }
    socket.write(
      [
        'HTTP/1.1 101 Switching Protocols',
        'Upgrade: websocket',
        'Connection: Upgrade',
        `Sec-WebSocket-Accept: ${wsAccept(key)}`,
        `X-Bindplane-Instance: ${HOSTNAME}`,
        `X-Bindplane-Version: ${VERSION}`,
        '',
        '',
      ].join('\r\n'),
    );
    wsTotal++;
    const id = `${remote}#${wsTotal}`;
    log(`websocket ${u.pathname} from ${who}: accepted${u.pathname === '/v1/opamp' ? ` (agent ${agentId}, labels ${labelsRaw || '-'}, user agent ${req.headers['user-agent'] || '-'})` : ''}`);
    const agent =
      u.pathname === '/v1/opamp'
        ? {
            id: agentId,
            name: req.headers['x-agent-name'] || agentId,
            version: req.headers['x-agent-version'] || '',
            labels: parseLabels(labelsRaw),
            labelsRaw: labelsText(parseLabels(labelsRaw)),
        userAgent: req.headers['user-agent'] || null,
        remoteAddress: req.socket.remoteAddress,
        remotePort: req.socket.remotePort,
            forwardedFor: fwd,
            connectedAt: new Date().toISOString(),
          }
        : null;
    const ws = new WsConn(socket, 'server', head);
    openSockets.add(ws);
    if (agent) {
      Object.defineProperty(agent, 'ws', { value: ws, enumerable: false });
      agents.set(id, agent);
      if (agentId) store.agentConnected(agent).catch((e) => log(`agent ${agentId}: cannot record it: ${e.message}`));
    }
    ws.send(OP.text, JSON.stringify({ instance: HOSTNAME, path: u.pathname, version: VERSION }));
    ws.on('message', (op, data) => ws.send(op, data));
    ws.on('close', (code, reason, how) => {
      openSockets.delete(ws);
      agents.delete(id);
      if (agent && agentId && ![...agents.values()].some((a) => a.id === agentId))
        store.agentDisconnected(agentId).catch((e) => log(`agent ${agentId}: cannot record its disconnect: ${e.message}`));
      log(`websocket ${u.pathname} from ${who}: closed (${how}, ${code}${reason ? ` ${reason}` : ''})`);
    });
  };

  // Heartbeat of this node's agents, and the configuration each should run (pushed when it changes).
  const heartbeat = setInterval(async () => {
    const local = [...agents.values()].filter((a) => a.id);
    if (!local.length || !storeReady()) return;
    try {
      await store.agentsHeartbeat([...new Set(local.map((a) => a.id))]);
      const configurations = await store.resources('Configuration');
      for (const a of local) {
        const name = configurationFor(a.labels, configurations);
        if (name && name !== a.pushed) {
          a.pushed = name;
          a.ws.send(OP.text, JSON.stringify({ type: 'configuration', name }));
          log(`agent ${a.id}: configuration ${name} sent`);
        }
      }
    } catch (e) {
      log(`agents heartbeat failed: ${e.message}`);
    }
  }, AGENT_HEARTBEAT_MS);
  heartbeat.unref();

  try {
    await listen(server, port, host, 'bindplane');
  } catch (e) {
    fatal(e.message);
  }
  log(`listening on ${host}:${port} (mode ${mode}, version ${VERSION})`);
  cleanups.push(() => new Promise((r) => server.close(() => r()) && setTimeout(r, 500).unref()));
  // Websockets get a close frame (1001 going away) before the process ends.
  cleanups.push(async () => {
    for (const ws of openSockets) ws.close(1001, 'server stopping');
    if (openSockets.size) await sleep(200);
  });

  checks.add('config', () => {
    const p = bindplaneConfigProblems(env);
    if (p.length) throw new Error(p.join('; '));
    return 'ok';
  });
  checks.add('postgres', () => checkPostgres(env, mode));
  if (mode === 'all') seedTypeLibrary(env, store, checks);
  if (env.BINDPLANE_SECRET_KEY) log("BINDPLANE_SECRET_KEY is set: it is deprecated and no agent can use it (agents need the project's key, see `bindplane get projects`)");
  checks.add('prometheus', () => checkPrometheus(env, mode));
  const bus = env.BINDPLANE_EVENT_BUS_TYPE;
  if (bus === 'nats') {
    const serverOn = parseBool(env.BINDPLANE_NATS_SERVER_ENABLE) === true;
    if (serverOn) {
      const cfg = natsServerConfig(env);
      if (!cfg.problems.length) startNatsServer(cfg);
      checks.add('nats-server', () => checkNatsServer(cfg));
    } else log('nats: BINDPLANE_NATS_SERVER_ENABLE is not true: no embedded server, client only');
    checks.add('eventbus', () => checkNats(env));
  } else if (bus === 'kafka') checks.add('eventbus', () => checkKafka(env));
  else if (bus === 'googlePubSub') checks.add('eventbus', () => checkPubSub(env), 30_000);
  else
    checks.add('eventbus', () => {
      throw new Error(`BINDPLANE_EVENT_BUS_TYPE ${JSON.stringify(bus ?? null)} is not nats, kafka or googlePubSub`);
    });
  if (parseBool(env.BINDPLANE_TRANSFORM_AGENT_ENABLE_REMOTE) === true) checks.add('transform-agents', () => checkTransformAgents(env));
  // An image built to fail (a release that never becomes healthy), for the failed-upgrade test.
  if (process.env.BPD_STANDIN_HEALTH === 'never')
    checks.add('release', () => {
      throw new Error(`this image (${VERSION}) is built never to become healthy`);
    });

  let announced = false;
  const t = setInterval(() => {
    if (checks.allOk && !announced) {
      announced = true;
      log('all checks passed: healthy');
      clearInterval(t);
    }
  }, 250);
}

// ---------------------------------------------------------------------------------------------
// Role: transform-agent

async function roleTransformAgent() {
  const host = process.env.BPD_STANDIN_HOST || '0.0.0.0';
  const port = process.env.BPD_STANDIN_PORT ? Number(process.env.BPD_STANDIN_PORT) : 4568;
  if (!isPort(port)) fatal(`BPD_STANDIN_PORT ${process.env.BPD_STANDIN_PORT} is not a port`);
  const server = http.createServer((req, res) => {
    const u = new URL(req.url, 'http://standin');
    const send = (status, type, body) => {
      res.writeHead(status, { 'Content-Type': type, 'Content-Length': Buffer.byteLength(body), 'X-Standin-Instance': HOSTNAME });
      res.end(body);
    };
    if (u.pathname === '/collector-version') return send(200, 'text/plain', 'v0.0.0-standin');
    if (u.pathname === '/health') return send(200, 'application/json', `${JSON.stringify({ instance: HOSTNAME, version: VERSION, healthy: true })}\n`);
    return send(404, 'application/json', `${JSON.stringify({ instance: HOSTNAME, path: u.pathname, error: 'not found' })}\n`);
  });
  try {
    await listen(server, port, host, 'transform-agent');
  } catch (e) {
    fatal(e.message);
  }
  log(`listening on ${host}:${port} (version ${VERSION})`);
  cleanups.push(() => new Promise((r) => server.close(() => r()) && setTimeout(r, 500).unref()));
}

// ---------------------------------------------------------------------------------------------
// Role: agent (stands in for observiq/bindplane-agent)

export function agentLabelsProblems(v) {
  if (v === undefined || v === '') return [];
  const p = [];
  const re = /^[A-Za-z0-9]([A-Za-z0-9._-]{0,61}[A-Za-z0-9])?$/;
  const keys = new Set();
  for (const part of v.split(',')) {
    const i = part.indexOf('=');
    if (i < 0) {
      p.push(`label ${JSON.stringify(part)} is not key=value`);
      continue;
    }
    const k = part.slice(0, i);
    const val = part.slice(i + 1);
    if (!re.test(k)) p.push(`label key ${JSON.stringify(k)} is not a valid label name`);
    if (val !== '' && !re.test(val)) p.push(`label value ${JSON.stringify(val)} of ${k} is not a valid label value`);
    if (keys.has(k)) p.push(`label ${k} given twice`);
    keys.add(k);
  }
  return p;
}

/**
 * The collector's manager.yaml ([COL] bootstrap.go): used as is when it exists (a missing agent_id
 * is filled in, nothing else; OPAMP_* are not read), else written from OPAMP_* with mode 0600.
 * Returns {cfg, file, idCreated, fromEnv}; exits 1 where the collector could not start.
 */
async function agentManagerConfig(env, file) {
  const yaml = await loadYaml();
  let text = null;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (e) {
    if (e.code !== 'ENOENT') fatal(`cannot read ${file}: ${errText(e)}`);
  }
  if (text !== null) {
    let cfg;
    try {
      cfg = yaml.load(text);
    } catch (e) {
      fatal(`${file} is not YAML: ${e.message.split('\n')[0]}`);
    }
    if (!cfg || typeof cfg !== 'object' || Array.isArray(cfg)) fatal(`${file} is not a mapping`);
    let idCreated = false;
    if (typeof cfg.agent_id !== 'string' || !cfg.agent_id.trim()) {
      cfg.agent_id = uuidv7();
      idCreated = true;
      try {
        fs.writeFileSync(file, yaml.dump(cfg));
      } catch (e) {
        fatal(`cannot write the agent id into ${file}: ${errText(e)}`);
      }
    }
    return { cfg, file, idCreated, fromEnv: false };
  }
  if (!env.OPAMP_ENDPOINT) fatal(`OPAMP_ENDPOINT is not set and ${file} does not exist`);
  const cfg = { endpoint: env.OPAMP_ENDPOINT };
  if (env.OPAMP_SECRET_KEY) cfg.secret_key = env.OPAMP_SECRET_KEY;
  cfg.agent_id = uuidv7();
  if (env.OPAMP_LABELS) cfg.labels = env.OPAMP_LABELS;
  if (env.OPAMP_AGENT_NAME) cfg.agent_name = env.OPAMP_AGENT_NAME;
  if (env.OPAMP_TLS_SKIP_VERIFY !== undefined && env.OPAMP_TLS_SKIP_VERIFY !== '') {
    const skip = parseBool(env.OPAMP_TLS_SKIP_VERIFY);
    if (skip === null) fatal(`OPAMP_TLS_SKIP_VERIFY ${JSON.stringify(env.OPAMP_TLS_SKIP_VERIFY)} is not a boolean`);
    cfg.tls_config = { insecure_skip_verify: skip };
  }
  try {
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, yaml.dump(cfg), { mode: 0o600 });
    fs.chmodSync(file, 0o600);
  } catch (e) {
    fatal(`cannot write ${file}: ${errText(e)} (its folder must be writable)`);
  }
  return { cfg, file, idCreated: true, fromEnv: true };
}

let agentCurrentWs = null;

/** One websocket session; resolves when it ends (with why), rejects when it cannot start. */
export function agentSession({ endpoint, secretKey, labels, agentId, agentName, skipVerify, onConnected, onMessage, userAgent = `bindplane-agent-standin/${VERSION} (OpAMP)` }) {
  const u = new URL(endpoint);
  const secure = u.protocol === 'wss:';
  const host = u.hostname.replace(/^\[|\]$/g, '');
  const port = u.port ? Number(u.port) : secure ? 443 : 80;
  return new Promise((resolve, reject) => {
    const opts = { host, port };
    const sock = secure ? tls.connect({ ...opts, servername: net.isIP(host) ? undefined : host, rejectUnauthorized: !skipVerify }) : net.connect(opts);
    let started = false;
    let buf = Buffer.alloc(0);
    const key = randomBytes(16).toString('base64');
    const timer = setTimeout(() => {
      if (!started) {
        sock.destroy();
        reject(new Error(`${endpoint}: no handshake answer within 10 s`));
      }
    }, 10_000);
    sock.on(secure ? 'secureConnect' : 'connect', () => {
      const lines = [
        `GET ${u.pathname}${u.search} HTTP/1.1`,
        `Host: ${u.host}`,
        'Upgrade: websocket',
        'Connection: Upgrade',
        `Sec-WebSocket-Key: ${key}`,
        'Sec-WebSocket-Version: 13',
        `User-Agent: ${userAgent}`,
        `X-Agent-Id: ${agentId}`,
        `X-Agent-Version: ${VERSION}`,
      ];
      if (agentName) lines.push(`X-Agent-Name: ${agentName}`);
      if (secretKey) lines.push(`Authorization: Secret-Key ${secretKey}`);
      if (labels) lines.push(`X-Agent-Labels: ${labels}`);
      sock.write(`${lines.join('\r\n')}\r\n\r\n`);
    });
    const onData = (d) => {
      buf = Buffer.concat([buf, d]);
      const end = buf.indexOf('\r\n\r\n');
      if (end < 0) {
        if (buf.length > 65536) sock.destroy(new Error('handshake answer too large'));
        return;
      }
      sock.off('data', onData);
      clearTimeout(timer);
      const headText = buf.subarray(0, end).toString();
      const rest = buf.subarray(end + 4);
      const [statusLine, ...hl] = headText.split('\r\n');
      const headers = {};
      for (const l of hl) {
        const i = l.indexOf(':');
        if (i > 0) headers[l.slice(0, i).trim().toLowerCase()] = l.slice(i + 1).trim();
      }
      if (!/^HTTP\/1\.1 101\b/.test(statusLine)) {
        sock.destroy();
        const body = rest.toString().trim().slice(0, 200);
        return reject(new Error(`handshake refused: ${statusLine}${body ? ` ${body}` : ''}`));
      }
      if (headers['sec-websocket-accept'] !== wsAccept(key)) {
        sock.destroy();
        return reject(new Error('handshake answer has a wrong Sec-WebSocket-Accept'));
      }
      started = true;
      const ws = new WsConn(sock, 'client', rest);
      let first = true;
      let awaitingPong = null;
      const pinger = setInterval(() => {
        if (awaitingPong) return ws.terminate('no pong within 10 s');
        awaitingPong = setTimeout(() => ws.terminate('no pong within 10 s'), 10_000);
        ws.send(OP.ping, 'standin');
      }, 15_000);
      ws.on('pong', () => {
        clearTimeout(awaitingPong);
        awaitingPong = null;
      });
      ws.on('message', (op, data) => {
        if (!first) {
          if (onMessage) onMessage(op, data);
          return;
        }
        first = false;
        let instance = headers['x-bindplane-instance'] || '?';
        try {
          instance = JSON.parse(data.toString()).instance || instance;
        } catch {}
        if (onConnected) onConnected(instance, ws);
      });
      ws.on('close', (code, reason, how) => {
        clearInterval(pinger);
        clearTimeout(awaitingPong);
        resolve(`${how} (${code}${reason ? ` ${reason}` : ''})`);
      });
      agentCurrentWs = ws;
    };
    sock.on('data', onData);
    sock.on('error', (e) => {
      clearTimeout(timer);
      if (!started) reject(new Error(`${endpoint}: ${errText(e)}`));
    });
    sock.on('close', () => {
      clearTimeout(timer);
      if (!started) reject(new Error(`${endpoint}: connection closed before the handshake answer`));
    });
  });
}

async function roleAgent() {
  const env = process.env;
  cleanups.push(() => agentCurrentWs && agentCurrentWs.close(1001, 'agent stopping'));
  // Like the collector: MANAGER_YAML_PATH, else ./manager.yaml in its working folder /etc/otel.
  const { cfg, file, idCreated, fromEnv } = await agentManagerConfig(env, env.MANAGER_YAML_PATH || path.join(env.BPD_STANDIN_STATE_DIR || '/etc/otel', 'manager.yaml'));
  const src = fromEnv ? 'the OPAMP_* variables (now written to manager.yaml)' : `${file} (OPAMP_* variables are not read while it exists)`;
  const endpoint = typeof cfg.endpoint === 'string' ? cfg.endpoint : '';
  if (!endpoint) fatal(`${file} has no endpoint`);
  let u;
  try {
    u = new URL(endpoint);
  } catch {
    fatal(`endpoint ${JSON.stringify(endpoint)} (from ${src}) is not a URL`);
  }
  if (!['ws:', 'wss:'].includes(u.protocol)) fatal(`endpoint ${endpoint} (from ${src}) is not ws:// or wss://`);
  if (u.pathname !== '/v1/opamp') fatal(`endpoint ${endpoint} (from ${src}) has path ${u.pathname}, expected /v1/opamp`);
  const labels = cfg.labels === undefined || cfg.labels === null ? '' : String(cfg.labels);
  const lp = agentLabelsProblems(labels);
  if (lp.length) fatal(`labels ${JSON.stringify(labels)} (from ${src}): ${lp.join('; ')}`);
  const skipRaw = cfg.tls_config?.insecure_skip_verify;
  if (skipRaw !== undefined && typeof skipRaw !== 'boolean') fatal(`tls_config.insecure_skip_verify in ${file} is ${JSON.stringify(skipRaw)}, not a boolean`);
  const skip = skipRaw === true;
  const secretKey = typeof cfg.secret_key === 'string' && cfg.secret_key ? cfg.secret_key : '';
  const agentName = typeof cfg.agent_name === 'string' && cfg.agent_name ? cfg.agent_name : os.hostname();
  log(`agent id ${cfg.agent_id} (${idCreated ? 'new, written to' : 'from'} ${file}); endpoint ${endpoint}${u.protocol === 'wss:' ? `, TLS verification ${skip ? 'skipped' : 'on'}` : ''}`);
  log(`configuration from ${src}: endpoint ${endpoint}, secret key ${secretKey ? `from ${fromEnv ? 'OPAMP_SECRET_KEY' : 'manager.yaml'}` : 'none'}, name ${agentName}, labels ${labels || '-'}`);
  let lastError = '';
  while (!shuttingDown) {
    try {
      const why = await agentSession({
        endpoint,
        secretKey,
        labels,
        agentId: cfg.agent_id,
        agentName,
        skipVerify: skip,
        onConnected: (instance) => {
          lastError = '';
          log(`connected to ${instance} via ${endpoint}`);
          log('Successfully connected to server');
        },
        onMessage: (op, data) => {
          try {
            const m = JSON.parse(data.toString());
            if (m && m.type === 'configuration' && typeof m.name === 'string') log(`running configuration ${m.name}`);
          } catch {}
        },
      });
      if (shuttingDown) return;
      log(`disconnected: ${why}; reconnecting in 1 s`);
    } catch (e) {
      if (shuttingDown) return;
      // One line per distinct failure, so a refused key does not flood the log every second.
      if (e.message !== lastError) log(`Failed to connect to server: ${e.message}; retrying every 1 s`);
      lastError = e.message;
    }
    await sleep(1000);
  }
}

// ---------------------------------------------------------------------------------------------
// Role: kafka (stands in for apache/kafka in KRaft mode)

const KAFKA_PROTOCOLS = ['PLAINTEXT', 'SSL', 'SASL_PLAINTEXT', 'SASL_SSL'];

export function parseListenerList(v, what, problems) {
  const out = [];
  for (const part of String(v ?? '').split(',').map((s) => s.trim()).filter(Boolean)) {
    const m = /^([A-Za-z0-9_]+):\/\/(\[[^\]]*\]|[^:/]*):(\d+)$/.exec(part);
    if (!m || !isPort(m[3])) {
      problems.push(`${what}: ${JSON.stringify(part)} is not NAME://host:port`);
      continue;
    }
    out.push({ name: m[1].toUpperCase(), host: m[2].replace(/^\[|\]$/g, ''), port: Number(m[3]) });
  }
  return out;
}

/** Validates the KRaft environment; {problems, cfg}. */
export function kafkaConfig(env) {
  const p = [];
  const cfg = {};
  if (!/^\d+$/.test(env.KAFKA_NODE_ID ?? '')) p.push(`KAFKA_NODE_ID ${JSON.stringify(env.KAFKA_NODE_ID ?? null)} is not a non-negative integer`);
  cfg.nodeId = Number(env.KAFKA_NODE_ID);
  const roles = String(env.KAFKA_PROCESS_ROLES ?? '').split(',').map((s) => s.trim()).filter(Boolean);
  if (!roles.includes('broker') || !roles.includes('controller')) p.push(`KAFKA_PROCESS_ROLES ${JSON.stringify(env.KAFKA_PROCESS_ROLES ?? null)} must contain broker and controller (this stand-in runs combined nodes)`);
  if (!env.KAFKA_LISTENERS) p.push('KAFKA_LISTENERS is unset');
  const listeners = parseListenerList(env.KAFKA_LISTENERS, 'KAFKA_LISTENERS', p);
  cfg.listeners = listeners;
  const names = listeners.map((l) => l.name);
  for (const n of new Set(names)) if (names.filter((x) => x === n).length > 1) p.push(`KAFKA_LISTENERS names ${n} twice`);
  const ports = listeners.map((l) => l.port);
  for (const n of new Set(ports)) if (ports.filter((x) => x === n).length > 1) p.push(`KAFKA_LISTENERS uses port ${n} twice`);
  const controllerNames = String(env.KAFKA_CONTROLLER_LISTENER_NAMES ?? '').split(',').map((s) => s.trim().toUpperCase()).filter(Boolean);
  if (!controllerNames.length) p.push('KAFKA_CONTROLLER_LISTENER_NAMES is unset');
  for (const c of controllerNames) if (!names.includes(c)) p.push(`KAFKA_CONTROLLER_LISTENER_NAMES names ${c}, which is not in KAFKA_LISTENERS`);
  cfg.controllerNames = controllerNames;
  const advertised = env.KAFKA_ADVERTISED_LISTENERS
    ? parseListenerList(env.KAFKA_ADVERTISED_LISTENERS, 'KAFKA_ADVERTISED_LISTENERS', p)
    : listeners.filter((l) => !controllerNames.includes(l.name)).map((l) => ({ ...l, host: l.host || os.hostname() }));
  for (const a of advertised) {
    if (!names.includes(a.name)) p.push(`KAFKA_ADVERTISED_LISTENERS names ${a.name}, which is not in KAFKA_LISTENERS`);
    if (controllerNames.includes(a.name)) p.push(`KAFKA_ADVERTISED_LISTENERS contains the controller listener ${a.name}`);
    if (!a.host || a.host === '0.0.0.0' || a.host === '::') p.push(`KAFKA_ADVERTISED_LISTENERS ${a.name} advertises the non-routable address ${JSON.stringify(a.host)}`);
  }
  cfg.advertised = advertised;
  const mapText = env.KAFKA_LISTENER_SECURITY_PROTOCOL_MAP ?? KAFKA_PROTOCOLS.map((x) => `${x}:${x}`).join(',');
  const protoMap = {};
  for (const part of mapText.split(',').map((s) => s.trim()).filter(Boolean)) {
    const [n, proto, extra] = part.split(':');
    if (!n || !proto || extra !== undefined || !KAFKA_PROTOCOLS.includes(proto.toUpperCase())) p.push(`KAFKA_LISTENER_SECURITY_PROTOCOL_MAP: ${JSON.stringify(part)} is not NAME:PROTOCOL`);
    else protoMap[n.toUpperCase()] = proto.toUpperCase();
  }
  for (const n of names) {
    if (!protoMap[n]) p.push(`listener ${n} has no entry in KAFKA_LISTENER_SECURITY_PROTOCOL_MAP`);
    else if (protoMap[n] !== 'PLAINTEXT') p.push(`listener ${n} uses ${protoMap[n]}: this stand-in speaks PLAINTEXT only`);
  }
  const inter = (env.KAFKA_INTER_BROKER_LISTENER_NAME || 'PLAINTEXT').toUpperCase();
  if (!names.includes(inter)) p.push(`KAFKA_INTER_BROKER_LISTENER_NAME ${inter} is not in KAFKA_LISTENERS`);
  else if (controllerNames.includes(inter)) p.push(`KAFKA_INTER_BROKER_LISTENER_NAME ${inter} is a controller listener`);
  else if (!advertised.some((a) => a.name === inter)) p.push(`KAFKA_INTER_BROKER_LISTENER_NAME ${inter} is not advertised`);
  cfg.interBroker = inter;
  const controller = listeners.find((l) => controllerNames.includes(l.name));
  cfg.controller = controller;
  cfg.voters = [];
  if (!env.KAFKA_CONTROLLER_QUORUM_VOTERS) p.push('KAFKA_CONTROLLER_QUORUM_VOTERS is unset');
  for (const part of String(env.KAFKA_CONTROLLER_QUORUM_VOTERS ?? '').split(',').map((s) => s.trim()).filter(Boolean)) {
    const m = /^(\d+)@(\[[^\]]+\]|[^:@]+):(\d+)$/.exec(part);
    if (!m || !isPort(m[3])) {
      p.push(`KAFKA_CONTROLLER_QUORUM_VOTERS: ${JSON.stringify(part)} is not id@host:port`);
      continue;
    }
    const v = { id: Number(m[1]), host: m[2].replace(/^\[|\]$/g, ''), port: Number(m[3]) };
    if (cfg.voters.some((x) => x.id === v.id)) p.push(`KAFKA_CONTROLLER_QUORUM_VOTERS lists node ${v.id} twice`);
    if (controller && v.port !== controller.port) p.push(`KAFKA_CONTROLLER_QUORUM_VOTERS: ${part} uses port ${v.port}, not the controller listener's ${controller.port}`);
    cfg.voters.push(v);
  }
  if (cfg.voters.length && !cfg.voters.some((v) => v.id === cfg.nodeId)) p.push(`KAFKA_CONTROLLER_QUORUM_VOTERS does not contain this node (KAFKA_NODE_ID ${cfg.nodeId})`);
  if (!env.CLUSTER_ID) p.push('CLUSTER_ID is empty or unset');
  else if (!/^[A-Za-z0-9_-]{22}$/.test(env.CLUSTER_ID) || Buffer.from(env.CLUSTER_ID, 'base64url').length !== 16)
    p.push(`CLUSTER_ID ${JSON.stringify(env.CLUSTER_ID)} is not a KRaft cluster id (16 bytes in URL-safe base64, 22 characters)`);
  cfg.clusterId = env.CLUSTER_ID;
  // Replication: Kafka's defaults when unset (3 for the internal topics) would fail on small clusters.
  const int = (k, def) => {
    const v = env[k];
    if (v === undefined || v === '') return def;
    if (!/^\d+$/.test(v) || Number(v) < 1) {
      p.push(`${k} ${JSON.stringify(v)} is not a positive integer`);
      return def;
    }
    return Number(v);
  };
  const n = cfg.voters.length || 1;
  const rf = {
    KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR: int('KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR', 3),
    KAFKA_TRANSACTION_STATE_LOG_REPLICATION_FACTOR: int('KAFKA_TRANSACTION_STATE_LOG_REPLICATION_FACTOR', 3),
    KAFKA_DEFAULT_REPLICATION_FACTOR: int('KAFKA_DEFAULT_REPLICATION_FACTOR', 1),
  };
  for (const [k, v] of Object.entries(rf)) if (v > n) p.push(`${k}${env[k] === undefined ? ' (unset: Kafka default)' : ''} is ${v}, more than the ${n} voter(s)`);
  const txnIsr = int('KAFKA_TRANSACTION_STATE_LOG_MIN_ISR', 2);
  if (txnIsr > rf.KAFKA_TRANSACTION_STATE_LOG_REPLICATION_FACTOR) p.push(`KAFKA_TRANSACTION_STATE_LOG_MIN_ISR ${txnIsr} exceeds KAFKA_TRANSACTION_STATE_LOG_REPLICATION_FACTOR ${rf.KAFKA_TRANSACTION_STATE_LOG_REPLICATION_FACTOR}`);
  const minIsr = int('KAFKA_MIN_INSYNC_REPLICAS', 1);
  if (minIsr > rf.KAFKA_DEFAULT_REPLICATION_FACTOR) p.push(`KAFKA_MIN_INSYNC_REPLICAS ${minIsr} exceeds KAFKA_DEFAULT_REPLICATION_FACTOR ${rf.KAFKA_DEFAULT_REPLICATION_FACTOR}`);
  cfg.logDirs = String(env.KAFKA_LOG_DIRS ?? '/tmp/kraft-combined-logs').split(',').map((s) => s.trim()).filter(Boolean);
  return { problems: p, cfg };
}

function kafkaPrepareLogDirs(cfg, problems) {
  for (const dir of cfg.logDirs) {
    try {
      fs.mkdirSync(dir, { recursive: true });
      const probe = path.join(dir, `.bpd-standin-write-test-${process.pid}`);
      fs.writeFileSync(probe, 'x');
      fs.unlinkSync(probe);
    } catch (e) {
      problems.push(`log dir ${dir} is not writable: ${errText(e)}`);
      continue;
    }
    const meta = path.join(dir, 'meta.properties');
    let text = null;
    try {
      text = fs.readFileSync(meta, 'utf8');
    } catch {}
    if (text !== null) {
      const get = (k) => (new RegExp(`^${k.replace('.', '\\.')}=(.*)$`, 'm').exec(text) || [])[1];
      if (get('cluster.id') !== cfg.clusterId) problems.push(`Invalid cluster.id in ${meta}: expected ${cfg.clusterId}, but read ${get('cluster.id')} (the volume was formatted for another cluster)`);
      if (get('node.id') !== String(cfg.nodeId)) problems.push(`${meta} has node.id ${get('node.id')}, but KAFKA_NODE_ID is ${cfg.nodeId}`);
    } else if (!problems.length) {
      fs.writeFileSync(meta, `#\n#${new Date().toString()}\ncluster.id=${cfg.clusterId}\nnode.id=${cfg.nodeId}\nversion=1\n`);
      log(`formatted ${dir} for cluster ${cfg.clusterId}, node ${cfg.nodeId}`);
    }
  }
}

async function roleKafka() {
  const { problems, cfg } = kafkaConfig(process.env);
  if (!problems.length) kafkaPrepareLogDirs(cfg, problems);
  if (problems.length) {
    for (const p of problems) log(`config error: ${p}`);
    fatal(`refusing to start: ${problems.length} configuration error(s)`);
  }
  const others = cfg.voters.filter((v) => v.id !== cfg.nodeId);
  const quorum = new Map(others.map((v) => [v.id, { ...v, reachable: false, ever: false, reason: 'not tried yet' }]));
  let formed = others.length === 0;
  const quorumOk = () => {
    const up = 1 + [...quorum.values()].filter((v) => v.reachable).length;
    return formed && up > cfg.voters.length / 2;
  };
  const quorumReason = () => {
    if (!formed)
      return `waiting for voter(s) ${[...quorum.values()]
        .filter((v) => !v.ever)
        .map((v) => `${v.id}@${v.host}:${v.port} (${v.reason})`)
        .join(', ')}`;
    return `only ${1 + [...quorum.values()].filter((v) => v.reachable).length} of ${cfg.voters.length} voters reachable`;
  };

  const servers = [];
  for (const l of cfg.listeners) {
    const isController = cfg.controllerNames.includes(l.name);
    const adv = cfg.advertised.find((a) => a.name === l.name);
    const server = net.createServer((sock) => {
      sock.setEncoding('utf8');
      let buf = '';
      sock.on('error', () => {});
      sock.on('data', (d) => {
        buf += d;
        let i;
        while ((i = buf.indexOf('\n')) >= 0) {
          const line = buf.slice(0, i).replace(/\r$/, '').trim();
          buf = buf.slice(i + 1);
          const [cmd, ...args] = line.split(/\s+/);
          if (isController) {
            sock.write(cmd === 'PING' ? 'PONG\n' : `ERR ${l.name} is a controller listener: only PING\n`);
            continue;
          }
          if (cmd === 'APIVERSIONS') sock.write(quorumOk() ? 'OK\n' : 'ERR no quorum\n');
          else if (cmd === 'METADATA') {
            const topic = args[0];
            if (!topic || !/^[A-Za-z0-9._-]{1,249}$/.test(topic)) sock.write(`ERR invalid topic ${JSON.stringify(topic ?? '')}\n`);
            else if (!quorumOk()) sock.write('ERR no quorum\n');
            else if (!adv) sock.write(`ERR listener ${l.name} is not advertised\n`);
            else sock.write(`OK ${adv.host.includes(':') ? `[${adv.host}]` : adv.host}:${adv.port} ${cfg.nodeId}\n`);
          } else sock.write(`ERR unknown request ${JSON.stringify(cmd ?? '')} on broker listener ${l.name}\n`);
        }
      });
    });
    try {
      await listen(server, l.port, l.host, `listener ${l.name}`);
    } catch (e) {
      fatal(e.message);
    }
    servers.push(server);
    log(`listener ${l.name} (${isController ? 'controller' : 'broker'}) on ${l.host || '*'}:${l.port}${adv ? `, advertised as ${adv.host}:${adv.port}` : ''}`);
  }
  cleanups.push(() => Promise.all(servers.map((s) => new Promise((r) => s.close(() => r()) && setTimeout(r, 300).unref()))));
  log(`node ${cfg.nodeId} of cluster ${cfg.clusterId}, voters ${cfg.voters.map((v) => `${v.id}@${v.host}:${v.port}`).join(',')}`);

  let lastState = '';
  const tick = async () => {
    await Promise.all(
      [...quorum.values()].map(async (v) => {
        try {
          const a = await tcpExchange(v.host, v.port, 'PING', 1000);
          if (a !== 'PONG') throw new Error(`answered ${JSON.stringify(a)}, not a controller listener`);
          v.reachable = true;
          v.ever = true;
          v.reason = 'ok';
        } catch (e) {
          v.reachable = false;
          v.reason = e.message;
        }
      }),
    );
    if (!formed && [...quorum.values()].every((v) => v.ever)) formed = true;
    const state = quorumOk() ? 'quorum: formed' : `quorum: not ready: ${quorumReason()}`;
    if (state !== lastState) log(state);
    lastState = state;
  };
  const loop = async () => {
    while (!shuttingDown) {
      await tick();
      await sleep(1000);
    }
  };
  loop();
}

// ---------------------------------------------------------------------------------------------
// Client mode: kafka-broker-api-versions.sh --bootstrap-server HOST:PORT

async function kafkaApiVersionsClient(args) {
  logTag = 'kafka-broker-api-versions';
  const i = args.indexOf('--bootstrap-server');
  const target = i >= 0 ? args[i + 1] : undefined;
  const hp = target && parseHostPort(target.split(',')[0]);
  if (!hp) {
    process.stderr.write('usage: kafka-broker-api-versions.sh --bootstrap-server HOST:PORT\n');
    process.exit(2);
  }
  try {
    const answer = await tcpExchange(hp.host, hp.port, 'APIVERSIONS', 5000);
    if (answer === 'OK') {
      process.stdout.write(`${target} (stand-in): ApiVersions OK\n`);
      process.exit(0);
    }
    process.stderr.write(`${target}: ${answer}\n`);
  } catch (e) {
    process.stderr.write(`${e.message}\n`);
  }
  process.exit(1);
}

// ---------------------------------------------------------------------------------------------
// Client mode: the `bindplane` CLI of the bindplane image ([OP] flags and output, [SH] commands)

class CliError extends Error {}

const CLI_GLOBAL_FLAGS = { '--remote-url': 'remoteURL', '--username': 'username', '--password': 'password', '--profile': 'profile', '--output': 'output', '-o': 'output' };
const CLI_COMMAND_FLAGS = {
  apply: { '-f': 'file', '--file': 'file' },
  'get agents': { '-l': 'selector', '--selector': 'selector' },
};
const CLI_GET = {
  projects: 'projects',
  project: 'projects',
  agents: 'agents',
  agent: 'agents',
  configurations: 'Configuration',
  configuration: 'Configuration',
  destinations: 'Destination',
  destination: 'Destination',
  sources: 'Source',
  source: 'Source',
  processors: 'Processor',
  processor: 'Processor',
};

/** Splits argv into positionals and flags (every flag here takes a value: `--f v`, `--f=v`, `-o v`, `-ov`). */
export function cliParse(argv) {
  const positional = [];
  const flags = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '-' || !a.startsWith('-')) {
      positional.push(a);
      continue;
    }
    if (a === '--') {
      positional.push(...argv.slice(i + 1));
      break;
    }
    let name;
    let value;
    if (a.startsWith('--')) {
      const eq = a.indexOf('=');
      [name, value] = eq > 0 ? [a.slice(0, eq), a.slice(eq + 1)] : [a, undefined];
    } else {
      name = a.slice(0, 2);
      value = a.length > 2 ? a.slice(2).replace(/^=/, '') : undefined;
    }
    if (name === '--help' || name === '-h') {
      flags.push({ name: '--help', value: 'true' });
      continue;
    }
    const known = name in CLI_GLOBAL_FLAGS || Object.values(CLI_COMMAND_FLAGS).some((f) => name in f);
    if (!known) throw new CliError(name.startsWith('--') ? `unknown flag: ${name}` : `unknown shorthand flag: '${name.slice(1)}' in ${a}`);
    if (value === undefined) {
      if (i + 1 >= argv.length) throw new CliError(`flag needs an argument: ${name.startsWith('--') ? name : `'${name.slice(1)}' in ${name}`}`);
      value = argv[++i];
    }
    flags.push({ name, value });
  }
  return { positional, flags };
}

function cliCommand(positional) {
  const [cmd, sub, ...rest] = positional;
  const known = ['apply', 'create', 'get', 'version', 'profile'];
  if (cmd === undefined) return { key: 'help', args: [] };
  if (!known.includes(cmd)) throw new CliError(`unknown command "${cmd}" for "bindplane"`);
  if (cmd === 'apply') return { key: 'apply', args: positional.slice(1) };
  if (cmd === 'version') return { key: 'version', args: positional.slice(1) };
  if (cmd === 'create') {
    if (sub !== 'organization') throw new CliError(sub === undefined ? 'create needs a resource: bindplane create organization NAME' : `unknown command "${sub}" for "bindplane create"`);
    return { key: 'create organization', args: rest };
  }
  if (cmd === 'profile') {
    if (!['create', 'set', 'get'].includes(sub)) throw new CliError(sub === undefined ? 'profile needs a subcommand: create, set or get' : `unknown command "${sub}" for "bindplane profile"`);
    return { key: `profile ${sub}`, args: rest };
  }
  if (sub === undefined) throw new CliError('get needs a resource: projects, agents, configurations, destinations, sources or processors');
  if (!CLI_GET[sub]) throw new CliError(`unknown command "${sub}" for "bindplane get"`);
  return { key: CLI_GET[sub] === 'agents' ? 'get agents' : 'get', what: CLI_GET[sub], args: rest };
}

function cliHome(env) {
  return env.BINDPLANE_CONFIG_HOME || path.join(env.HOME || os.homedir(), '.bindplane');
}

async function cliReadProfile(env, name) {
  if (!/^[A-Za-z0-9._-]+$/.test(name)) throw new CliError(`invalid profile name ${JSON.stringify(name)}`);
  const file = path.join(cliHome(env), 'profiles', `${name}.yaml`);
  let text;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (e) {
    if (e.code === 'ENOENT') throw new CliError(`profile ${name} does not exist (${file})`);
    throw new CliError(`cannot read ${file}: ${errText(e)}`);
  }
  const doc = (await loadYaml()).load(text);
  if (!doc || typeof doc !== 'object') throw new CliError(`${file} is not a profile`);
  return { file, doc };
}

/** Flag > environment > profile > default ([OP]). */
async function cliSettings(env, opts) {
  const prof = opts.profile ? (await cliReadProfile(env, opts.profile)).doc : {};
  const pick = (flag, envName, fromProfile, def) => opts[flag] ?? (env[envName] || undefined) ?? (fromProfile || undefined) ?? def;
  const remoteURL = pick('remoteURL', 'BINDPLANE_REMOTE_URL', prof.network?.remoteURL, 'http://127.0.0.1:3001');
  let u;
  try {
    u = new URL(remoteURL);
  } catch {
    throw new CliError(`remote URL ${JSON.stringify(remoteURL)} is not a URL`);
  }
  if (!['http:', 'https:'].includes(u.protocol)) throw new CliError(`remote URL ${remoteURL} is not http(s)`);
  return {
    remoteURL: remoteURL.replace(/\/+$/, ''),
    username: pick('username', 'BINDPLANE_USERNAME', prof.auth?.username, 'admin'),
    password: pick('password', 'BINDPLANE_PASSWORD', prof.auth?.password, 'admin'),
  };
}

async function cliCall(settings, method, p, body) {
  const url = `${settings.remoteURL}${p}`;
  let r;
  try {
    r = await httpRequest(method, url, {
      headers: { Authorization: `Basic ${Buffer.from(`${settings.username}:${settings.password}`).toString('base64')}`, 'Content-Type': 'application/json', 'User-Agent': `bindplane-cli-standin/${VERSION}` },
      body: body === undefined ? undefined : JSON.stringify(body),
      timeoutMs: 30_000,
    });
  } catch (e) {
    const u = new URL(url);
    const where = `${u.hostname}:${u.port || (u.protocol === 'https:' ? 443 : 80)}`;
    const m = /ECONNREFUSED/.test(e.message) ? `dial tcp ${where}: connect: connection refused` : /ENOTFOUND|EAI_AGAIN/.test(e.message) ? `dial tcp: lookup ${u.hostname}: no such host` : e.message.replace(`${method} ${url}: `, '');
    throw new CliError(`${method[0]}${method.slice(1).toLowerCase()} "${url}": ${m}`);
  }
  let json = null;
  try {
    json = JSON.parse(r.body.toString());
  } catch {}
  if (r.status === 401) throw new CliError('401 Unauthorized');
  if (r.status === 403) throw new CliError('403 Forbidden');
  if (r.status < 200 || r.status > 299) throw new CliError(`${r.status} ${http.STATUS_CODES[r.status] || ''}${json && json.error ? `: ${json.error}` : ''}`.trim());
  if (!json) throw new CliError(`${method} ${url}: the answer is not JSON`);
  return json;
}

async function cliPrint(output, value, table) {
  if (output === 'json') return `${JSON.stringify(value, null, 2)}\n`;
  if (output === 'yaml') return (await loadYaml()).dump(value);
  return formatTable(table.headers, table.rows);
}

async function cliReadResources(files, stdin) {
  const yaml = await loadYaml();
  const docs = [];
  for (const f of files) {
    let text;
    try {
      text = f === '-' ? await stdin() : fs.readFileSync(f, 'utf8');
    } catch (e) {
      throw new CliError(e.code === 'ENOENT' ? `open ${f}: no such file or directory` : `read ${f}: ${errText(e)}`);
    }
    let parsed;
    try {
      parsed = yaml.loadAll(text);
    } catch (e) {
      throw new CliError(`${f === '-' ? 'stdin' : f}: ${e.message.split('\n')[0]}`);
    }
    docs.push(...parsed.filter((d) => d !== null && d !== undefined));
  }
  return docs;
}

const CLI_HELP = `Stand-in for the bindplane CLI. Commands:
  bindplane create organization NAME
  bindplane get projects|agents|configurations|destinations|sources|processors [-l k=v]
  bindplane apply -f FILE|- [-f FILE ...]
  bindplane profile create|set|get NAME [--remote-url URL --username U --password P]
  bindplane version
Global flags: --remote-url URL --username U --password P --profile NAME -o/--output table|json|yaml
`;

/** Runs one CLI invocation: {code, stdout, stderr}. */
export async function cliRun(argv, { env = process.env, stdin = () => Promise.resolve('') } = {}) {
  let out = '';
  try {
    const { positional, flags } = cliParse(argv);
    const command = cliCommand(positional);
    const allowed = { ...CLI_GLOBAL_FLAGS, ...(CLI_COMMAND_FLAGS[command.key] || {}), '--help': 'help' };
    const opts = { file: [] };
    for (const f of flags) {
      const key = allowed[f.name];
      if (!key) throw new CliError(f.name.startsWith('--') ? `unknown flag: ${f.name}` : `unknown shorthand flag: '${f.name.slice(1)}' in ${f.name}`);
      if (key === 'file') opts.file.push(...f.value.split(','));
      else opts[key] = f.value;
    }
    if (opts.help || command.key === 'help') return { code: 0, stdout: CLI_HELP, stderr: '' };
    const output = opts.output ?? 'table';
    if (!['table', 'json', 'yaml'].includes(output)) throw new CliError(`invalid output ${JSON.stringify(output)}: use table, json or yaml`);
    if (command.key === 'version') return { code: 0, stdout: `bindplane ${VERSION} (stand-in)\n`, stderr: '' };
    if (command.key.startsWith('profile ')) return { code: 0, stdout: await cliProfile(env, command, opts), stderr: '' };
    const settings = await cliSettings(env, opts);
    if (command.key === 'create organization') {
      if (command.args.length !== 1 || !command.args[0].trim()) throw new CliError('create organization needs exactly one NAME');
      const r = await cliCall(settings, 'POST', '/v1/organizations', { name: command.args[0] });
      if (output !== 'table') out = await cliPrint(output, r);
      else {
        out = formatTable(['Name', 'ID'], [[r.organization.name, r.organization.id]]);
        out += `\n${formatTable(['Name', 'ID', 'SecretKey'], r.projects.map((p) => [p.name, p.id, p.secretKey]))}`;
      }
    } else if (command.key === 'get' && command.what === 'projects') {
      if (command.args.length) throw new CliError(`get projects takes no arguments (got ${command.args.join(' ')})`);
      const r = await cliCall(settings, 'GET', '/v1/projects');
      out = await cliPrint(output, r.projects, { headers: ['Name', 'ID', 'SecretKey'], rows: r.projects.map((p) => [p.name, p.id, p.secretKey]) });
    } else if (command.key === 'get agents') {
      if (opts.selector !== undefined && agentLabelsProblems(opts.selector).length) throw new CliError(`invalid selector ${JSON.stringify(opts.selector)}: ${agentLabelsProblems(opts.selector).join('; ')}`);
      const r = await cliCall(settings, 'GET', `/v1/agents${opts.selector ? `?selector=${encodeURIComponent(opts.selector)}` : ''}`);
      let list = r.agents;
      if (command.args.length) list = list.filter((a) => command.args.includes(a.id));
      out = await cliPrint(output, list, {
        headers: ['ID', 'Name', 'Version', 'Status', 'Configuration', 'Connected', 'Reported', 'Disconnected', 'Labels'],
        rows: list.map((a) => {
          const now = Date.parse(a.serverTime);
          return [a.id, a.name, a.version, a.status, a.configuration, a.status === 'Connected' ? age(Date.parse(a.connectedAt), now) : '-', age(Date.parse(a.reportedAt), now), a.disconnectedAt ? age(Date.parse(a.disconnectedAt), now) : '-', labelsText(a.labels)];
        }),
      });
    } else if (command.key === 'get') {
      const r = await cliCall(settings, 'GET', `/v1/resources?kind=${command.what}`);
      let list = r.resources;
      if (command.args.length) list = list.filter((x) => command.args.includes(x.metadata?.name));
      const headers = command.what === 'Configuration' ? ['Name', 'Match'] : ['Name', 'Type', 'Description'];
      const rows = list.map((x) =>
        command.what === 'Configuration' ? [x.metadata.name, labelsText(x.spec?.selector?.matchLabels || {})] : [x.metadata.name, x.spec?.type, x.metadata?.description],
      );
      out = await cliPrint(output, list, { headers, rows });
    } else if (command.key === 'apply') {
      const files = [...opts.file, ...command.args];
      if (!files.length) return { code: 0, stdout: CLI_HELP, stderr: '' };
      const docs = await cliReadResources(files, stdin);
      const r = await cliCall(settings, 'POST', '/v1/apply', { resources: docs });
      out = r.updates.map((x) => `${x.kind} ${x.name} ${x.status}\n${x.reason ? `\t${x.reason}\n` : ''}`).join('');
    }
    return { code: 0, stdout: out, stderr: '' };
  } catch (e) {
    if (!(e instanceof CliError) && !e.name?.startsWith('YAML')) return { code: 1, stdout: out, stderr: `Error: ${e.stack || e.message}\n` };
    return { code: 1, stdout: out, stderr: `Error: ${e.message}\n` };
  }
}

/** `profile create NAME`, `profile set NAME --remote-url --username --password`, `profile get NAME` ([SH]). */
async function cliProfile(env, command, opts) {
  const yaml = await loadYaml();
  const [name, ...extra] = command.args;
  if (!name || extra.length) throw new CliError(`${command.key} needs exactly one NAME`);
  if (!/^[A-Za-z0-9._-]+$/.test(name)) throw new CliError(`invalid profile name ${JSON.stringify(name)}`);
  const file = path.join(cliHome(env), 'profiles', `${name}.yaml`);
  const exists = fs.existsSync(file);
  if (command.key === 'profile get') return fs.readFileSync((await cliReadProfile(env, name)).file, 'utf8');
  if (command.key === 'profile create' && exists) throw new CliError(`profile ${name} already exists`);
  const doc = exists ? (await cliReadProfile(env, name)).doc : { name };
  if (opts.remoteURL !== undefined) doc.network = { ...(doc.network || {}), remoteURL: opts.remoteURL };
  if (opts.username !== undefined) doc.auth = { ...(doc.auth || {}), username: opts.username };
  if (opts.password !== undefined) doc.auth = { ...(doc.auth || {}), password: opts.password };
  fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  fs.writeFileSync(file, yaml.dump(doc), { mode: 0o600 });
  return '';
}

async function cliMain(args) {
  const stdin = () =>
    new Promise((resolve, reject) => {
      const chunks = [];
      process.stdin.on('data', (c) => chunks.push(c));
      process.stdin.on('end', () => resolve(Buffer.concat(chunks).toString()));
      process.stdin.on('error', reject);
    });
  const r = await cliRun(args, { stdin });
  process.stdout.write(r.stdout);
  process.stderr.write(r.stderr);
  process.exitCode = r.code;
}

// ---------------------------------------------------------------------------------------------

async function main() {
  const args = process.argv.slice(2);
  if (args[0] === 'kafka-api-versions') return kafkaApiVersionsClient(args.slice(1));
  if (args[0] === 'cli') return cliMain(args.slice(1));
  installSignalHandlers();
  const roles = { bindplane: roleBindplane, 'transform-agent': roleTransformAgent, agent: roleAgent, kafka: roleKafka };
  const fn = roles[ROLE];
  if (!fn) fatal(`BPD_STANDIN_ROLE ${JSON.stringify(ROLE)} is not one of ${Object.keys(roles).join(', ')}`);
  log(`stand-in ${ROLE} ${VERSION} starting (node ${process.version})`);
  await fn();
}

const isMain = (() => {
  try {
    return !!process.argv[1] && fs.realpathSync(process.argv[1]) === fs.realpathSync(fileURLToPath(import.meta.url));
  } catch {
    return false;
  }
})();
if (isMain) main().catch((e) => fatal(e.stack || e.message));
