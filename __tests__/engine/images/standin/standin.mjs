#!/usr/bin/env node
// Stand-ins for the images no one can pull here (Bindplane, its transform agent, its agent, Kafka),
// for the engine tests that run a generated stack on a local Docker engine. One ESM file, Node 18
// built-ins only. Each role checks the wiring it is given as the real program would need it, and
// fails loudly (a 503 with reasons, or exit 1 where the real program refuses to start) when a value
// is wrong, so that a wrong generated value makes a test fail. It is not a model of the products.
//
// Role from BPD_STANDIN_ROLE: bindplane | transform-agent | agent | kafka. BPD_STANDIN_VERSION is
// the image's tag (reported); BPD_STANDIN_INSTANCE overrides the instance name (the host name).
// Client mode (any role): `standin.mjs kafka-api-versions --bootstrap-server HOST:PORT`.
//
// bindplane: listens on BINDPLANE_HOST (default 127.0.0.1):BINDPLANE_PORT (default 3001). Checks,
//   each retried every 1 s until it passes, then passed for good: config, postgres, prometheus,
//   nats-server (when BINDPLANE_NATS_SERVER_ENABLE=true), eventbus, transform-agents (when
//   BINDPLANE_TRANSFORM_AGENT_ENABLE_REMOTE=true). HTTP (GET and HEAD; every answer carries
//   X-Bindplane-Instance and X-Bindplane-Version):
//     /health                    200 {instance, mode, version, checks} | 503 {..., failing: [{check, reason}]}
//     /standin/info              {instance, mode, version, healthy, agents: [{id, labels, labelsRaw,
//                                userAgent, remoteAddress, remotePort, forwardedFor, connectedAt}],
//                                websocketConnectionsTotal, nats?: {serverRunning, serverPid,
//                                serverRestarts, connectedTo, reconnects}}
//     /standin/nats/publish?msg=X publishes X on BINDPLANE_NATS_CLIENT_SUBJECT (503 when not connected)
//     /standin/nats/received     JSON list of the last 100 payloads received on the subject
//     anything else              200 {instance, path}
//   Websocket upgrades on /v1/opamp (needs `Authorization: Secret-Key <BINDPLANE_SECRET_KEY>`, else
//   401) and /v1/graphql (no key); any other path 404. After the 101: one text frame {instance,
//   path, version}; text and binary frames echoed; pings answered. Agents are recorded from the
//   X-Agent-Id, X-Agent-Labels and User-Agent headers.
// transform-agent: BPD_STANDIN_HOST (0.0.0.0):BPD_STANDIN_PORT (4568); /collector-version ->
//   200 v0.0.0-standin, /health -> 200.
// agent: OPAMP_ENDPOINT (ws[s]://host[:port]/v1/opamp), OPAMP_SECRET_KEY, OPAMP_LABELS (k=v,...),
//   OPAMP_TLS_SKIP_VERIFY; identity in MANAGER_YAML_PATH (default /etc/otel/manager.yaml), as the real agent.
//   Logs `connected to <instance> via <endpoint>`; reconnects every 1 s forever.
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
  for (const k of ['BINDPLANE_LICENSE', 'BINDPLANE_USERNAME', 'BINDPLANE_PASSWORD', 'BINDPLANE_SESSION_SECRET', 'BINDPLANE_SECRET_KEY']) nonEmpty(k);
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
    await runPsql(
      env,
      `CREATE TABLE IF NOT EXISTS bpd_standin_schema(version text, applied_at timestamptz default now()); INSERT INTO bpd_standin_schema(version) VALUES (${sqlString(VERSION)})`,
    );
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

function parseLabels(v) {
  const labels = {};
  for (const part of String(v || '').split(',').map((s) => s.trim()).filter(Boolean)) {
    const i = part.indexOf('=');
    if (i < 0) labels[part] = '';
    else labels[part.slice(0, i)] = part.slice(i + 1);
  }
  return labels;
}

