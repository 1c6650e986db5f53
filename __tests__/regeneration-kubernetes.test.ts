// Regeneration of the Kubernetes files through the real CLI, and switching the platform of an
// existing repository: the same guarantees as the Compose files (edits merged, untouched files
// updated, stale files removed or kept when edited, a rerun changes nothing, --check, --dry-run).
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { RECORD_FILE } from '../src/facts/stack-files.js';
import { CHART_DIGESTS_FILE } from '../src/model/kubernetes/index.js';
import { changed, cleanupTempDirs, cli, snapshot, tempDir } from './helpers/stack.js';

afterAll(cleanupTempDirs);

const read = (dir: string, p: string) => readFileSync(path.join(dir, p), 'utf8');
const edit = (dir: string, p: string, fn: (s: string) => string) => writeFileSync(path.join(dir, p), fn(read(dir, p)));
const has = (dir: string, p: string) => existsSync(path.join(dir, p));

const gen = (dest: string, ...args: string[]) => cli([dest, '--defaults', ...args]);

function fresh(...args: string[]): string {
  const dest = path.join(tempDir('bpd-k8s-regen-'), 'stack');
  const r = gen(dest, ...args);
  expect(r.status, r.stderr).toBe(0);
  return dest;
}

const COMPOSE_ONLY = [
  'docker-compose.yml',
  'bindplane/bindplane.env',
  'nginx/nginx.conf',
  'prometheus/prometheus.yml',
  'prometheus/rules/bindplane.yml',
  'scripts/stack.sh',
];
const KUBERNETES_ONLY = ['values.yaml', 'kustomization.yaml', 'k8s/namespace.yaml', 'k8s/postgres.yaml', 'k8s/networkpolicy.yaml', 'scripts/kube.sh'];
const quiet = (stdout: string) => expect(stdout).not.toMatch(/^(create|update|merge|conflict|replace|delete|restore)\s/m);

describe('switching the platform', () => {
  it('compose to kubernetes removes the untouched Compose files, keeps an edited one and says so, keeps .env; a rerun changes nothing', () => {
    const dest = fresh('--event-bus', 'nats');
    const env = read(dest, '.env');
    edit(dest, 'nginx/nginx.conf', (s) => s.replace('client_max_body_size 64m;', 'client_max_body_size 256m;'));
    const r = gen(dest, '--platform', 'kubernetes');
    expect(r.status, r.stderr).toBe(0);
    for (const f of COMPOSE_ONLY.filter((f) => f !== 'nginx/nginx.conf')) {
      expect(r.stdout).toMatch(new RegExp(`^delete\\s+${f.replace(/[./]/g, '\\$&')}`, 'm'));
      expect(has(dest, f), f).toBe(false);
    }
    expect(r.stdout).toMatch(/^keep\s+nginx\/nginx.conf\s+\(no longer generated, but kept because you edited it/m);
    expect(read(dest, 'nginx/nginx.conf')).toContain('client_max_body_size 256m;');
    expect(`${r.stdout}${r.stderr}`).toMatch(
      /--platform goes from compose to kubernetes: .*containers and volumes stay.*make restore FILE=backups\/compose.dump/,
    );
    for (const f of KUBERNETES_ONLY) expect(has(dest, f), f).toBe(true);
    expect(read(dest, 'Makefile')).toContain('sh scripts/kube.sh');
    expect(read(dest, 'README.md')).toContain('on Kubernetes');
    expect(read(dest, '.env')).toBe(env);
    expect(JSON.parse(read(dest, '.yo-rc.json'))['generator-bindplane-distributed'].platform).toBe('kubernetes');

    const before = snapshot(dest);
    const again = gen(dest);
    expect(again.status, again.stderr).toBe(0);
    quiet(again.stdout);
    expect(again.stdout).toMatch(/keep\s+nginx\/nginx.conf/);
    expect(changed(before, snapshot(dest))).toEqual([]);
    expect(cli([dest, '--check']).status).toBe(0);
  });

  it('kubernetes back to compose removes the Kubernetes files and brings the Compose ones back', () => {
    const dest = fresh('--platform', 'kubernetes');
    const r = gen(dest, '--platform', 'compose');
    expect(r.status, r.stderr).toBe(0);
    expect(`${r.stdout}${r.stderr}`).toMatch(/--platform goes from kubernetes to compose: the release stack keeps running/);
    for (const f of KUBERNETES_ONLY) expect(has(dest, f), f).toBe(false);
    expect(has(dest, 'k8s')).toBe(false);
    for (const f of COMPOSE_ONLY) expect(has(dest, f), f).toBe(true);
    expect(read(dest, 'Makefile')).toContain('docker compose');
    const before = snapshot(dest);
    quiet(gen(dest).stdout);
    expect(changed(before, snapshot(dest))).toEqual([]);
  });

  it('a new projectName on kubernetes warns that the old release keeps running, not about docker compose', () => {
    const dest = fresh('--platform', 'kubernetes');
    const r = gen(dest, '--project-name', 'bp-two');
    expect(r.status, r.stderr).toBe(0);
    const said = `${r.stdout}${r.stderr}`;
    expect(said).toMatch(/--project-name goes from stack to bp-two: make deploy installs a second, empty release in the namespace bp-two/);
    expect(said).not.toMatch(/docker compose -p/);
  });

  it('a switch that an answer forbids (kafka) is refused with exit 2 and writes nothing', () => {
    const dest = fresh('--event-bus', 'kafka');
    const before = snapshot(dest);
    const r = gen(dest, '--platform', 'kubernetes');
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/eventBus in \.yo-rc\.json: kafka is not available on kubernetes.*nats.*pubsub/);
    expect(changed(before, snapshot(dest))).toEqual([]);
  });
});

