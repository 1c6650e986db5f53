// Regeneration through the real CLI, in one folder across several runs.
import { createHash } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { POSTGRES_DEFAULT } from '../src/answers/schema.js';
import { BUSY_EXIT } from '../src/errors.js';
import { parseBases, serializeBases } from '../src/update/record.js';
import { changed, CLI, cleanupTempDirs, cli, selfSignedPair, snapshot, tempDir } from './helpers/stack.js';

afterAll(cleanupTempDirs);

const read = (dir: string, p: string) => readFileSync(path.join(dir, p), 'utf8');
const edit = (dir: string, p: string, fn: (s: string) => string) => writeFileSync(path.join(dir, p), fn(read(dir, p)));

function gen(dest: string, ...args: string[]) {
  const r = cli([dest, '--defaults', ...args]);
  return r;
}

function fresh(...args: string[]): string {
  const dest = path.join(tempDir('bpd-regen-'), 'stack');
  const r = gen(dest, ...args);
  expect(r.status, r.stderr).toBe(0);
  return dest;
}

describe('same answers, same result', () => {
  it('a second run writes nothing: no bytes, no modification time, .yo-rc.json and the record included', () => {
    const dest = fresh('--event-bus', 'nats', '--tls', 'selfSigned', '--demo-agents', '2');
    const before = snapshot(dest);
    const r = gen(dest);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout.trim()).toBe('nothing to change');
    expect(changed(before, snapshot(dest))).toEqual([]);
  });

  it('is deterministic: the same answers give byte-identical files in two folders', () => {
    const a = snapshot(fresh('--instances', '4', '--event-bus', 'kafka', '--kafka-brokers', '3'));
    const b = snapshot(fresh('--instances', '4', '--event-bus', 'kafka', '--kafka-brokers', '3'));
    for (const [k, v] of a) if (k !== '.env') expect(b.get(k)?.content, k).toBe(v.content);
    expect([...a.keys()]).toEqual([...b.keys()]);
  });
});

describe('changed answers update exactly what depends on them', () => {
  it('3 to 5 instances rewrites the compose file, the nginx upstream, the README and nothing else', () => {
    const dest = fresh();
    const before = snapshot(dest);
    const r = gen(dest, '--instances', '5');
    expect(r.status, r.stderr).toBe(0);
    expect(changed(before, snapshot(dest))).toEqual([
      '.bindplane-distributed/base.txt',
      '.bindplane-distributed/record.json',
      '.yo-rc.json',
      'README.md',
      'docker-compose.yml',
      'nginx/nginx.conf',
    ]);
    expect(read(dest, 'nginx/nginx.conf')).toContain('server bindplane-5:3001');
    expect(r.stdout).not.toMatch(/Overwrite|\?/);
  });

  it('a stored answer is reused: a later run without the flag keeps 5 instances', () => {
    const dest = fresh('--instances', '5');
    gen(dest, '--http-port', '8443');
    expect(read(dest, 'nginx/nginx.conf')).toContain('server bindplane-5:3001');
    // remoteUrl was never given, so it follows httpPort.
    expect(read(dest, 'bindplane/bindplane.env')).toContain('BINDPLANE_REMOTE_URL=http://localhost:8443');
    expect(JSON.parse(read(dest, '.yo-rc.json'))['generator-bindplane-distributed'].remoteUrl).toBeUndefined();
  });
});

describe('files no longer wanted', () => {
  it('turning TLS off removes the certificate script and its emptied folder', () => {
    const dest = fresh('--tls', 'selfSigned');
    expect(existsSync(path.join(dest, 'scripts/tls-self-signed.sh'))).toBe(true);
    expect(statSync(path.join(dest, 'scripts/tls-self-signed.sh')).mode & 0o777).toBe(0o755);
    const r = gen(dest, '--tls', 'none');
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/delete\s+scripts\/tls-self-signed.sh/);
    expect(existsSync(path.join(dest, 'scripts/tls-self-signed.sh'))).toBe(false);
    expect(existsSync(path.join(dest, 'scripts/stack.sh'))).toBe(true);
    expect(read(dest, '.bindplane-distributed/base.txt')).not.toContain('tls-self-signed');
    expect(read(dest, '.bindplane-distributed/record.json')).not.toContain('tls-self-signed');
  });

  it('an edited stale file is kept and reported, on every run, until the person removes it', () => {
    const dest = fresh('--tls', 'selfSigned');
    edit(dest, 'scripts/tls-self-signed.sh', (s) => s.replace('-days 825', '-days 90'));
    const r = gen(dest, '--tls', 'none');
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/keep\s+scripts\/tls-self-signed.sh\s+\(no longer generated, but kept because you edited it/);
    expect(read(dest, 'scripts/tls-self-signed.sh')).toContain('-days 90');
    const again = gen(dest);
    expect(again.stdout).toMatch(/keep\s+scripts\/tls-self-signed.sh/);
    // Wanted again: the edit merges with the render instead of being called foreign.
    const back = gen(dest, '--tls', 'selfSigned');
    expect(back.status, back.stderr).toBe(0);
    expect(read(dest, 'scripts/tls-self-signed.sh')).toContain('-days 90');
  });
});

