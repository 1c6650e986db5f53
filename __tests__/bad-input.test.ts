// Bad input through the real CLI: one clear message naming the field and what is allowed, a
// non-zero exit, and not one byte written or changed in the destination.
import { createHash } from 'node:crypto';
import { chmodSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { cleanupTempDirs, cli, generateStack, selfSignedPair, snapshot, tempDir } from './helpers/stack.js';

afterAll(cleanupTempDirs);

interface Case {
  name: string;
  /** Arguments after DEST; `$W` is replaced by the case's work folder (for files). */
  args: string[];
  exit: number;
  message: RegExp;
  /** Prepares the work folder (the destination is `$W/dest`). */
  setup?: (work: string, dest: string) => void | Promise<void>;
  /** Use a file or other path as the destination instead of `$W/dest`. */
  dest?: (work: string) => string;
}

const write = (p: string, text: string) => {
  mkdirSync(path.dirname(p), { recursive: true });
  writeFileSync(p, text);
};
const answersFile = (name: string, text: string) => (w: string) => write(path.join(w, name), text);
/** Two self-signed certificates with their keys: $W/a.crt, $W/a.key, $W/b.crt, $W/b.key. */
const certificates = (w: string) => {
  for (const n of ['a', 'b']) selfSignedPair(w, { cert: `${n}.crt`, key: `${n}.key` }, { keyType: 'ec' });
};
const generated = async (_w: string, dest: string) => {
  await generateStack({}, dest);
};

const CASES: Case[] = [
  { name: 'instances zero', args: ['--instances', '0'], exit: 2, message: /--instances: "0" is not allowed; use a whole number from 1 to 64/ },
  { name: 'instances too many', args: ['--instances', '65'], exit: 2, message: /--instances: "65" is not allowed; use a whole number from 1 to 64/ },
  { name: 'instances not a number', args: ['--instances', 'three'], exit: 2, message: /--instances: "three" is not allowed/ },
  { name: 'instances fraction', args: ['--instances', '3.5'], exit: 2, message: /--instances: "3.5" is not allowed/ },
  { name: 'instances negative', args: ['--instances=-1'], exit: 2, message: /--instances: "-1" is not allowed/ },
  { name: 'instances empty', args: ['--instances', ''], exit: 2, message: /--instances: is empty; use a whole number from 1 to 64/ },
  {
    name: 'instances huge number',
    args: ['--instances', '99999999999999999999'],
    exit: 2,
    message: /--instances: .* is not allowed; use a whole number from 1 to 64/,
  },
  { name: 'unknown event bus', args: ['--event-bus', 'rabbitmq'], exit: 2, message: /--event-bus: "rabbitmq" is not allowed; use one of kafka, pubsub, nats/ },
  { name: 'event bus wrong case', args: ['--event-bus', 'NATS'], exit: 2, message: /--event-bus: "NATS" is not allowed \(did you mean nats\?\)/ },
  { name: 'two kafka brokers', args: ['--kafka-brokers', '2'], exit: 2, message: /--kafka-brokers: "2" is not allowed; use one of 1, 3/ },
  { name: 'tls yes', args: ['--tls', 'yes'], exit: 2, message: /--tls: "yes" is not allowed; use one of none, self-signed, provided/ },
  { name: 'port zero', args: ['--http-port', '0'], exit: 2, message: /--http-port: "0" is not allowed; use a whole number from 1 to 65535/ },
  { name: 'port too high', args: ['--http-port', '70000'], exit: 2, message: /--http-port: "70000" is not allowed/ },
  {
    name: 'project name with ..',
    args: ['--project-name', '../evil'],
    exit: 2,
    message: /--project-name: "..\/evil" is not allowed; use lower-case letters, digits/,
  },
  { name: 'project name with /', args: ['--project-name', 'a/b'], exit: 2, message: /--project-name: "a\/b" is not allowed/ },
  { name: 'project name upper case', args: ['--project-name', 'Bad'], exit: 2, message: /--project-name: "Bad" is not allowed/ },
  { name: 'project name empty', args: ['--project-name', ''], exit: 2, message: /--project-name: is empty/ },
  { name: 'project name control character', args: ['--project-name', 'ab\u0007c'], exit: 2, message: /--project-name: "ab\\u0007c" is not allowed/ },
  {
    name: 'project name huge',
    args: ['--project-name', 'a'.repeat(10_000)],
    exit: 2,
    message: /--project-name: "a{60}…" is not allowed; .*at most 63 characters/,
  },
  {
    name: 'version latest',
    args: ['--bindplane-version', 'latest'],
    exit: 2,
    message: /--bindplane-version: "latest" is not allowed; use a release number such as 1.96.3 \(never "latest"\)/,
  },
  { name: 'version two parts', args: ['--bindplane-version', '1.100'], exit: 2, message: /--bindplane-version: "1.100" is not allowed/ },
  { name: 'postgres 9', args: ['--postgres-version', '9'], exit: 2, message: /--postgres-version: "9" is not allowed; use a PostgreSQL release from 14 to 18/ },
  {
    name: 'retention units out of order',
    args: ['--prometheus-retention', '1d1w'],
    exit: 2,
    message: /--prometheus-retention: "1d1w" is not allowed; use a Prometheus duration with units from largest to smallest/,
  },
  {
    name: 'retention words',
    args: ['--prometheus-retention', '15 days'],
    exit: 2,
    message: /--prometheus-retention: "15 days" is not allowed; use a Prometheus duration/,
  },
  {
    name: 'remote url ftp',
    args: ['--remote-url', 'ftp://example.com'],
    exit: 2,
    message: /--remote-url: "ftp:\/\/example.com" is not allowed; use an http:\/\/ or https:\/\/ URL/,
  },
  {
    name: 'remote url with path',
    args: ['--remote-url', 'http://example.com/bindplane'],
    exit: 2,
    message: /--remote-url: .* is not allowed; use an http:\/\/ or https:\/\/ URL with a host and no path/,
  },
  {
    name: 'https remote url without tls',
    args: ['--remote-url', 'https://example.com'],
    exit: 2,
    message: /--remote-url: "https:\/\/example.com" uses https:\/\/ but tls is none/,
  },
  {
    name: 'http remote url with tls',
    args: ['--tls', 'selfSigned', '--remote-url', 'http://example.com'],
    exit: 2,
    message: /--remote-url: "http:\/\/example.com" uses http:\/\/ but tls is selfSigned; use an https:\/\/ URL/,
  },
  {
    name: 'pubsub without project',
    args: ['--event-bus', 'pubsub'],
    exit: 2,
    message: /missing required answer: --pubsub-project-id \(Google Cloud project ID of the Pub\/Sub topic; pubsubProjectId in an answers file\)/,
  },
  {
    name: 'pubsub project id too short',
    args: ['--event-bus', 'pubsub', '--pubsub-project-id', 'ab'],
    exit: 2,
    message: /--pubsub-project-id: "ab" is not allowed; use a Google Cloud project ID/,
  },
  {
    name: 'credentials file missing',
    args: ['--event-bus', 'pubsub', '--pubsub-project-id', 'demo-project', '--pubsub-credentials-file', '$W/nope.json'],
    exit: 2,
    message: /--pubsub-credentials-file: ".*nope.json" does not exist; use the path of an existing service-account key file/,
  },
  {
    name: 'credentials file not JSON',
    args: ['--event-bus', 'pubsub', '--pubsub-project-id', 'demo-project', '--pubsub-credentials-file', '$W/sa.json'],
    setup: answersFile('sa.json', 'not json at all'),
    exit: 2,
    message: /--pubsub-credentials-file: ".*sa.json" is not JSON/,
  },
  {
    name: 'tls provided without files',
    args: ['--tls', 'provided'],
    exit: 2,
    message: /missing required answers: --tls-cert-file \(PEM certificate chain for the load balancer; tlsCertFile in an answers file\), --tls-key-file \(/,
  },
  {
    name: 'tls provided with a non-PEM certificate',
    args: ['--tls', 'provided', '--tls-cert-file', '$W/c.pem', '--tls-key-file', '$W/c.pem'],
    setup: answersFile('c.pem', 'hello'),
    exit: 2,
    message: /--tls-cert-file: ".*c.pem" is not PEM/,
  },
  {
    name: 'tls provided with the key given as the certificate',
    args: ['--tls', 'provided', '--tls-cert-file', '$W/a.key', '--tls-key-file', '$W/a.key'],
    setup: certificates,
    exit: 2,
    message: /--tls-cert-file: ".*a.key" is a private key, not a certificate/,
  },
  {
    name: 'tls provided with the certificate given as the key',
    args: ['--tls', 'provided', '--tls-cert-file', '$W/a.crt', '--tls-key-file', '$W/a.crt'],
    setup: certificates,
    exit: 2,
    message: /--tls-key-file: ".*a.crt" is a certificate, not a private key/,
  },
  {
    name: 'tls provided with the key of another certificate',
    args: ['--tls', 'provided', '--tls-cert-file', '$W/a.crt', '--tls-key-file', '$W/b.key'],
    setup: certificates,
    exit: 2,
    message: /--tls-key-file: ".*b.key" is not the private key of the certificate ".*a.crt"/,
  },
  {
    name: 'answers file with a swapped certificate and key',
    args: ['--answers', '$W/a.yml'],
    setup: (w) => {
      certificates(w);
      write(path.join(w, 'a.yml'), 'tls: provided\ntlsCertFile: a.key\ntlsKeyFile: a.crt\n');
    },
    exit: 2,
    message: /tlsCertFile in the answers file: ".*a.key" is a private key, not a certificate/,
  },
  { name: 'demo agents too many', args: ['--demo-agents', '101'], exit: 2, message: /--demo-agents: "101" is not allowed; use a whole number from 0 to 100/ },
  {
    name: 'transform agents too many',
    args: ['--transform-agents', '17'],
    exit: 2,
    message: /--transform-agents: "17" is not allowed; use a whole number from 0 to 16/,
  },
  { name: 'admin name with a space', args: ['--admin-username', 'a b'], exit: 2, message: /--admin-username: "a b" is not allowed/ },
  {
    name: 'registry in upper case',
    args: ['--image-registry', 'Ghcr.io/X'],
    exit: 2,
    message: /--image-registry: "Ghcr.io\/X" is not allowed; use a registry path/,
  },
  { name: 'misspelt flag', args: ['--instancs', '5'], exit: 2, message: /--instancs is not a known option; did you mean --instances\?/ },
  { name: 'unknown flag', args: ['--frobnicate'], exit: 2, message: /--frobnicate is not a known option \(see --help\)/ },
  { name: 'flag without value', args: ['--instances'], exit: 2, message: /--instances needs a value: a whole number from 1 to 64/ },
  { name: 'two destinations', args: ['other'], exit: 2, message: /one destination folder at most, got 2/ },
  { name: 'check with dry-run', args: ['--check', '--dry-run'], exit: 2, message: /--check and --dry-run do not go together/ },
  { name: 'answers file missing', args: ['--answers', '$W/none.yml'], exit: 2, message: /--answers ".*none.yml": cannot read it \(ENOENT\)/ },
  {
    name: 'answers file malformed YAML',
    args: ['--answers', '$W/a.yml'],
    setup: answersFile('a.yml', 'instances: [3\neventBus: nats\n'),
    exit: 2,
    message: /--answers ".*a.yml": line \d+, column \d+: .*mapping of answer names/,
  },
  {
    name: 'answers file malformed JSON',
    args: ['--answers', '$W/a.json'],
    setup: answersFile('a.json', '{"instances": 3,,}'),
    exit: 2,
    message: /--answers ".*a.json": line 1, column \d+:/,
  },
  {
    name: 'answers file is a list',
    args: ['--answers', '$W/a.yml'],
    setup: answersFile('a.yml', '- instances\n- 3\n'),
    exit: 2,
    message: /--answers ".*a.yml": the file must be a YAML or JSON mapping of answer names to values/,
  },
  {
    name: 'answers file unknown key',
    args: ['--answers', '$W/a.yml'],
    setup: answersFile('a.yml', 'instance: 3\n'),
    exit: 2,
    message: /"instance" is not a known answer \(answers file\)\. Did you mean instances\? Known answers: /,
  },
  {
    name: 'answers file duplicate key',
    args: ['--answers', '$W/a.yml'],
    setup: answersFile('a.yml', 'instances: 3\ninstances: 4\n'),
    exit: 2,
    message: /--answers ".*a.yml": line 2, column \d+: duplicated mapping key/,
  },
  {
    name: 'answers file nested value',
    args: ['--answers', '$W/a.yml'],
    setup: answersFile('a.yml', 'instances:\n  count: 3\n'),
    exit: 2,
    message: /instances in the answers file: a mapping is not allowed; use a whole number from 1 to 64/,
  },
  {
    name: 'answers file boolean',
    args: ['--answers', '$W/a.json'],
    setup: answersFile('a.json', '{"instances": true}'),
    exit: 2,
    message: /instances in the answers file: "true" is not allowed/,
  },
  {
    name: 'answers file null',
    args: ['--answers', '$W/a.yml'],
    setup: answersFile('a.yml', 'eventBus: null\n'),
    exit: 2,
    message: /eventBus in the answers file: is empty; use one of kafka, pubsub, nats/,
  },
  {
    name: 'answers file too large',
    args: ['--answers', '$W/a.yml'],
    setup: answersFile('a.yml', `# ${'x'.repeat(1_100_000)}\n`),
    exit: 2,
    message: /--answers ".*a.yml": \d+ bytes is too large/,
  },
  {
    name: 'destination is a file',
    args: [],
    dest: (w) => path.join(w, 'afile'),
    setup: answersFile('afile', 'mine'),
    exit: 2,
    message: /destination ".*afile" is a file; give a folder/,
  },
  {
    name: 'destination read-only',
    args: [],
    setup: (w, d) => {
      mkdirSync(d);
      chmodSync(d, 0o555);
    },
    exit: 2,
    message: /destination ".*dest" is read-only/,
  },
  {
    name: "a file of the person's own where the generator writes",
    args: [],
    setup: (_w, d) => write(path.join(d, 'README.md'), '# mine\n'),
    exit: 2,
    message: /README.md already exists and was not written by the generator; move it away or run with --force/,
  },
  {
    name: 'restore of a file the generator does not write',
    args: ['--restore', 'etc/passwd'],
    setup: generated,
    exit: 2,
    message: /--restore "etc\/passwd": not a file this generator writes/,
  },
  {
    name: 'malformed .yo-rc.json',
    args: [],
    setup: (_w, d) => write(path.join(d, '.yo-rc.json'), '{oops'),
    exit: 2,
    message: /\.yo-rc\.json is not valid JSON/,
  },
  {
    name: 'unknown answer in .yo-rc.json',
    args: [],
    setup: (_w, d) => write(path.join(d, '.yo-rc.json'), JSON.stringify({ 'generator-bindplane-distributed': { instancez: 3 } })),
    exit: 2,
    message: /"instancez" is not a known answer \(\.yo-rc\.json\)\. Did you mean instances\? /,
  },
  {
    name: 'record of a newer generator',
    args: [],
    setup: async (w, d) => {
      await generated(w, d);
      const file = path.join(d, '.bindplane-distributed/record.json');
      writeFileSync(file, readFileSync(file, 'utf8').replace(/"version": "[^"]+"/, '"version": "99.0.0"'));
    },
    exit: 1,
    message: /record.json was written by generator-bindplane-distributed 99.0.0, newer than this/,
  },
  {
    name: 'a record naming a path outside the destination',
    args: [],
    setup: async (w, d) => {
      await generated(w, d);
      write(path.join(w, 'precious.txt'), 'keep me\n');
      const file = path.join(d, '.bindplane-distributed/record.json');
      const rec = JSON.parse(readFileSync(file, 'utf8'));
      rec.files['../precious.txt'] = { sha256: createHash('sha256').update('keep me\n').digest('hex'), mode: '644' };
      writeFileSync(file, JSON.stringify(rec));
    },
    exit: 2,
    message: /record.json: the entry "..\/precious.txt" in "files" is a path outside the stack/,
  },
  {
    name: 'merge bases naming a path outside the destination',
    args: [],
    setup: async (w, d) => {
      await generated(w, d);
      const file = path.join(d, '.bindplane-distributed/base.txt');
      writeFileSync(file, `${readFileSync(file, 'utf8')}@@@ "/etc/passwd" 1 line\nx\n`);
    },
    exit: 1,
    message: /base.txt names "\/etc\/passwd", a path outside the repository/,
  },
  {
    name: 'a journal naming a path outside the destination',
    args: [],
    setup: async (w, d) => {
      await generated(w, d);
      write(path.join(w, 'precious.txt'), 'keep me\n');
      write(path.join(d, '.bindplane-distributed/txn/journal.json'), JSON.stringify({ format: 1, ops: [{ op: 'delete', path: '../precious.txt' }] }));
    },
    exit: 2,
    message: /the journal in .bindplane-distributed\/txn names "..\/precious.txt", outside the repository/,
  },
  {
    name: "a file of the person's own where the generator needs a folder",
    args: [],
    setup: (_w, d) => write(path.join(d, 'nginx'), 'mine\n'),
    exit: 2,
    message: /nginx\/nginx.conf: a file of yours stands where the generator needs a folder \(nginx\); move it away/,
  },
  {
    name: 'a record of the wrong shape',
    args: [],
    setup: async (w, d) => {
      await generated(w, d);
      const file = path.join(d, '.bindplane-distributed/record.json');
      writeFileSync(file, readFileSync(file, 'utf8').replace(/"answers": \{[^}]*\}/, '"answers": null'));
    },
    exit: 1,
    message: /record.json is damaged \(an entry has the wrong shape\)/,
  },
  {
    name: 'a journal leading through a link out of the destination',
    args: ['--check'],
    setup: async (w, d) => {
      await generated(w, d);
      write(path.join(w, 'outside/x'), 'keep me\n');
      symlinkSync(path.join(w, 'outside'), path.join(d, 'evil'));
      write(path.join(d, '.bindplane-distributed/txn/journal.json'), JSON.stringify({ format: 1, ops: [{ op: 'delete', path: 'evil/x' }] }));
    },
    exit: 2,
    message: /the journal in .bindplane-distributed\/txn names "evil\/x", not a file the generator writes/,
  },
  {
    name: 'a link leading out of the destination',
    args: [],
    setup: (w, d) => {
      mkdirSync(d);
      mkdirSync(path.join(w, 'outside'));
      symlinkSync(path.join(w, 'outside'), path.join(d, 'nginx'));
    },
    exit: 2,
    message: /nginx\/nginx.conf: nginx is a symbolic link; the generator writes only inside the destination/,
  },
];

describe('bad input', () => {
  it('covers at least 40 cases', () => {
    expect(CASES.length).toBeGreaterThanOrEqual(40);
  });

  for (const c of CASES) {
    it(`${c.name}: exit ${c.exit}, a clear message, nothing changed`, async () => {
      const work = tempDir('bpd-bad-');
      const dest = c.dest ? c.dest(work) : path.join(work, 'dest');
      await c.setup?.(work, dest);
      const before = snapshot(work);
      const r = cli([dest, '--defaults', ...c.args.map((a) => a.replaceAll('$W', work))], { cwd: work });
      const after = snapshot(work);
      try {
        chmodSync(dest, 0o755);
      } catch {
        // not a folder of ours
      }
      expect(r.status, r.stderr).toBe(c.exit);
      expect(r.stderr).toMatch(c.message);
      // One message: a single line, no stack trace.
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
      expect(r.stdout).toBe('');
      expect([...after.entries()]).toEqual([...before.entries()]);
    });
  }
});