describe('the Kubernetes files regenerate like the Compose files', () => {
  it('3 to 5 instances updates values.yaml and the README, merges an edit of values.yaml, and leaves the rest', () => {
    const dest = fresh('--platform', 'kubernetes');
    edit(dest, 'values.yaml', (s) => `${s}\n# mine: resources for a large cluster\nresources:\n  requests:\n    memory: 2000Mi\n`);
    const before = snapshot(dest);
    const r = gen(dest, '--instances', '5');
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^merge\s+values.yaml/m);
    const values = read(dest, 'values.yaml');
    expect(values).toContain('replicas: 5');
    expect(values).toContain('memory: 2000Mi');
    const touched = changed(before, snapshot(dest));
    expect(touched).toEqual(['.bindplane-distributed/base.txt', '.bindplane-distributed/record.json', '.yo-rc.json', 'README.md', 'values.yaml']);

    const again = snapshot(dest);
    const rerun = gen(dest);
    quiet(rerun.stdout);
    expect(rerun.stdout).toMatch(/keep\s+values.yaml\s+\(edited by you; the generator has no change for it\)/);
    expect(changed(again, snapshot(dest))).toEqual([]);
  });

  it('an overlapping edit of values.yaml leaves conflict markers and exits 1', () => {
    const dest = fresh('--platform', 'kubernetes');
    edit(dest, 'values.yaml', (s) => s.replace('replicas: 3', 'replicas: 4 # mine'));
    const r = gen(dest, '--instances', '6');
    expect(r.status).toBe(1);
    expect(r.stdout).toMatch(/conflict\s+values.yaml/);
    expect(read(dest, 'values.yaml')).toMatch(/^<<<<<<< yours/m);
  });

  it('stale Kubernetes files: the emulator goes with Pub/Sub, PostgreSQL with an external host; an edited one is kept', () => {
    const dest = fresh('--platform', 'kubernetes', '--event-bus', 'pubsub', '--pubsub-project-id', 'bindplane-test');
    expect(has(dest, 'k8s/pubsub-emulator.yaml')).toBe(true);
    expect(read(dest, 'kustomization.yaml')).toContain('k8s/pubsub-emulator.yaml');
    const r = gen(dest, '--event-bus', 'nats');
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^delete\s+k8s\/pubsub-emulator.yaml/m);
    expect(read(dest, 'kustomization.yaml')).not.toContain('pubsub-emulator');
    expect(read(dest, 'k8s/networkpolicy.yaml')).not.toContain('pubsub-emulator');

    edit(dest, 'k8s/postgres.yaml', (s) => s.replace('storage: 10Gi', 'storage: 50Gi'));
    const ext = gen(dest, '--postgres-host', 'db.example.com');
    expect(ext.status, ext.stderr).toBe(0);
    expect(ext.stdout).toMatch(/^keep\s+k8s\/postgres.yaml\s+\(no longer generated, but kept because you edited it/m);
    expect(read(dest, 'kustomization.yaml')).not.toContain('k8s/postgres.yaml');
    // No pod of ours is left to guard: only the nodes' policy stays; with every namespace let in, the file goes.
    expect(read(dest, 'k8s/networkpolicy.yaml')).not.toMatch(/name: \S+-postgres/);
    expect(read(dest, 'k8s/networkpolicy.yaml')).toMatch(/name: \S+-nodes\n/);
    expect(read(dest, 'values.yaml')).toContain('host: db.example.com');
    const open = gen(dest, '--ingress-namespace', '*');
    expect(open.status, open.stderr).toBe(0);
    expect(open.stdout).toMatch(/^delete\s+k8s\/networkpolicy.yaml/m);
    expect(read(dest, 'kustomization.yaml')).not.toContain('networkpolicy');
  });

  it('--dry-run shows the plan and writes nothing; --check finds drift and changes nothing', () => {
    const dest = fresh('--platform', 'kubernetes');
    const before = snapshot(dest);
    const dry = gen(dest, '--instances', '16', '--tls', 'selfSigned', '--dry-run');
    expect(dry.status, dry.stderr).toBe(0);
    expect(dry.stdout).toMatch(/^update\s+values.yaml/m);
    expect(dry.stdout).toContain('+replicas: 16');
    expect(dry.stdout).toMatch(/^create\s+scripts\/tls-self-signed.sh/m);
    expect(dry.stdout).toContain('dry run: nothing was written');
    expect(changed(before, snapshot(dest))).toEqual([]);

    expect(cli([dest, '--check']).status).toBe(0);
    edit(dest, '.yo-rc.json', (s) => s.replace('"instances": 3', '"instances": 2'));
    const drifted = snapshot(dest);
    const check = cli([dest, '--check']);
    expect(check.status).toBe(1);
    expect(check.stdout).toMatch(/drift: regeneration would change these files:\n(.*\n)*\s+update\s+values.yaml/);
    expect(changed(drifted, snapshot(dest))).toEqual([]);
  });
});