describe('edits survive', () => {
  it('merges an edit that does not overlap the template change', () => {
    const dest = fresh();
    edit(dest, 'nginx/nginx.conf', (s) => s.replace('client_max_body_size 64m;', 'client_max_body_size 256m;'));
    edit(dest, 'docker-compose.yml', (s) => `${s}# my own note at the end\n`);
    const r = gen(dest, '--instances', '6');
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/merge\s+nginx\/nginx.conf/);
    const conf = read(dest, 'nginx/nginx.conf');
    expect(conf).toContain('client_max_body_size 256m;');
    expect(conf).toContain('server bindplane-6:3001');
    const compose = read(dest, 'docker-compose.yml');
    expect(compose).toContain('# my own note at the end');
    expect(compose).toContain('bindplane-6:');
    // And the merged result is stable: the next run writes nothing and only reports the kept edits.
    const before = snapshot(dest);
    const again = gen(dest);
    expect(again.stdout).not.toMatch(/^(create|update|merge|conflict|replace|delete|restore)\s/m);
    expect(again.stdout).toMatch(/keep\s+nginx\/nginx.conf\s+\(edited by you; the generator has no change for it\)/);
    expect(changed(before, snapshot(dest))).toEqual([]);
  });

  it('leaves conflict markers for overlapping changes, exits 1, and blocks the next run until resolved', () => {
    const dest = fresh();
    edit(dest, 'nginx/nginx.conf', (s) =>
      s.replace('server bindplane-3:3001 resolve max_fails=2 fail_timeout=5s;', 'server bindplane-3:3001 resolve max_fails=2 fail_timeout=5s backup;'),
    );
    const r = gen(dest, '--instances', '2');
    expect(r.status).toBe(1);
    expect(r.stdout).toMatch(/conflict\s+nginx\/nginx.conf/);
    expect(r.stdout).toMatch(/conflicts to resolve[^\n]*\n\s+nginx\/nginx.conf/);
    const conf = read(dest, 'nginx/nginx.conf');
    expect(conf).toMatch(/^<<<<<<< yours \(the file as you edited it\)$/m);
    expect(conf).toMatch(/^=======$/m);
    expect(conf).toMatch(/^>>>>>>> generator \(the new render\)$/m);
    // Everything else of the run landed.
    expect(read(dest, 'docker-compose.yml')).not.toContain('bindplane-3:');

    const blocked = gen(dest);
    expect(blocked.status).toBe(1);
    expect(blocked.stderr).toMatch(/resolve the conflict markers in nginx\/nginx.conf first/);

    // Resolve: take the generator's side.
    edit(dest, 'nginx/nginx.conf', (s) => s.replace(/<<<<<<< yours[^]*?=======\n/, '').replace(/>>>>>>> generator \(the new render\)\n/, ''));
    const ok = gen(dest);
    expect(ok.status, ok.stderr).toBe(0);
    expect(read(dest, 'nginx/nginx.conf')).not.toContain('bindplane-3');
  });

  it('leaves an edit alone when the templates have no change for that file', () => {
    const dest = fresh();
    edit(dest, 'Makefile', (s) => `${s}\nhello: ## Say hello\n\t@echo hello\n`);
    const r = gen(dest, '--instances', '4');
    expect(r.stdout).toMatch(/keep\s+Makefile\s+\(edited by you; the generator has no change for it\)/);
    expect(read(dest, 'Makefile')).toContain('hello: ## Say hello');
  });

  it('keeps a deleted file deleted, says so, and brings it back with --restore', () => {
    const dest = fresh();
    unlinkSync(path.join(dest, 'README.md'));
    const r = gen(dest, '--instances', '4');
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/deleted\s+README.md\s+\(you deleted it; it stays deleted; --restore README.md brings it back\)/);
    expect(existsSync(path.join(dest, 'README.md'))).toBe(false);
    // Not drift: it was the person's decision.
    expect(cli([dest, '--check']).status).toBe(0);
    const back = gen(dest, '--restore', 'README.md');
    expect(back.status, back.stderr).toBe(0);
    expect(read(dest, 'README.md')).toContain('4 Bindplane instances');
  });

  it('--force replaces edited files with the new render and says which', () => {
    const dest = fresh();
    edit(dest, 'Makefile', (s) => `${s}# mine\n`);
    const r = gen(dest, '--force');
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(
      /replace\s+Makefile\s+\(your edits were replaced by the new render because of --force; the file as it was is kept as Makefile\.orig\)/,
    );
    expect(read(dest, 'Makefile')).not.toContain('# mine');
  });
});

