// @ts-check
// A private Docker engine for the engine tests and the bench: installs what it needs from Debian's
// mirror, starts its own dockerd in a temp folder, builds the images the generated compose files
// name from local recipes (no registry is reachable), and leaves nothing behind when stopped.
//
// Plain ESM, Node 20 built-ins only. Needs root (dockerd, debootstrap, apt-get).
//
//   const { dockerConfig } = await provision({ log });
//   const engine = await startEngine({ log });
//   await ensureImages(engine, [{ tag: 'nginx:1.28.0-alpine', recipe: 'nginx' }], { log });
//   ... spawn docker / docker compose with env: dockerEnv(engine) ...
//   await engine.stop();
//
// Everything slow is cached under CACHE (BPD_ENGINE_CACHE): the compose plugin, the debootstrapped
// root file systems, and a `docker save` of the built images keyed by what they were built from.
import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** Where everything slow is kept between runs. */
export const CACHE = process.env.BPD_ENGINE_CACHE || '/var/cache/generator-bindplane-distributed/engine';

const MIRROR = 'http://deb.debian.org/debian';
const ENGINE_FILE = fileURLToPath(import.meta.url);
const IMAGES_DIR = path.resolve(path.dirname(ENGINE_FILE), '..', 'images');
const BASE_SUITES = /** @type {const} */ (['bookworm', 'forky']);
const PUBSUB_EMULATOR_DIR = '/usr/lib/google-cloud-sdk/platform/pubsub-emulator';
const JS_YAML_MJS = path.resolve(IMAGES_DIR, '..', '..', '..', 'node_modules', 'js-yaml', 'dist', 'js-yaml.mjs');
/** How many images-*.tar files to keep (the one just used plus the most recently used others). */
const KEEP_IMAGE_TARS = 3;
const SEC = 1000;
const MIN = 60 * SEC;

/**
 * @typedef {(msg: string) => void} Log
 * @typedef {{ tag: string, recipe: string, buildArgs?: Record<string, string> }} ImageSpec
 * @typedef {{ DOCKER_HOST: string, DOCKER_CONFIG: string }} EngineEnv
 * @typedef {{ dir: string, host: string, env: EngineEnv, pid: number, stop: () => Promise<void> }} Engine
 * @typedef {{ code: number | null, signal: NodeJS.Signals | null, stdout: string, stderr: string, tail: string }} RunResult
 * @typedef {{
 *   timeoutMs: number,
 *   env?: NodeJS.ProcessEnv,
 *   cwd?: string,
 *   input?: string,
 *   stdoutFile?: string,
 *   allowFail?: boolean,
 *   what?: string,
 * }} RunOptions
 */

/** @type {Log} */
const defaultLog = (msg) => {
  process.stderr.write(`[engine] ${msg}\n`);
};

// ---------------------------------------------------------------------------------------------
// Running commands: every one bounded by a timeout; a failure says which command, with its output.

const TAIL_CHARS = 6000;

/** @param {string} s */
function tailOf(s) {
  const t = s.length > TAIL_CHARS ? '…' + s.slice(-TAIL_CHARS) : s;
  return t.trimEnd();
}