async function roleBindplane() {
  const env = process.env;
  const mode = env.BINDPLANE_MODE;
  const host = env.BINDPLANE_HOST || '127.0.0.1';
  const port = isPort(env.BINDPLANE_PORT) ? Number(env.BINDPLANE_PORT) : 3001;
  const checks = new Checks();
  const agents = new Map();
  let wsTotal = 0;
  const openSockets = new Set();

  const baseHeaders = { 'X-Bindplane-Instance': HOSTNAME, 'X-Bindplane-Version': VERSION };
  const json = (res, status, obj) => {
    const body = `${JSON.stringify(obj)}\n`;
    res.writeHead(status, { ...baseHeaders, 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body) });
    res.end(body);
  };
  const server = http.createServer((req, res) => {
    const u = new URL(req.url, 'http://standin');
    if (req.method !== 'GET' && req.method !== 'HEAD') return json(res, 405, { instance: HOSTNAME, error: `method ${req.method} not supported by the stand-in` });
    if (u.pathname === '/health') {
      const body = { instance: HOSTNAME, mode, version: VERSION, checks: checks.toJSON() };
      if (checks.allOk) return json(res, 200, body);
      return json(res, 503, { ...body, failing: [...checks.items.values()].filter((i) => !i.ok).map((i) => ({ check: i.name, reason: i.reason })) });
    }
    if (u.pathname === '/standin/info') {
      return json(res, 200, {
        instance: HOSTNAME,
        mode,
        version: VERSION,
        healthy: checks.allOk,
        agents: [...agents.values()],
        websocketConnectionsTotal: wsTotal,
        nats:
          env.BINDPLANE_EVENT_BUS_TYPE === 'nats'
            ? { serverRunning: !!natsState.server, serverPid: natsState.server?.pid ?? null, serverRestarts: natsState.serverRestarts, connectedTo: natsState.conn ? natsState.connectedTo : null, reconnects: natsState.reconnects }
            : undefined,
      });
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
      const auth = req.headers.authorization || '';
      if (!env.BINDPLANE_SECRET_KEY || auth !== `Secret-Key ${env.BINDPLANE_SECRET_KEY}`) {
        log(`websocket /v1/opamp from ${who} (agent ${agentId}): refused, 401 (${auth ? 'wrong secret key' : 'no Authorization header'})`);
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
    if (u.pathname === '/v1/opamp')
      agents.set(id, {
        id: agentId,
        labels: parseLabels(labelsRaw),
        labelsRaw,
        userAgent: req.headers['user-agent'] || null,
        remoteAddress: req.socket.remoteAddress,
        remotePort: req.socket.remotePort,
        forwardedFor: fwd,
        connectedAt: new Date().toISOString(),
      });
    const ws = new WsConn(socket, 'server', head);
    openSockets.add(ws);
    ws.send(OP.text, JSON.stringify({ instance: HOSTNAME, path: u.pathname, version: VERSION }));
    ws.on('message', (op, data) => ws.send(op, data));
    ws.on('close', (code, reason, how) => {
      openSockets.delete(ws);
      agents.delete(id);
      log(`websocket ${u.pathname} from ${who}: closed (${how}, ${code}${reason ? ` ${reason}` : ''})`);
    });
  });

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

/** The persistent agent id, like the real agent's manager.yaml; created on first start. */
function agentIdentity(file) {
  const dir = path.dirname(file);
  try {
    const m = /^agent_id:\s*"?([0-9a-fA-F-]{36})"?\s*$/m.exec(fs.readFileSync(file, 'utf8'));
    if (m) return { id: m[1], file, created: false };
    log(`${file} has no valid agent_id: writing a new one`);
  } catch (e) {
    if (e.code !== 'ENOENT') fatal(`cannot read ${file}: ${errText(e)}`);
  }
  const id = randomUUID();
  try {
    fs.mkdirSync(dir, { recursive: true });
    fs.writeFileSync(file, `# Written by the bindplane-agent stand-in: this agent's identity, kept across restarts.\nagent_id: ${id}\n`);
  } catch (e) {
    fatal(`cannot write the agent identity ${file}: ${errText(e)} (its folder must be writable)`);
  }
  return { id, file, created: true };
}

let agentCurrentWs = null;

/** One websocket session; resolves when it ends (with why), rejects when it cannot start. */
export function agentSession({ endpoint, secretKey, labels, agentId, skipVerify, onConnected, userAgent = `bindplane-agent-standin/${VERSION} (OpAMP)` }) {
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
      ];
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
        if (!first) return;
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
  const endpoint = env.OPAMP_ENDPOINT;
  if (!endpoint) fatal('OPAMP_ENDPOINT is not set');
  let u;
  try {
    u = new URL(endpoint);
  } catch {
    fatal(`OPAMP_ENDPOINT ${JSON.stringify(endpoint)} is not a URL`);
  }
  if (!['ws:', 'wss:'].includes(u.protocol)) fatal(`OPAMP_ENDPOINT ${endpoint} is not ws:// or wss://`);
  if (u.pathname !== '/v1/opamp') fatal(`OPAMP_ENDPOINT ${endpoint} has path ${u.pathname}, expected /v1/opamp`);
  const lp = agentLabelsProblems(env.OPAMP_LABELS);
  if (lp.length) fatal(`OPAMP_LABELS ${JSON.stringify(env.OPAMP_LABELS)}: ${lp.join('; ')}`);
  const skip = env.OPAMP_TLS_SKIP_VERIFY === undefined || env.OPAMP_TLS_SKIP_VERIFY === '' ? false : parseBool(env.OPAMP_TLS_SKIP_VERIFY);
  if (skip === null) fatal(`OPAMP_TLS_SKIP_VERIFY ${JSON.stringify(env.OPAMP_TLS_SKIP_VERIFY)} is not a boolean`);
  if (!env.OPAMP_SECRET_KEY) log('OPAMP_SECRET_KEY is not set: connecting without a secret key');
  cleanups.push(() => agentCurrentWs && agentCurrentWs.close(1001, 'agent stopping'));
  // Like the real agent: MANAGER_YAML_PATH, else ./manager.yaml in its working folder /etc/otel.
  const ident = agentIdentity(env.MANAGER_YAML_PATH || path.join(env.BPD_STANDIN_STATE_DIR || '/etc/otel', 'manager.yaml'));
  log(`agent id ${ident.id} (${ident.created ? 'new, written to' : 'from'} ${ident.file}); endpoint ${endpoint}${u.protocol === 'wss:' ? `, TLS verification ${skip ? 'skipped' : 'on'}` : ''}`);
  let lastError = '';
  while (!shuttingDown) {
    try {
      const why = await agentSession({
        endpoint,
        secretKey: env.OPAMP_SECRET_KEY,
        labels: env.OPAMP_LABELS,
        agentId: ident.id,
        skipVerify: skip,
        onConnected: (instance) => {
          lastError = '';
          log(`connected to ${instance} via ${endpoint}`);
        },
      });
      if (shuttingDown) return;
      log(`disconnected: ${why}; reconnecting in 1 s`);
    } catch (e) {
      if (shuttingDown) return;
      // One line per distinct failure, so a refused key does not flood the log every second.
      if (e.message !== lastError) log(`cannot connect: ${e.message}; retrying every 1 s`);
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

async function main() {
  const args = process.argv.slice(2);
  if (args[0] === 'kafka-api-versions') return kafkaApiVersionsClient(args.slice(1));
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