describe('secrets', () => {
  it('merges .env key by key: values and added keys are kept, missing keys are created, nothing is shown', () => {
    const dest = fresh('--event-bus', 'nats');
    const envBefore = read(dest, '.env');
    const pw = /^BINDPLANE_PASSWORD=(.*)$/m.exec(envBefore)![1]!;
    writeFileSync(path.join(dest, '.env'), `${envBefore.replace(/^POSTGRES_PASSWORD=.*$/m, 'POSTGRES_PASSWORD=mine')}BINDPLANE_LICENSE=abc\nMY_KEY=1\n`, {
      mode: 0o600,
    });
    const dry = gen(dest, '--event-bus', 'kafka', '--dry-run');
    expect(dry.status, dry.stderr).toBe(0);
    expect(dry.stdout).toMatch(/update\s+\.env\s+\(adds KAFKA_CLUSTER_ID \(values hidden\)\)/);
    expect(dry.stdout).not.toContain(pw);
    const r = gen(dest, '--event-bus', 'kafka');
    expect(r.stdout + r.stderr).not.toContain(pw);
    const env = read(dest, '.env');
    expect(env).toContain(`BINDPLANE_PASSWORD=${pw}`);
    expect(env).toContain('POSTGRES_PASSWORD=mine');
    expect(env).toContain('BINDPLANE_LICENSE=abc\nMY_KEY=1\n');
    expect(env).toMatch(/^KAFKA_CLUSTER_ID=[A-Za-z0-9_-]{22}$/m);
    expect(statSync(path.join(dest, '.env')).mode & 0o777).toBe(0o600);
  });

  it('a clean clone has no .env, and that is not drift', () => {
    const dest = fresh();
    rmSync(path.join(dest, '.env'));
    const r = cli([dest, '--check']);
    expect(r.status, r.stdout).toBe(0);
    expect(r.stdout).toContain('up to date');
  });
});

