// Shared by the test suites: make generated stacks in temporary folders, and run the real CLI.
import { execFileSync, spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Answers } from '../../src/answers/schema.js';
import { generate } from '../../src/library.js';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const CLI = path.join(ROOT, 'bin/bindplane-distributed.js');

const made: string[] = [];

/** A service-account key file's content as Google issues them (the key is shaped, not real: nothing signs with it here). */
export const SERVICE_ACCOUNT_JSON = `${JSON.stringify({ type: 'service_account', project_id: 'my-project', private_key: '-----BEGIN PRIVATE KEY-----\nMIIE\n-----END PRIVATE KEY-----\n', client_email: 'bindplane@my-project.iam.gserviceaccount.com' })}\n`;

export function tempDir(prefix = 'bpd-'): string {
  const d = mkdtempSync(path.join(tmpdir(), prefix));
  made.push(d);
  return d;
}

export function cleanupTempDirs(): void {
  for (const d of made.splice(0)) rmSync(d, { recursive: true, force: true });
}

/**
 * Generates a stack with the library API into a new temporary folder and returns the folder. The
 * project is named `bindplane` unless the answers say otherwise, so names in the files do not
 * depend on the folder (the folder-derived default has tests of its own).
 */
export async function generateStack(answers: Partial<Answers> = {}, dir = path.join(tempDir(), 'stack')): Promise<string> {
  const result = await generate(dir, { projectName: 'bindplane', ...answers });
  if (result.exitCode !== 0) throw new Error(`generation failed with exit ${result.exitCode}`);
  return dir;
}

/** Runs the real CLI as a separate process, with no terminal on stdin. */
export function cli(args: string[], opts: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): SpawnSyncReturns<string> {
  return spawnSync(process.execPath, [CLI, ...args], {
    cwd: opts.cwd ?? ROOT,
    env: { ...process.env, ...opts.env },
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
    timeout: 60_000,
  });
}

export interface FileState {
  content: string;
  mode: number;
  mtimeMs: number;
}

/** Every file below a folder with its bytes, mode and modification time: compare before and after. */
export function snapshot(dir: string): Map<string, FileState> {
  const out = new Map<string, FileState>();
  const walk = (d: string) => {
    let entries: string[];
    try {
      entries = readdirSync(d);
    } catch {
      return;
    }
    for (const name of entries.sort()) {
      const p = path.join(d, name);
      const st = statSync(p);
      if (st.isDirectory()) {
        out.set(`${path.relative(dir, p)}/`, { content: '', mode: st.mode & 0o7777, mtimeMs: 0 });
        walk(p);
      } else out.set(path.relative(dir, p), { content: readFileSync(p, 'utf8'), mode: st.mode & 0o7777, mtimeMs: st.mtimeMs });
    }
  };
  walk(dir);
  return out;
}

/** Files that differ between two snapshots: bytes, mode or modification time. */
export function changed(before: Map<string, FileState>, after: Map<string, FileState>): string[] {
  const keys = new Set([...before.keys(), ...after.keys()]);
  return [...keys]
    .filter((k) => !k.endsWith('/'))
    .filter((k) => {
      const a = before.get(k);
      const b = after.get(k);
      return !a || !b || a.content !== b.content || a.mtimeMs !== b.mtimeMs || a.mode !== b.mode;
    })
    .sort();
}

/** A self-signed certificate and its key, made by openssl: `cert` and `key` are their paths. */
export function selfSignedPair(
  dir: string,
  names: { cert?: string; key?: string } = {},
  opts: { keyType?: 'rsa' | 'ec'; cn?: string; days?: number } = {},
): { cert: string; key: string } {
  const cert = path.join(dir, names.cert ?? 'c.pem');
  const key = path.join(dir, names.key ?? 'k.pem');
  const keyArgs = opts.keyType === 'ec' ? ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256'] : ['-newkey', 'rsa:2048'];
  const args = ['req', '-x509', ...keyArgs, '-nodes', '-days', String(opts.days ?? 2), '-subj', `/CN=${opts.cn ?? 'localhost'}`, '-keyout', key, '-out', cert];
  execFileSync('openssl', args, { stdio: 'ignore' });
  return { cert, key };
}

/** Removes one answer from a stack's .yo-rc.json, as a stack from a generator before that answer has it. */
export function forgetStoredAnswer(dest: string, name: string): void {
  const file = path.join(dest, '.yo-rc.json');
  const rc = JSON.parse(readFileSync(file, 'utf8'));
  delete rc['generator-bindplane-distributed'][name];
  writeFileSync(file, JSON.stringify(rc, null, 2) + '\n');
}