describe("chart.sha256: the digests of the chart make deploy trusted, a file of the person's", () => {
  it('no regeneration writes, deletes or merges it (new answers, --force, compose and back, --check), and a record entry naming it is refused', () => {
    const dest = fresh('--platform', 'kubernetes');
    const digests = `${'a'.repeat(64)}  bindplane-1.31.1.tgz\n${'b'.repeat(64)}  bindplane-1.30.0.tgz\n`;
    writeFileSync(path.join(dest, CHART_DIGESTS_FILE), digests);
    for (const args of [['--instances', '5'], ['--force'], ['--platform', 'compose'], ['--platform', 'kubernetes'], ['--check']]) {
      const r = gen(dest, ...args);
      expect(r.status, `${args.join(' ')}: ${r.stderr}`).toBe(0);
      expect(r.stdout, args.join(' ')).not.toContain(CHART_DIGESTS_FILE);
      expect(read(dest, CHART_DIGESTS_FILE), args.join(' ')).toBe(digests);
    }
    expect(Object.keys(JSON.parse(read(dest, RECORD_FILE)).files)).not.toContain(CHART_DIGESTS_FILE);
    edit(dest, RECORD_FILE, (s) => {
      const rec = JSON.parse(s);
      rec.files[CHART_DIGESTS_FILE] = { sha256: createHash('sha256').update(digests).digest('hex'), mode: '644' };
      return JSON.stringify(rec);
    });
    const refused = gen(dest, '--instances', '4');
    expect(refused.status).toBe(2);
    expect(refused.stderr).toContain(`the entry "${CHART_DIGESTS_FILE}" in "files" is not a file this generator writes`);
    expect(read(dest, CHART_DIGESTS_FILE)).toBe(digests);
  });
});