describe('what the review found', () => {
  it('runs one at a time: concurrent runs in one folder never corrupt it', async () => {
    const dest = fresh();
    const { spawn } = await import('node:child_process');
    const runs = await Promise.all(
      [2, 3, 4, 5, 6, 7].map(
        (n) =>
          new Promise<{ code: number | null; err: string }>((resolve) => {
            const child = spawn(process.execPath, [CLI, dest, '--defaults', '--instances', String(n)], { stdio: ['ignore', 'ignore', 'pipe'] });
            let err = '';
            child.stderr.on('data', (d: Buffer) => (err += d.toString()));
            child.on('exit', (code) => resolve({ code, err }));
          }),
      ),
    );
    for (const r of runs) {
      expect([0, BUSY_EXIT], r.err).toContain(r.code);
      if (r.code === BUSY_EXIT) expect(r.err).toMatch(/another bindplane-distributed run \(pid \d+\) is working on/);
    }
    expect(runs.some((r) => r.code === 0)).toBe(true);
    const check = cli([dest, '--check']);
    expect(check.status, check.stdout + check.stderr).toBe(0);
    for (const f of ['docker-compose.yml', 'nginx/nginx.conf', 'README.md']) expect(read(dest, f)).not.toMatch(/^<<<<<<< /m);
    expect(readdirSync(path.dirname(dest))).toEqual(['stack']);
    expect(existsSync(path.join(dest, '.bindplane-distributed/lock'))).toBe(false);
  });

  it('a clean clone with umask 002 (files 664) is not drift', () => {
    const dest = fresh('--tls', 'selfSigned');
    for (const f of ['docker-compose.yml', 'Makefile', 'README.md', 'nginx/nginx.conf']) chmodSync(path.join(dest, f), 0o664);
    chmodSync(path.join(dest, 'scripts/tls-self-signed.sh'), 0o775);
    const r = cli([dest, '--check']);
    expect(r.status, r.stdout).toBe(0);
    // The executable bit still counts.
    chmodSync(path.join(dest, 'scripts/tls-self-signed.sh'), 0o664);
    expect(cli([dest, '--check']).status).toBe(1);
  });

  it('a merged edit survives even when the merge bases are lost', () => {
    const dest = fresh();
    edit(dest, 'docker-compose.yml', (s) => `${s}# my note\n`);
    expect(gen(dest, '--instances', '4').stdout).toMatch(/merge\s+docker-compose.yml/);
    rmSync(path.join(dest, '.bindplane-distributed/base.txt'));
    const r = gen(dest, '--instances', '5');
    expect(r.stdout).toMatch(/keep\s+docker-compose.yml\s+\(edited, and no merge base is recorded/);
    expect(read(dest, 'docker-compose.yml')).toContain('# my note');
  });

  it('generating into an existing empty folder keeps the folder itself (mode, a mount point)', () => {
    const dest = path.join(tempDir('bpd-empty-'), 'stack');
    mkdirSync(dest);
    chmodSync(dest, 0o2770);
    expect(gen(dest).status).toBe(0);
    expect(statSync(dest).mode & 0o7777).toBe(0o2770);
    expect(existsSync(path.join(dest, 'docker-compose.yml'))).toBe(true);
  });

  it('a deleted file is not drift, even before the next run', () => {
    const dest = fresh();
    unlinkSync(path.join(dest, 'Makefile'));
    const r = cli([dest, '--check']);
    expect(r.status, r.stdout).toBe(0);
  });

  it('warns before a PostgreSQL major upgrade that the data needs a dump and restore', () => {
    const dest = fresh();
    const r = gen(dest, '--postgres-version', '17');
    expect(r.status).toBe(0);
    expect(r.stdout).toContain(`warning: --postgres-version goes from ${POSTGRES_DEFAULT} to 17: PostgreSQL does not start on another major release's data`);
    expect(gen(dest, '--postgres-version', '17.2').stdout).not.toContain('warning');
  });
});

describe("copies of the person's files", () => {
  function withCert(): { work: string; dest: string } {
    const work = tempDir('bpd-copies-');
    selfSignedPair(work);
    const dest = path.join(work, 'stack');
    const r = gen(dest, '--tls', 'provided', '--tls-cert-file', path.join(work, 'c.pem'), '--tls-key-file', path.join(work, 'k.pem'));
    expect(r.status, r.stderr).toBe(0);
    return { work, dest };
  }

  it('are private, follow their source when it is given again, and stand in for it when it is gone', () => {
    const { work, dest } = withCert();
    expect(statSync(path.join(dest, 'local/tls/tls.key')).mode & 0o777).toBe(0o600);
    expect(read(dest, 'local/tls/tls.crt')).toBe(readFileSync(path.join(work, 'c.pem'), 'utf8'));
    writeFileSync(path.join(work, 'c.pem'), readFileSync(path.join(work, 'c.pem'), 'utf8') + '\n');
    // A stored path outside the stack is not read again by itself (issue 20, row 3): only when given on this run.
    expect(gen(dest).stdout.trim()).toBe('nothing to change');
    expect(gen(dest, '--tls-cert-file', path.join(work, 'c.pem')).stdout).toMatch(/copy\s+local\/tls\/tls.crt/);
    rmSync(path.join(work, 'c.pem'));
    rmSync(path.join(work, 'k.pem'));
    const r = gen(dest);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout.trim()).toBe('nothing to change');
    // No longer used and the source is gone: the only copy of a key is kept, and said so.
    const off = gen(dest, '--tls', 'none');
    expect(off.stdout).toMatch(/keep\s+local\/tls\/tls.key\s+\(no longer used, but .* is gone/);
    expect(existsSync(path.join(dest, 'local/tls/tls.key'))).toBe(true);
  });

  it('are removed when no longer used while the source still exists', () => {
    const { dest } = withCert();
    const r = gen(dest, '--tls', 'none');
    expect(r.stdout).toMatch(/delete\s+local\/tls\/tls.key\s+\(no longer used/);
    expect(existsSync(path.join(dest, 'local'))).toBe(false);
  });
});

describe('preview and CI', () => {
  it('--dry-run shows the plan with diffs and writes nothing', () => {
    const dest = fresh();
    const before = snapshot(dest);
    const r = gen(dest, '--instances', '4', '--dry-run');
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/update\s+nginx\/nginx.conf/);
    expect(r.stdout).toContain('+    server bindplane-4:3001 resolve max_fails=2 fail_timeout=5s;');
    expect(r.stdout).toContain('dry run: nothing was written');
    expect(changed(before, snapshot(dest))).toEqual([]);
  });

  it('--dry-run shows every kind of step: merge, conflict, delete, keep; and exits 1 for a conflict', () => {
    const dest = fresh('--tls', 'selfSigned');
    edit(dest, 'docker-compose.yml', (s) => `${s}# mine\n`);
    edit(dest, 'nginx/nginx.conf', (s) =>
      s.replace('server bindplane-3:3001 resolve max_fails=2 fail_timeout=5s;', 'server bindplane-3:3001 resolve max_fails=2 fail_timeout=5s backup;'),
    );
    edit(dest, 'prometheus/prometheus.yml', (s) => `${s}# mine\n`);
    const before = snapshot(dest);
    const r = gen(dest, '--instances', '2', '--tls', 'none', '--dry-run');
    expect(r.status).toBe(1);
    expect(r.stdout).toMatch(/^merge\s+docker-compose.yml/m);
    expect(r.stdout).toMatch(/^conflict\s+nginx\/nginx.conf/m);
    expect(r.stdout).toMatch(/^delete\s+scripts\/tls-self-signed.sh/m);
    expect(r.stdout).toMatch(/^keep\s+prometheus\/prometheus.yml/m);
    expect(r.stdout).toMatch(/^\+<<<<<<< yours/m);
    expect(changed(before, snapshot(dest))).toEqual([]);
  });

  it('--check exits 1 and lists the files when regeneration would change anything, 0 otherwise', () => {
    const dest = fresh();
    expect(cli([dest, '--check']).status).toBe(0);
    edit(dest, '.yo-rc.json', (s) => s.replace('"instances": 3', '"instances": 2'));
    const before = snapshot(dest);
    const r = cli([dest, '--check']);
    expect(r.status).toBe(1);
    expect(r.stdout).toMatch(/drift: regeneration would change these files:\n(.*\n)*\s+update\s+docker-compose.yml/);
    expect(changed(before, snapshot(dest))).toEqual([]);
  });
});

describe('the record', () => {
  it('keeps no secret and stays readable', () => {
    const dest = fresh();
    const env = read(dest, '.env');
    const values = [...env.matchAll(/^[A-Z_]+=(.+)$/gm)].map((m) => m[1]!);
    const rec = read(dest, '.bindplane-distributed/record.json');
    for (const v of values) expect(rec).not.toContain(v);
    expect(read(dest, '.bindplane-distributed/base.txt')).not.toMatch(/^@@@ "\.env"/m);
    const bases = parseBases(read(dest, '.bindplane-distributed/base.txt'));
    // The bases are the renders, byte for byte.
    expect(bases.get('docker-compose.yml')).toBe(read(dest, 'docker-compose.yml'));
    expect(bases.get('Makefile')).toBe(read(dest, 'Makefile'));
    expect(JSON.parse(rec).files['docker-compose.yml'].sha256).toMatch(/^[0-9a-f]{64}$/);
  });

  it("merges against what an older generator wrote, not a re-render with today's templates", () => {
    const dest = fresh();
    // Pretend an older release wrote a different Makefile: its render is the base, its bytes the hash.
    const older = read(dest, 'Makefile').replace('\t$(COMPOSE) $(STACK) stop\n', '\t$(COMPOSE) $(STACK) stop --timeout 30\n');
    expect(older).toContain('stop --timeout 30');
    const baseFile = path.join(dest, '.bindplane-distributed/base.txt');
    const bases = parseBases(readFileSync(baseFile, 'utf8'));
    bases.set('Makefile', older);
    writeFileSync(baseFile, serializeBases(bases));
    const recFile = path.join(dest, '.bindplane-distributed/record.json');
    const rec = JSON.parse(readFileSync(recFile, 'utf8'));
    rec.files.Makefile.sha256 = createHash('sha256').update(older).digest('hex');
    rec.version = '0.0.1';
    writeFileSync(recFile, JSON.stringify(rec, null, 2));
    // The person edited the older file elsewhere.
    writeFileSync(path.join(dest, 'Makefile'), older.replace('COMPOSE ?= docker compose', 'COMPOSE ?= docker compose --progress plain'));
    const r = gen(dest);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/merge\s+Makefile/);
    const mk = read(dest, 'Makefile');
    expect(mk).toContain('COMPOSE ?= docker compose --progress plain');
    expect(mk).toContain('\t$(COMPOSE) $(STACK) stop\n');
    expect(mk).not.toContain('stop --timeout 30');
  });
});