/** @param {string} cmd @param {string[]} args */
function show(cmd, args) {
  return [cmd, ...args].map((a) => (/^[\w@%+=:,./-]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`)).join(' ');
}

/**
 * Runs a command to completion. Throws (unless allowFail) when it cannot start, exits non-zero,
 * or outlives its timeout (then its whole process group is killed).
 * @param {string} cmd @param {string[]} args @param {RunOptions} opts
 * @returns {Promise<RunResult>}
 */
export function run(cmd, args, opts) {
  const what = opts.what || show(cmd, args);
  return new Promise((resolve, reject) => {
    /** @type {import('node:child_process').StdioOptions} */
    let stdio = ['pipe', 'pipe', 'pipe'];
    /** @type {number | undefined} */
    let outFd;
    if (opts.stdoutFile) {
      outFd = fs.openSync(opts.stdoutFile, 'w');
      stdio = ['pipe', outFd, 'pipe'];
    }
    const child = spawn(cmd, args, { cwd: opts.cwd, env: opts.env || process.env, stdio, detached: true });
    if (outFd !== undefined) fs.closeSync(outFd);
    let stdout = '';
    let stderr = '';
    let both = '';
    let timedOut = false;
    const keep = (/** @type {string} */ s) => (s.length > 4 * TAIL_CHARS ? s.slice(-2 * TAIL_CHARS) : s);
    child.stdout?.on('data', (d) => {
      const s = d.toString();
      if (stdout.length < 16 * 1024 * 1024) stdout += s;
      both = keep(both + s);
    });
    child.stderr?.on('data', (d) => {
      const s = d.toString();
      stderr = keep(stderr + s);
      both = keep(both + s);
    });
    const killGroup = (/** @type {NodeJS.Signals} */ sig) => {
      try {
        if (child.pid) process.kill(-child.pid, sig);
      } catch {
        /* already gone */
      }
    };
    /** @type {NodeJS.Timeout | undefined} */
    let hard;
    const timer = setTimeout(() => {
      timedOut = true;
      killGroup('SIGTERM');
      hard = setTimeout(() => killGroup('SIGKILL'), 5 * SEC);
    }, opts.timeoutMs);
    child.on('error', (err) => {
      clearTimeout(timer);
      clearTimeout(hard);
      const e = /** @type {NodeJS.ErrnoException} */ (err);
      reject(
        new Error(
          e.code === 'ENOENT'
            ? `${what}: the command ${cmd} is not installed (not found on PATH=${(opts.env || process.env).PATH})`
            : `${what}: could not start: ${e.message}`,
        ),
      );
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      clearTimeout(hard);
      const res = { code, signal, stdout, stderr, tail: tailOf(both) };
      if (timedOut) {
        reject(new Error(`${what}: timed out after ${Math.round(opts.timeoutMs / SEC)} s and was killed; last output:\n${res.tail}`));
      } else if ((code !== 0 || signal) && !opts.allowFail) {
        reject(new Error(`${what}: failed (${signal ? `signal ${signal}` : `exit code ${code}`}); last output:\n${res.tail || '(none)'}`));
      } else {
        resolve(res);
      }
    });
    if (child.stdin) {
      child.stdin.on('error', () => {});
      child.stdin.end(opts.input ?? '');
    }
  });
}

/**
 * Synchronous, bounded, best-effort command (for cleanup, also inside a process 'exit' handler).
 * @param {string} cmd @param {string[]} args
 */
function runSync(cmd, args, timeoutMs = 10 * SEC) {
  const r = spawnSync(cmd, args, { encoding: 'utf8', timeout: timeoutMs, stdio: ['ignore', 'pipe', 'pipe'] });
  return { ok: r.status === 0, out: `${r.stdout || ''}${r.stderr || ''}${r.error ? r.error.message : ''}`.trim() };
}

/** @param {number} ms */
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** @param {string} p */
function exists(p) {
  try {
    fs.lstatSync(p);
    return true;
  } catch {
    return false;
  }
}

const SEARCH_PATH = ['/usr/local/sbin', '/usr/local/bin', '/usr/sbin', '/usr/bin', '/sbin', '/bin'];

/** Absolute path of a command (PATH plus the sbin folders), or null. @param {string} name */
function which(name) {
  const dirs = [...(process.env.PATH || '').split(':').filter(Boolean), ...SEARCH_PATH];
  for (const d of dirs) {
    const p = path.join(d, name);
    try {
      fs.accessSync(p, fs.constants.X_OK);
      if (fs.statSync(p).isFile()) return p;
    } catch {
      /* next */
    }
  }
  return null;
}

/** process.env with the sbin folders on PATH and no variable that could point the CLI elsewhere. */
function baseEnv() {
  const env = { ...process.env };
  const have = (env.PATH || '').split(':').filter(Boolean);
  env.PATH = [...have, ...SEARCH_PATH.filter((d) => !have.includes(d))].join(':');
  delete env.DOCKER_CONTEXT;
  delete env.DOCKER_TLS_VERIFY;
  delete env.DOCKER_CERT_PATH;
  return env;
}

// ---------------------------------------------------------------------------------------------
// provision

const DOCKER_CONFIG = path.join(CACHE, 'docker-config');
const COMPOSE_PLUGIN = path.join(DOCKER_CONFIG, 'cli-plugins', 'docker-compose');
/** @type {Promise<{ dockerConfig: string }> | null} */
let provisioned = null;

/**
 * Makes sure dockerd, the docker CLI, debootstrap and the Compose v2 plugin are there, installing
 * what is missing from Debian's mirror (never changing the machine's apt sources).
 * @param {{ log?: Log }} [opts]
 * @returns {Promise<{ dockerConfig: string }>}
 */
export async function provision({ log = defaultLog } = {}) {
  if (!provisioned) {
    provisioned = doProvision(log);
    provisioned.catch(() => {
      provisioned = null;
    });
  }
  return provisioned;
}

/** @param {Log} log */
async function doProvision(log) {
  if (process.platform !== 'linux') throw new Error(`the Docker engine tests need Linux (this is ${process.platform})`);
  if (typeof process.getuid === 'function' && process.getuid() !== 0) {
    throw new Error('the Docker engine tests need root: dockerd, debootstrap and apt-get run as root (run as root, e.g. in CI)');
  }
  fs.mkdirSync(CACHE, { recursive: true });
  const env = baseEnv();
  /** @type {Record<string, string>} command -> Debian package */
  const needs = { dockerd: 'docker.io', docker: 'docker.io', debootstrap: 'debootstrap', ip: 'iproute2', 'dpkg-deb': 'dpkg', 'apt-get': 'apt', tar: 'tar' };
  const missing = Object.keys(needs).filter((c) => !which(c));
  if (missing.length) {
    if (!which('apt-get')) throw new Error(`missing ${missing.join(', ')} and there is no apt-get to install them (this needs Debian or Ubuntu)`);
    const pkgs = [...new Set(['docker.io', 'debootstrap', ...missing.map((c) => needs[c])])];
    log(`installing ${pkgs.join(' ')} (missing: ${missing.join(', ')})`);
    const aenv = { ...env, DEBIAN_FRONTEND: 'noninteractive' };
    await run('apt-get', ['update'], { env: aenv, timeoutMs: 10 * MIN });
    await run('apt-get', ['install', '-y', ...pkgs], { env: aenv, timeoutMs: 15 * MIN });
    const still = Object.keys(needs).filter((c) => !which(c));
    if (still.length) throw new Error(`after apt-get install ${pkgs.join(' ')}, still missing: ${still.join(', ')}`);
  }
  const dockerd = /** @type {string} */ (which('dockerd'));
  const dv = await run(dockerd, ['--version'], { env, timeoutMs: 30 * SEC });
  const cv = await run('docker', ['--version'], { env, timeoutMs: 30 * SEC });
  log(`dockerd: ${dv.stdout.trim()}; CLI ${which('docker')}: ${cv.stdout.trim()}`);
  await ensureComposePlugin(env, log);
  return { dockerConfig: DOCKER_CONFIG };
}

/** @param {NodeJS.ProcessEnv} env @param {Log} log */
async function ensureComposePlugin(env, log) {
  const check = async () => {
    const r = await run('docker', ['compose', 'version'], { env: { ...env, DOCKER_CONFIG }, timeoutMs: 30 * SEC, allowFail: true });
    const m = /v?(\d+)\.(\d+)\.(\d+)/.exec(r.stdout);
    return r.code === 0 && m && Number(m[1]) >= 2 ? r.stdout.trim() : null;
  };
  if (exists(COMPOSE_PLUGIN)) {
    const v = await check();
    if (v) return;
    log(`the cached compose plugin at ${COMPOSE_PLUGIN} does not answer 'docker compose version'; fetching it again`);
  }
  const t0 = Date.now();
  log('fetching the Compose v2 plugin (Debian package docker-compose from the suite forky, private apt configuration)');
  const aptDir = path.join(CACHE, 'apt-forky');
  const lists = path.join(aptDir, 'lists');
  const cache = path.join(aptDir, 'cache');
  fs.mkdirSync(path.join(lists, 'partial'), { recursive: true });
  fs.mkdirSync(path.join(cache, 'archives', 'partial'), { recursive: true });
  const sources = path.join(aptDir, 'sources.list');
  fs.writeFileSync(sources, `deb [check-valid-until=no] ${MIRROR} forky main\n`);
  const aptOpts = [
    '-o',
    `Dir::Etc::SourceList=${sources}`,
    '-o',
    'Dir::Etc::SourceParts=/nonexistent',
    '-o',
    'Dir::Etc::Preferences=/nonexistent',
    '-o',
    'Dir::Etc::PreferencesParts=/nonexistent',
    '-o',
    `Dir::State::Lists=${lists}`,
    '-o',
    `Dir::Cache=${cache}`,
    '-o',
    'Dir::State::status=/dev/null',
    '-o',
    'Acquire::Check-Valid-Until=false',
  ];
  await run('apt-get', [...aptOpts, 'update'], { env, timeoutMs: 10 * MIN, what: 'apt-get update (private configuration for forky)' });
  const work = fs.mkdtempSync(path.join(CACHE, '.compose-'));
  try {
    await run('apt-get', [...aptOpts, 'download', 'docker-compose'], { env, cwd: work, timeoutMs: 10 * MIN, what: 'apt-get download docker-compose (forky)' });
    const deb = fs.readdirSync(work).find((f) => f.endsWith('.deb'));
    if (!deb) throw new Error(`apt-get download docker-compose left no .deb in ${work}`);
    const fsys = path.join(work, 'fsys.tar');
    await run('dpkg-deb', ['--fsys-tarfile', path.join(work, deb)], { env, stdoutFile: fsys, timeoutMs: 2 * MIN });
    const member = './usr/libexec/docker/cli-plugins/docker-compose';
    await run('tar', ['-x', '-f', fsys, '-C', work, member], { env, timeoutMs: 2 * MIN, what: `extract ${member} from ${deb}` });
    fs.mkdirSync(path.dirname(COMPOSE_PLUGIN), { recursive: true });
    const tmp = `${COMPOSE_PLUGIN}.tmp-${process.pid}`;
    fs.copyFileSync(path.join(work, member), tmp);
    fs.chmodSync(tmp, 0o755);
    fs.renameSync(tmp, COMPOSE_PLUGIN);
    log(`compose plugin from ${deb} in ${((Date.now() - t0) / SEC).toFixed(1)} s`);
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
  const v = await check();
  if (!v) throw new Error(`the compose plugin extracted to ${COMPOSE_PLUGIN} does not answer 'docker compose version' with v2`);
  log(v);
}

// ---------------------------------------------------------------------------------------------
// startEngine

/** Names of the network interfaces that exist now. */
function interfaces() {
  try {
    return fs.readdirSync('/sys/class/net');
  } catch {
    return [];
  }
}

/** @param {string} name */
function masterOf(name) {
  try {
    return path.basename(fs.readlinkSync(`/sys/class/net/${name}/master`));
  } catch {
    return null;
  }
}

/** Mount points under dir, deepest first. @param {string} dir */
function mountsUnder(dir) {
  let text;
  try {
    text = fs.readFileSync('/proc/self/mounts', 'utf8');
  } catch {
    return [];
  }
  const unesc = (/** @type {string} */ s) => s.replace(/\\([0-7]{3})/g, (_, o) => String.fromCharCode(parseInt(o, 8)));
  const prefix = dir.endsWith('/') ? dir : `${dir}/`;
  return [
    ...new Set(
      text
        .split('\n')
        .map((l) => unesc(l.split(' ')[1] || ''))
        .filter((m) => m === dir || m.startsWith(prefix)),
    ),
  ].sort((a, b) => b.length - a.length);
}

/** Unmounts everything under dir; returns what could not be unmounted. @param {string} dir */
function unmountUnder(dir) {
  for (let round = 0; round < 3; round++) {
    const ms = mountsUnder(dir);
    if (!ms.length) return [];
    for (const m of ms) {
      if (!runSync('umount', [m]).ok) runSync('umount', ['-l', m]);
    }
  }
  return mountsUnder(dir);
}

/** @param {number} pid */
function alive(pid) {
  try {
    const st = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const state = st.slice(st.lastIndexOf(')') + 2, st.lastIndexOf(')') + 3);
    return state !== 'Z' && state !== 'X';
  } catch {
    return false;
  }
}

/** @param {number} pid @param {NodeJS.Signals} sig */
function signal(pid, sig) {
  try {
    process.kill(pid, sig);
  } catch {
    /* gone */
  }
}

/** Pids of processes whose command line mentions dir (our containerd, shims). @param {string} dir */
function pidsMentioning(dir) {
  /** @type {number[]} */
  const out = [];
  for (const e of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(e) || Number(e) === process.pid) continue;
    try {
      if (fs.readFileSync(`/proc/${e}/cmdline`, 'utf8').includes(`${dir}/`)) out.push(Number(e));
    } catch {
      /* gone */
    }
  }
  return out;
}

/** Cgroup folders named name, in every mounted hierarchy. @param {string} name */
function cgroupDirs(name) {
  /** @type {string[]} */
  const out = [];
  const root = '/sys/fs/cgroup';
  const cands = [path.join(root, name)];
  try {
    for (const h of fs.readdirSync(root)) cands.push(path.join(root, h, name));
  } catch {
    /* no cgroups */
  }
  for (const c of cands) {
    try {
      if (fs.statSync(c).isDirectory()) out.push(c);
    } catch {
      /* absent */
    }
  }
  return out;
}

/** Pids in a cgroup tree. @param {string} dir @returns {number[]} */
function cgroupPids(dir) {
  /** @type {number[]} */
  let out = [];
  try {
    out = fs.readFileSync(path.join(dir, 'cgroup.procs'), 'utf8').split('\n').filter(Boolean).map(Number);
    for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
      if (e.isDirectory()) out = out.concat(cgroupPids(path.join(dir, e.name)));
    }
  } catch {
    /* gone */
  }
  return out;
}

/** rmdir a cgroup tree, deepest first. @param {string} dir */
function removeCgroup(dir) {
  try {
    for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
      if (e.isDirectory()) removeCgroup(path.join(dir, e.name));
    }
    fs.rmdirSync(dir);
  } catch {
    /* reported by the caller's check */
  }
}

/** Whether another private engine (a live dockerd.pid in /tmp/bpde-*) runs. @param {string} mine */
function otherEnginesRunning(mine) {
  try {
    return fs
      .readdirSync('/tmp')
      .filter((d) => d.startsWith('bpde-') && path.join('/tmp', d) !== mine)
      .some((d) => {
        try {
          return alive(Number(fs.readFileSync(path.join('/tmp', d, 'dockerd.pid'), 'utf8').trim()));
        } catch {
          return false;
        }
      });
  } catch {
    return false;
  }
}

/**
 * Whether to put the data root on a tmpfs: deleting a few GB of image layers from a disk mounted
 * with `discard` takes half a minute, and `docker load` is much faster into memory.
 * BPD_ENGINE_TMPFS=1 forces it, =0 turns it off; by default it is on with 6 GiB of memory free.
 * @returns {{ sizeMiB: number, why: string } | null}
 */
function dataRootTmpfs() {
  const want = process.env.BPD_ENGINE_TMPFS;
  if (want === '0') return null;
  let availKiB = 0;
  try {
    availKiB = Number(/MemAvailable:\s+(\d+)/.exec(fs.readFileSync('/proc/meminfo', 'utf8'))?.[1] || 0);
  } catch {
    /* unknown */
  }
  const availMiB = Math.floor(availKiB / 1024);
  if (want !== '1' && availMiB < 6 * 1024) return null;
  return {
    sizeMiB: Math.max(2048, Math.floor(availMiB * 0.6)),
    why: want === '1' ? 'BPD_ENGINE_TMPFS=1' : `${availMiB} MiB free; BPD_ENGINE_TMPFS=0 turns it off`,
  };
}

/**
 * Starts a private dockerd in its own temp folder (own data root, exec root, socket, cgroup
 * parent; no docker0, no firewall rules, no forwarding).
 * @param {{ log?: Log }} [opts]
 * @returns {Promise<Engine>}
 */
export async function startEngine({ log = defaultLog } = {}) {
  const { dockerConfig } = await provision({ log });
  const env0 = baseEnv();
  const dockerd = which('dockerd');
  if (!dockerd) throw new Error('dockerd is not installed (provision() should have installed docker.io)');

  const etcDockerExisted = exists('/etc/docker');
  const etcDockerEntries = etcDockerExisted ? new Set(fs.readdirSync('/etc/docker')) : new Set();
  const runContainerdExisted = exists('/run/containerd');
  const ifacesBefore = new Set(interfaces());

  const dir = fs.mkdtempSync('/tmp/bpde-');
  const name = path.basename(dir);
  const cgroupParent = `/${name}`;
  const host = `unix://${dir}/docker.sock`;
  /** @type {EngineEnv} */
  const env = { DOCKER_HOST: host, DOCKER_CONFIG: dockerConfig };
  const logFile = path.join(dir, 'dockerd.log');
  const tmpfs = dataRootTmpfs();
  if (tmpfs) {
    fs.mkdirSync(`${dir}/data`);
    await run('mount', ['-t', 'tmpfs', '-o', `size=${tmpfs.sizeMiB}m,mode=0710`, `bpde-${name.slice(5)}`, `${dir}/data`], {
      env: env0,
      timeoutMs: 30 * SEC,
    }).catch((e) => {
      fs.rmSync(dir, { recursive: true, force: true });
      throw e;
    });
    log(`data root on tmpfs (${tmpfs.sizeMiB} MiB at most; ${tmpfs.why})`);
  }
  const args = [
    `--data-root=${dir}/data`,
    `--exec-root=${dir}/exec`,
    `-H`,
    host,
    `--pidfile=${dir}/dockerd.pid`,
    '--bridge=none',
    '--iptables=false',
    '--ip-forward=false',
    '--ip-masq=false',
    '--userland-proxy=true',
    // Published ports (the load balancer's) listen on loopback only.
    '--ip=127.0.0.1',
    `--cgroup-parent=${cgroupParent}`,
    '--exec-opt',
    'native.cgroupdriver=cgroupfs',
    '--shutdown-timeout=10',
  ];
  const out = fs.openSync(logFile, 'a');
  const child = spawn(dockerd, args, { env: env0, stdio: ['ignore', out, out], detached: true });
  fs.closeSync(out);
  if (!child.pid) throw new Error(`could not start ${dockerd}`);
  const pid = child.pid;
  /** @type {{ code: number | null, signal: string | null } | null} */
  let exited = null;
  child.on('exit', (code, sig) => {
    exited = { code, signal: sig };
  });
  child.on('error', () => {});
  child.unref();
  log(`dockerd pid ${pid} in ${dir}`);

  const logTail = () => {
    try {
      return tailOf(fs.readFileSync(logFile, 'utf8'));
    } catch {
      return '(no log)';
    }
  };

  /** Bridges of this engine's networks. @type {Set<string>} */
  const ourBridges = new Set();
  let daemonAnswered = false;
  let cleaned = false;

  /** Kills whatever is left (by pid), unmounts, deletes interfaces, removes files. Synchronous. */
  const cleanupSync = () => {
    /** @type {string[]} */
    const problems = [];
    if (cleaned) return problems;
    // Processes: the daemon, then its containerd and shims, then anything left in our cgroups.
    signal(pid, 'SIGKILL');
    for (let i = 0; i < 3; i++) {
      const left = [...pidsMentioning(dir), ...cgroupDirs(name).flatMap(cgroupPids)].filter((p) => p !== process.pid);
      if (!left.length) break;
      for (const p of left) signal(p, 'SIGKILL');
      const until = Date.now() + 5 * SEC;
      while (left.some(alive) && Date.now() < until) runSync('sleep', ['0.1']);
    }
    const stillPids = pidsMentioning(dir).filter(alive);
    if (stillPids.length) problems.push(`processes still running: ${stillPids.join(' ')}`);
    // The networks this engine has (had): their ids are in its libnetwork store, and a bridge
    // network's interface is br-<first 12 of the id>. Read it before the data root goes away.
    try {
      const kv = fs.readFileSync(path.join(dir, 'data/network/files/local-kv.db')).toString('latin1');
      for (const m of kv.matchAll(/[0-9a-f]{64}/g)) ourBridges.add(`br-${m[0].slice(0, 12)}`);
    } catch {
      /* no store: no networks */
    }
    // Mounts.
    const stuck = unmountUnder(dir);
    if (stuck.length) problems.push(`still mounted: ${stuck.join(' ')}`);
    // Network interfaces that appeared since start: our bridges and the veths attached to them.
    const fresh = interfaces().filter((i) => !ifacesBefore.has(i));
    const bridges = fresh.filter((i) => ourBridges.has(i));
    const veths = fresh.filter((i) => i.startsWith('veth') && bridges.includes(masterOf(i) || ''));
    const foreign = fresh.filter((i) => /^(br-|veth)/.test(i) && !bridges.includes(i) && !veths.includes(i));
    if (foreign.length) log(`leaving network interfaces that appeared meanwhile but are not this engine's: ${foreign.join(' ')}`);
    for (const i of [...veths, ...bridges]) {
      if (!runSync('ip', ['link', 'delete', i]).ok && interfaces().includes(i)) problems.push(`could not delete interface ${i}`);
    }
    // Files.
    if (!stuck.length) {
      try {
        fs.rmSync(dir, { recursive: true, force: true, maxRetries: 3 });
      } catch (e) {
        problems.push(`could not remove ${dir}: ${/** @type {Error} */ (e).message}`);
      }
    } else {
      problems.push(`left ${dir} in place because of the mounts under it`);
    }
    for (const c of cgroupDirs(name)) removeCgroup(c);
    const cg = cgroupDirs(name);
    if (cg.length) problems.push(`cgroups left: ${cg.join(' ')}`);
    try {
      if (!etcDockerExisted) fs.rmSync('/etc/docker', { recursive: true, force: true });
      else if (exists('/etc/docker')) {
        for (const e of fs.readdirSync('/etc/docker')) if (!etcDockerEntries.has(e)) fs.rmSync(path.join('/etc/docker', e), { recursive: true, force: true });
      }
    } catch (e) {
      problems.push(`could not restore /etc/docker: ${/** @type {Error} */ (e).message}`);
    }
    // containerd's shims put their sockets in /run/containerd/s/ whatever the engine's folders.
    // Remove that folder when it holds nothing else, no other private engine runs, and it was
    // not there before (or is only what private engines leave: an empty s/).
    if (exists('/run/containerd') && !otherEnginesRunning(dir)) {
      try {
        const s = exists('/run/containerd/s') ? fs.readdirSync('/run/containerd/s') : [];
        const top = fs.readdirSync('/run/containerd').filter((e) => e !== 's');
        if (!s.length && !top.length && (!runContainerdExisted || exists('/run/containerd/s'))) fs.rmSync('/run/containerd', { recursive: true, force: true });
      } catch {
        /* left as is */
      }
    }
    cleaned = true;
    return problems;
  };

  const onExit = () => {
    if (!cleaned) cleanupSync();
  };
  /** @type {NodeJS.Signals[]} */
  const SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'];
  /** @param {NodeJS.Signals} sig */
  const onSignal = (sig) => {
    onExit();
    removeHandlers();
    // Re-raise so the process ends as it would have without us, unless someone else handles it.
    if (process.listenerCount(sig) === 0) process.kill(process.pid, sig);
  };
  const removeHandlers = () => {
    process.removeListener('exit', onExit);
    for (const s of SIGNALS) process.removeListener(s, onSignal);
  };
  process.on('exit', onExit);
  for (const s of SIGNALS) process.on(s, onSignal);

  /** @type {Promise<void> | null} */
  let stopping = null;
  const stop = () => {
    if (!stopping) stopping = doStop();
    return stopping;
  };
  const doStop = async () => {
    const t0 = Date.now();
    let timings;
    if (cleaned) return; // already cleaned up by a signal handler
    signal(pid, 'SIGTERM');
    let until = Date.now() + 20 * SEC;
    while (alive(pid) && Date.now() < until) await sleep(100);
    if (alive(pid)) {
      log(`dockerd ${pid} did not stop within 20 s of SIGTERM; SIGKILL`);
      signal(pid, 'SIGKILL');
      until = Date.now() + 10 * SEC;
      while (alive(pid) && Date.now() < until) await sleep(100);
      if (alive(pid)) throw new Error(`dockerd ${pid} survived SIGKILL`);
    }
    const tDaemon = Date.now();
    // Its containerd exits with it; give it a moment before cleanupSync kills leftovers.
    until = Date.now() + 10 * SEC;
    while (pidsMentioning(dir).some(alive) && Date.now() < until) await sleep(100);
    const tChildren = Date.now();
    const problems = cleanupSync();
    timings = `dockerd exit ${((tDaemon - t0) / SEC).toFixed(1)} s, containerd ${((tChildren - tDaemon) / SEC).toFixed(1)} s, cleanup ${((Date.now() - tChildren) / SEC).toFixed(1)} s`;
    removeHandlers();
    if (problems.length) throw new Error(`stopping the private dockerd left things behind:\n- ${problems.join('\n- ')}`);
    log(`dockerd ${pid} stopped and cleaned up in ${((Date.now() - t0) / SEC).toFixed(1)} s (${timings})`);
  };

  // Wait until it answers.
  const t0 = Date.now();
  const deadline = t0 + 30 * SEC;
  /** @type {RunResult | null} */
  let last = null;
  while (Date.now() < deadline) {
    if (exited) break;
    last = await run('docker', ['info', '--format', '{{.ServerVersion}}'], { env: { ...env0, ...env }, timeoutMs: 5 * SEC, allowFail: true }).catch(() => null);
    if (last && last.code === 0 && last.stdout.trim()) {
      daemonAnswered = true;
      break;
    }
    await sleep(250);
  }
  if (!daemonAnswered) {
    const why = exited ? `dockerd exited (${JSON.stringify(exited)})` : `dockerd did not answer 'docker info' within 30 s`;
    const tail = logTail();
    await stop().catch((e) => log(String(e)));
    throw new Error(`${why}; docker info said: ${last ? last.tail : '(nothing)'}\ndockerd log (${logFile}):\n${tail}`);
  }
  log(`dockerd ${last?.stdout.trim()} answers on ${host} after ${((Date.now() - t0) / SEC).toFixed(1)} s`);
  return { dir, host, env, pid, stop };
}

/**
 * Environment for child processes that talk to the engine.
 * @param {Engine} engine
 * @returns {NodeJS.ProcessEnv}
 */
export function dockerEnv(engine) {
  /** @type {NodeJS.ProcessEnv} */
  const env = { ...process.env, ...engine.env };
  delete env.DOCKER_CONTEXT;
  delete env.DOCKER_TLS_VERIFY;
  delete env.DOCKER_CERT_PATH;
  return env;
}

/**
 * Runs the docker CLI against the engine.
 * @param {Engine} engine @param {string[]} args
 * @param {Partial<RunOptions>} [opts]
 */
export function docker(engine, args, opts = {}) {
  return run('docker', args, { timeoutMs: 2 * MIN, ...opts, env: { ...baseEnv(), ...engine.env, DOCKER_BUILDKIT: '0', ...(opts.env || {}) } });
}

// ---------------------------------------------------------------------------------------------
// ensureImages

/**
 * Extra steps for recipes whose context needs files from outside the recipe folder.
 * identity() names the prepared inputs for the cache key; prepare(ctx) puts them into the context.
 * @type {Record<string, { identity: () => string, prepare: (contextDir: string) => Promise<void> }>}
 */
const RECIPE_EXTRAS = {
  // The stand-ins parse YAML (bindplane apply, the agent's manager.yaml) with the project's own
  // js-yaml, copied next to standin.mjs (its ESM build has no dependencies).
  standin: {
    identity() {
      if (!exists(JS_YAML_MJS)) throw new Error(`${JS_YAML_MJS} is missing: run npm ci (the stand-in image needs js-yaml's ESM build)`);
      return `js-yaml.mjs:${createHash('sha256').update(fs.readFileSync(JS_YAML_MJS)).digest('hex')}`;
    },
    async prepare(ctx) {
      await fsp.copyFile(JS_YAML_MJS, path.join(ctx, 'js-yaml.mjs'));
    },
  },
  pubsub: {
    identity() {
      const lib = path.join(PUBSUB_EMULATOR_DIR, 'lib');
      const launcher = path.join(PUBSUB_EMULATOR_DIR, 'bin', 'cloud-pubsub-emulator');
      if (!exists(launcher) || !exists(lib)) {
        throw new Error(
          `the Google Cloud Pub/Sub emulator is not installed at ${PUBSUB_EMULATOR_DIR} (expected bin/cloud-pubsub-emulator and lib/*.jar); ` +
            'the pubsub image is built from it and no registry here can supply it (it comes with the Google Cloud CLI package google-cloud-cli-pubsub-emulator)',
        );
      }
      return listFiles(PUBSUB_EMULATOR_DIR)
        .map((f) => `${f}:${fs.statSync(path.join(PUBSUB_EMULATOR_DIR, f)).size}`)
        .join(',');
    },
    async prepare(ctx) {
      await fsp.cp(PUBSUB_EMULATOR_DIR, path.join(ctx, 'pubsub-emulator'), { recursive: true });
    },
  },
};

/** Files under dir, relative, sorted. @param {string} dir @returns {string[]} */
function listFiles(dir, rel = '') {
  /** @type {string[]} */
  const out = [];
  for (const e of fs.readdirSync(path.join(dir, rel), { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1))) {
    const r = rel ? `${rel}/${e.name}` : e.name;
    if (e.isDirectory()) out.push(...listFiles(dir, r));
    else out.push(r);
  }
  return out;
}

/** @param {ImageSpec[]} specs */
function cacheKey(specs) {
  const h = createHash('sha256');
  h.update('bpd-engine-images v1\n');
  h.update(JSON.stringify(specs.map((s) => ({ tag: s.tag, recipe: s.recipe, buildArgs: Object.entries(s.buildArgs || {}).sort() }))));
  for (const recipe of [...new Set(specs.map((s) => s.recipe))].sort()) {
    const dir = path.join(IMAGES_DIR, recipe);
    for (const f of listFiles(dir)) {
      h.update(`\nfile ${recipe}/${f}\n`);
      h.update(fs.readFileSync(path.join(dir, f)));
    }
    const extra = RECIPE_EXTRAS[recipe];
    if (extra) h.update(`\nprepared ${recipe}: ${extra.identity()}\n`);
  }
  h.update('\nengine.mjs\n');
  h.update(fs.readFileSync(ENGINE_FILE));
  return h.digest('hex').slice(0, 24);
}

/**
 * A debootstrapped root file system as a tarball, cached per suite.
 * @param {'bookworm' | 'forky'} suite @param {Log} log
 */
async function rootfsTar(suite, log) {
  const out = path.join(CACHE, `rootfs-${suite}.tar`);
  if (exists(out)) return out;
  const t0 = Date.now();
  log(`debootstrap --variant=minbase ${suite} (first time only; 30-90 s)`);
  const work = fs.mkdtempSync(path.join(CACHE, `.rootfs-${suite}-`));
  const root = path.join(work, 'root');
  try {
    const args = ['--variant=minbase', suite, root, MIRROR];
    if (suite === 'forky') {
      const script = '/usr/share/debootstrap/scripts/sid';
      if (!exists(script)) throw new Error(`debootstrap has no script ${script} to bootstrap forky with`);
      args.push(script);
    }
    await run('debootstrap', args, { env: baseEnv(), timeoutMs: 25 * MIN });
    // What the official Debian images also do, plus no Valid-Until check (forky's Release looks
    // expired to this machine's clock) and no service starts from package scripts.
    fs.writeFileSync(path.join(root, 'etc/apt/apt.conf.d/99bpd-no-check-valid-until'), 'Acquire::Check-Valid-Until "false";\n');
    fs.writeFileSync(
      path.join(root, 'etc/apt/apt.conf.d/docker-clean'),
      'DPkg::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };\n' +
        'APT::Update::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };\n' +
        'Dir::Cache::pkgcache ""; Dir::Cache::srcpkgcache "";\n',
    );
    fs.writeFileSync(path.join(root, 'etc/apt/apt.conf.d/docker-no-recommends'), 'APT::Install-Recommends "false";\nAPT::Install-Suggests "false";\n');
    fs.writeFileSync(path.join(root, 'usr/sbin/policy-rc.d'), '#!/bin/sh\nexit 101\n', { mode: 0o755 });
    for (const d of ['var/lib/apt/lists', 'var/cache/apt/archives', 'tmp']) {
      const p = path.join(root, d);
      for (const e of fs.readdirSync(p)) if (e !== 'partial' && e !== 'lock') fs.rmSync(path.join(p, e), { recursive: true, force: true });
    }
    const stuck = unmountUnder(root);
    if (stuck.length) throw new Error(`debootstrap left mounts that could not be unmounted: ${stuck.join(' ')}`);
    const tmpTar = path.join(work, 'rootfs.tar');
    await run('tar', ['--numeric-owner', '-C', root, '-c', '-f', tmpTar, '.'], { env: baseEnv(), timeoutMs: 10 * MIN });
    fs.renameSync(tmpTar, out);
    log(`rootfs ${suite}: ${(fs.statSync(out).size / 1e6).toFixed(0)} MB in ${((Date.now() - t0) / SEC).toFixed(0)} s`);
    return out;
  } finally {
    unmountUnder(work);
    fs.rmSync(work, { recursive: true, force: true });
  }
}

/**
 * Runs tasks with at most n at a time.
 * @template T @param {(() => Promise<T>)[]} tasks @param {number} n @returns {Promise<T[]>}
 */
async function limit(tasks, n) {
  /** @type {T[]} */
  const results = [];
  let next = 0;
  /** @type {unknown} */
  let failure = null;
  const worker = async () => {
    while (next < tasks.length && !failure) {
      const i = next++;
      try {
        results[i] = await tasks[i]();
      } catch (e) {
        failure = failure || e;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(n, tasks.length) }, worker));
  if (failure) throw failure;
  return results;
}

/**
 * Makes every image of specs present in the engine: loads them from the cache when it holds
 * exactly this set built from these recipes, or else builds them (base images first) and saves
 * the set for next time.
 * @param {Engine} engine @param {ImageSpec[]} specs @param {{ log?: Log }} [opts]
 * @returns {Promise<string[]>} the tags
 */
export async function ensureImages(engine, specs, { log = defaultLog } = {}) {
  if (!Array.isArray(specs) || !specs.length) throw new Error('ensureImages: specs must be a non-empty array of { tag, recipe, buildArgs? }');
  for (const s of specs) {
    if (!s || typeof s.tag !== 'string' || !s.tag || typeof s.recipe !== 'string' || !/^[\w.-]+$/.test(s.recipe)) {
      throw new Error(`ensureImages: bad spec ${JSON.stringify(s)} (want { tag, recipe, buildArgs? })`);
    }
    if (!exists(path.join(IMAGES_DIR, s.recipe, 'Dockerfile'))) {
      throw new Error(`ensureImages: no image recipe ${path.join(IMAGES_DIR, s.recipe, 'Dockerfile')} for ${s.tag}`);
    }
    for (const [k, v] of Object.entries(s.buildArgs || {})) {
      if (!/^\w+$/.test(k) || typeof v !== 'string') throw new Error(`ensureImages: bad build argument ${k}=${JSON.stringify(v)} for ${s.tag}`);
    }
  }
  fs.mkdirSync(CACHE, { recursive: true });
  const tags = [...new Set(specs.map((s) => s.tag))];
  const bases = BASE_SUITES.map((s) => `bpd-test/debian:${s}`);
  const allTags = [...new Set([...bases, ...tags])];
  const key = cacheKey(specs);
  const tarPath = path.join(CACHE, `images-${key}.tar`);
  const t0 = Date.now();

  let loaded = false;
  if (exists(tarPath)) {
    log(`loading ${allTags.length} images from ${tarPath}`);
    const r = await docker(engine, ['load', '-q', '-i', tarPath], { timeoutMs: 15 * MIN, allowFail: true });
    if (r.code === 0) {
      const now = new Date();
      fs.utimesSync(tarPath, now, now);
      const missing = await missingImages(engine, allTags);
      if (missing.length) log(`the cached ${tarPath} lacks ${missing.join(', ')}; rebuilding`);
      else loaded = true;
    } else {
      log(`docker load -i ${tarPath} failed (${r.tail.split('\n').pop()}); deleting it and rebuilding`);
    }
    if (!loaded) fs.rmSync(tarPath, { force: true });
  }

  if (!loaded) {
    // Base images (debootstraps in parallel: mostly waiting on the mirror).
    await Promise.all(
      BASE_SUITES.map(async (suite) => {
        const tag = `bpd-test/debian:${suite}`;
        if (!(await missingImages(engine, [tag])).length) return;
        const tar = await rootfsTar(suite, log);
        await docker(engine, ['import', '-c', 'CMD ["bash"]', '-c', 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin', tar, tag], {
          timeoutMs: 10 * MIN,
        });
      }),
    );
    // Builds: one recipe's images in order (they share layers), different recipes side by side.
    /** @type {Map<string, ImageSpec[]>} */
    const byRecipe = new Map();
    for (const s of specs) byRecipe.set(s.recipe, [...(byRecipe.get(s.recipe) || []), s]);
    const built = new Set();
    await limit(
      [...byRecipe.entries()].map(([recipe, list]) => async () => {
        const src = path.join(IMAGES_DIR, recipe);
        const extra = RECIPE_EXTRAS[recipe];
        let ctx = src;
        /** @type {string | null} */
        let tmpCtx = null;
        try {
          if (extra) {
            tmpCtx = fs.mkdtempSync(path.join(CACHE, `.ctx-${recipe}-`));
            ctx = path.join(tmpCtx, recipe);
            await fsp.cp(src, ctx, { recursive: true });
            await extra.prepare(ctx);
          }
          for (const s of list) {
            const id = `${s.tag} ${JSON.stringify(s.buildArgs || {})}`;
            if (built.has(id)) continue;
            built.add(id);
            const b0 = Date.now();
            log(`building ${s.tag} from ${recipe}/${Object.keys(s.buildArgs || {}).length ? ` ${JSON.stringify(s.buildArgs)}` : ''}`);
            const args = ['build', '--network', 'host', '-t', s.tag];
            for (const [k, v] of Object.entries(s.buildArgs || {})) args.push('--build-arg', `${k}=${v}`);
            args.push(ctx);
            await docker(engine, args, { timeoutMs: 30 * MIN, what: `docker build -t ${s.tag} ${path.join('__tests__/engine/images', recipe)}` });
            log(`built ${s.tag} in ${((Date.now() - b0) / SEC).toFixed(0)} s`);
          }
        } finally {
          if (tmpCtx) fs.rmSync(tmpCtx, { recursive: true, force: true });
        }
      }),
      3,
    );
    // Save the set for next time, then drop older sets beyond the few most recently used.
    const tmp = path.join(CACHE, `.images-${key}.tar.tmp-${process.pid}`);
    try {
      log(`saving ${allTags.length} images to ${tarPath}`);
      await docker(engine, ['save', '-o', tmp, ...allTags], { timeoutMs: 15 * MIN });
      fs.renameSync(tmp, tarPath);
    } finally {
      fs.rmSync(tmp, { force: true });
    }
    const older = fs
      .readdirSync(CACHE)
      .filter((f) => /^images-[0-9a-f]+\.tar$/.test(f) && f !== path.basename(tarPath))
      .map((f) => ({ f, t: fs.statSync(path.join(CACHE, f)).mtimeMs }))
      .sort((a, b) => b.t - a.t);
    for (const { f } of older.slice(KEEP_IMAGE_TARS - 1)) {
      log(`deleting the older image set ${f}`);
      fs.rmSync(path.join(CACHE, f), { force: true });
    }
  }

  const missing = await missingImages(engine, allTags);
  if (missing.length) throw new Error(`after ensureImages the engine still lacks: ${missing.join(', ')}`);
  log(`${tags.length} images ready (${loaded ? 'from the cache' : 'built'}) in ${((Date.now() - t0) / SEC).toFixed(1)} s`);
  return tags;
}

/** Tags the engine does not have. @param {Engine} engine @param {string[]} tags */
async function missingImages(engine, tags) {
  /** @type {string[]} */
  const missing = [];
  for (const t of tags) {
    const r = await docker(engine, ['image', 'inspect', '--format', '{{.Id}}', t], { timeoutMs: 30 * SEC, allowFail: true });
    if (r.code !== 0) missing.push(t);
  }
  return missing;
}
