// The merge corpus: realistic hand edits of generated files crossed with answer changes, each pair
// merged (ours) and given to `git merge-file` (git's), and judged for lost lines, wrong merges and
// conflict layout. Shared by scripts/merge-corpus.mjs (prints the table) and
// __tests__/merge-corpus.test.ts (asserts the targets and validates the merged files with real tools).
// The merge function and the generator are passed in, so the test runs the sources and the script
// the build.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { diffArrays } from 'diff';
import yaml from 'js-yaml';

// ---------------------------------------------------------------------------------------------
// Edits: each one a function of the file as generated, failing loudly when its anchor is missing
// (an edit that silently does nothing would make the corpus lie).

function need(text, anchor, edit) {
  const m = typeof anchor === 'string' ? (text.includes(anchor) ? { index: text.indexOf(anchor), 0: anchor } : null) : anchor.exec(text);
  if (!m) throw new Error(`corpus edit "${edit}": anchor ${anchor} not found`);
  return { start: m.index, end: m.index + m[0].length };
}

/** Lines inserted after the line holding `anchor`. */
const after = (anchor, lines) => (t, name) => {
  const { end } = need(t, anchor, name);
  const eol = t.indexOf('\n', end);
  return `${t.slice(0, eol + 1)}${lines.map((l) => `${l}\n`).join('')}${t.slice(eol + 1)}`;
};
/** Lines inserted before the line holding `anchor`. */
const before = (anchor, lines) => (t, name) => {
  const { start } = need(t, anchor, name);
  const bol = t.lastIndexOf('\n', start - 1) + 1;
  return `${t.slice(0, bol)}${lines.map((l) => `${l}\n`).join('')}${t.slice(bol)}`;
};
const replace = (anchor, by) => (t, name) => {
  const { start, end } = need(t, anchor, name);
  return `${t.slice(0, start)}${by}${t.slice(end)}`;
};
/** Removes the whole line holding `anchor`. */
const dropLine = (anchor) => (t, name) => {
  const { start } = need(t, anchor, name);
  const bol = t.lastIndexOf('\n', start - 1) + 1;
  const eol = t.indexOf('\n', start);
  return `${t.slice(0, bol)}${t.slice(eol + 1)}`;
};
/** Removes the lines from the one holding `from` up to, not including, the one holding `to` (a `to` that starts with a newline: the line after it). */
const dropBlock = (from, to) => (t, name) => {
  const a = need(t, from, name);
  const bol = t.lastIndexOf('\n', a.start - 1) + 1;
  const at = a.end + need(t.slice(a.end), to, name).start;
  const end = t[at] === '\n' ? at + 1 : t.lastIndexOf('\n', at - 1) + 1;
  return `${t.slice(0, bol)}${t.slice(end)}`;
};
const prepend = (lines) => (t) => `${lines.map((l) => `${l}\n`).join('')}${t}`;
const append = (lines) => (t) => `${t}${lines.map((l) => `${l}\n`).join('')}`;
/** The whole file saved with Windows line endings (unix2dos). */
const crlf = () => (t) => t.replace(/\n/g, '\r\n');
/** Lines pasted from a Windows editor: the inserted lines end with CRLF, the rest keep LF. */
const pastedCrlf = (anchor, lines) =>
  after(
    anchor,
    lines.map((l) => `${l}\r`),
  );

/** A check of a merged docker-compose.yml: `has` holds for service `name` and for no other (when `name` is still there). */
const onlyIn = (name, has) => (text) => {
  const services = yaml.load(text.replace(/\r\n/g, '\n'))?.services ?? {};
  const holders = Object.keys(services).filter((k) => has(services[k] ?? {}));
  const want = name in services ? [name] : [];
  return JSON.stringify(holders) === JSON.stringify(want) ? [] : [`the edit of ${name} is on ${holders.join(', ') || 'no service'}`];
};

/**
 * The hand edits. `listed` marks the cases the issue names: they must merge without a conflict
 * with every answer change except those in `overlaps`, where the generator rewrites the very lines
 * the person edited among (a real overlap, which must stay a conflict).
 */
export const EDITS = [
  // Windows line endings and pasted blocks.
  { name: 'compose saved with CRLF', file: 'docker-compose.yml', listed: true, apply: crlf() },
  { name: 'nginx.conf saved with CRLF', file: 'nginx/nginx.conf', listed: true, apply: crlf() },
  { name: 'README saved with CRLF', file: 'README.md', listed: true, apply: crlf() },
  { name: 'prometheus.yml saved with CRLF', file: 'prometheus/prometheus.yml', listed: true, apply: crlf() },
  { name: 'bindplane.env saved with CRLF', file: 'bindplane/bindplane.env', listed: true, apply: crlf() },
  {
    name: 'nginx location pasted with CRLF',
    file: 'nginx/nginx.conf',
    listed: true,
    apply: pastedCrlf('client_max_body_size 64m;', ['    location = /robots.txt {', '      return 200 "User-agent: *\\nDisallow: /\\n";', '    }']),
  },
  // Insertions next to lines the answers change.
  { name: 'comment above the nginx.conf header', file: 'nginx/nginx.conf', listed: true, apply: prepend(['# Owned by the platform team (#observability).']) },
  { name: 'comment above the compose header', file: 'docker-compose.yml', listed: true, apply: prepend(['# Owned by the platform team (#observability).']) },
  { name: 'comment above the Makefile header', file: 'Makefile', listed: true, apply: prepend(['# Owned by the platform team (#observability).']) },
  {
    name: 'line below listen',
    file: 'nginx/nginx.conf',
    listed: true,
    apply: after(/^ {4}listen \d+( ssl)?;$/m, ['    keepalive_timeout 75s;']),
    // TLS off replaces `listen 3001 ssl;` and the ssl_ lines below it as one block: the person's line sits inside it.
    overlaps: ['TLS off'],
  },
  {
    name: 'text appended to README',
    file: 'README.md',
    listed: true,
    apply: append(['', '## Our notes', '', 'Ask #observability before changing the instance count.']),
  },
  { name: 'note appended to compose', file: 'docker-compose.yml', listed: true, apply: append(['# Reviewed by ops, 2024-05.']) },
  {
    name: "echo added below make start's URL line",
    file: 'Makefile',
    listed: true,
    apply: after('@echo "Bindplane: ', ['\t@echo "Dashboards: https://grafana.internal/d/bindplane"']),
  },
  // Deletions next to lines the answers change.
  {
    name: 'comment deleted above BINDPLANE_REMOTE_URL',
    file: 'bindplane/bindplane.env',
    listed: true,
    apply: dropLine('# The load balancer, never one instance.'),
  },
  { name: 'comment deleted above postgres command', file: 'docker-compose.yml', listed: true, apply: dropLine('# Sized in steps of 8 processes') },
  {
    name: 'comment deleted above the load balancer service',
    file: 'docker-compose.yml',
    listed: true,
    apply: dropLine('  # The load balancer: the only service that publishes a port.'),
  },
  {
    name: 'transform agent service removed',
    file: 'docker-compose.yml',
    listed: true,
    apply: dropBlock('\n  transform-agent-1:\n', '\n\n'),
    // A new version rewrites the image line of the block the person removed.
    overlaps: ['version'],
  },
  // Ordinary edits.
  {
    name: 'new service',
    file: 'docker-compose.yml',
    apply: before('\n  prometheus:\n', ['', '  whoami:', '    image: traefik/whoami:v1.10', '    restart: unless-stopped', '    networks:', '      - backend']),
  },
  {
    name: 'env var in x-bindplane-env',
    file: 'docker-compose.yml',
    apply: after('  BINDPLANE_POSTGRES_PASSWORD: ', ['  HTTPS_PROXY: http://proxy.internal:3128']),
  },
  { name: 'pinned postgres image tag', file: 'docker-compose.yml', apply: replace(/image: postgres:[^\n]+/, 'image: postgres:16.4-bookworm') },
  {
    name: 'postgres healthcheck retries',
    file: 'docker-compose.yml',
    apply: replace(
      '-d bindplane"]\n      interval: 5s\n      timeout: 5s\n      retries: 12',
      '-d bindplane"]\n      interval: 5s\n      timeout: 5s\n      retries: 20',
    ),
  },
  {
    name: 'port mapping for prometheus',
    file: 'docker-compose.yml',
    apply: after('      - --web.enable-remote-write-receiver', ['    ports:', '      - "127.0.0.1:9090:9090"']),
  },
  // Edits inside one of several near-identical blocks: the person's line must stay in that block
  // when the generator adds or removes its look-alikes (`check` reads the merged file).
  {
    name: 'env var on the last node',
    file: 'docker-compose.yml',
    apply: after(/\n {2}bindplane-3:\n(?:.*\n)*? {6}BINDPLANE_MODE: node/, ['      GOMEMLIMIT: 3GiB']),
    check: onlyIn('bindplane-3', (s) => s.environment?.GOMEMLIMIT === '3GiB'),
    // Fewer instances remove the very block the person edited.
    overlaps: ['instances 3 -> 2'],
  },
  {
    name: 'env var on the second node',
    file: 'docker-compose.yml',
    apply: after(/\n {2}bindplane-2:\n(?:.*\n)*? {6}BINDPLANE_MODE: node/, ['      GOMEMLIMIT: 3GiB']),
    check: onlyIn('bindplane-2', (s) => s.environment?.GOMEMLIMIT === '3GiB'),
  },
  {
    name: 'memory limit on the transform agent',
    file: 'docker-compose.yml',
    // The generated limit (the doctor's 512 MiB per transform agent) raised.
    apply: replace(/(?<=\n {2}transform-agent-1:\n(?:.*\n)*?) {4}mem_limit: \d+m/, '    mem_limit: 1g'),
    check: onlyIn('transform-agent-1', (s) => s.mem_limit === '1g'),
    overlaps: ['transform agents 1 -> 0'],
  },
  { name: 'nginx location', file: 'nginx/nginx.conf', apply: before('    location / {', ['    location /status {', '      return 204;', '    }', '']) },
  { name: 'nginx body size', file: 'nginx/nginx.conf', apply: replace('client_max_body_size 64m;', 'client_max_body_size 256m;') },
  { name: 'nginx header added', file: 'nginx/nginx.conf', apply: after('add_header Referrer-Policy', ['    add_header X-Frame-Options SAMEORIGIN always;']) },
  { name: 'nginx read timeout', file: 'nginx/nginx.conf', apply: replace('proxy_read_timeout 3600s;', 'proxy_read_timeout 7200s;') },
  { name: 'Makefile target', file: 'Makefile', apply: append(['', 'ps-all: ## Every container, stopped ones too', '\t$(COMPOSE) ps --all']) },
  { name: 'Makefile COMPOSE variable', file: 'Makefile', apply: replace('COMPOSE ?= docker compose', 'COMPOSE ?= docker compose --progress plain') },
  {
    name: 'scrape job',
    file: 'prometheus/prometheus.yml',
    apply: append(['  - job_name: node', '    static_configs:', '      - targets:', '          - node-exporter:9100']),
  },
  { name: 'scrape interval', file: 'prometheus/prometheus.yml', apply: replace('scrape_interval: 1m', 'scrape_interval: 30s') },
  {
    name: 'comment above the prometheus.yml header',
    file: 'prometheus/prometheus.yml',
    listed: true,
    apply: prepend(['# Scraped by the central Prometheus too.']),
  },
  {
    name: 'recording rule group',
    file: 'prometheus/rules/bindplane.yml',
    apply: append(['  - name: ours', '    rules:', '      - record: up:sum', '        expr: sum(up)']),
  },
  { name: 'README section', file: 'README.md', apply: before('## Commands', ['## Contacts', '', 'Ops on call: #observability.', '']) },
  { name: 'README step added', file: 'README.md', apply: after('2. `make start`', ['   On a laptop, give Docker at least 8 GB of memory.']) },
  { name: 'README topology removed', file: 'README.md', apply: dropBlock('## Topology', '## What is here') },
  { name: 'env var in bindplane.env', file: 'bindplane/bindplane.env', apply: append(['BINDPLANE_LOGGING_LEVEL=debug']) },
  { name: 'bindplane.env value', file: 'bindplane/bindplane.env', apply: replace('BINDPLANE_LOGGING_OUTPUT=stdout', 'BINDPLANE_LOGGING_OUTPUT=file') },
  { name: '.gitignore entry', file: '.gitignore', apply: append(['/notes/']) },
];

/** Answer changes: from one answer set to another (defaults fill the rest). */
export const CHANGES = [
  { name: 'instances 3 -> 5', from: {}, to: { instances: 5 } },
  { name: 'instances 3 -> 2', from: {}, to: { instances: 2 } },
  { name: 'instances 3 -> 12', from: {}, to: { instances: 12 } },
  { name: 'event bus nats -> kafka', from: {}, to: { eventBus: 'kafka' } },
  { name: 'event bus nats -> pubsub', from: {}, to: { eventBus: 'pubsub', pubsubProjectId: 'demo-project' } },
  { name: 'TLS on', from: {}, to: { tls: 'selfSigned' } },
  { name: 'TLS off', from: { tls: 'selfSigned' }, to: { tls: 'none' } },
  { name: 'transform agents 1 -> 3', from: {}, to: { transformAgents: 3 } },
  { name: 'transform agents 1 -> 0', from: {}, to: { transformAgents: 0 } },
  { name: 'demo agents 0 -> 2', from: {}, to: { demoAgents: 2 } },
  { name: 'version', from: {}, to: { bindplaneVersion: '1.104.2' } },
  { name: 'port', from: {}, to: { httpPort: 8443 } },
  { name: 'project name', from: {}, to: { projectName: 'acme-obs' } },
];

// ---------------------------------------------------------------------------------------------
// Judging a merge. Lines are compared without their ending (\r), except where a line's own ending is
// what is being checked. "Added", "deleted" and "kept" come from a two-way diff of each side against
// the base (jsdiff's Myers diff, not the merge's own diff).

const splitLines = (text) => {
  const lines = text.split('\n');
  if (lines.at(-1) === '') lines.pop();
  return lines;
};
const norm = (l) => (l.endsWith('\r') ? l.slice(0, -1) : l);

/** For one side against the base: which base lines it keeps, and per line of the side whether it is the base's. */
function alignment(base, side) {
  const keptBase = new Array(base.length).fill(false);
  const fromBase = new Array(side.length).fill(-1);
  let i = 0;
  let j = 0;
  for (const part of diffArrays(base.map(norm), side.map(norm))) {
    const n = part.count ?? part.value.length;
    if (part.added) j += n;
    else if (part.removed) i += n;
    else
      for (let k = 0; k < n; k++, i++, j++) {
        keptBase[i] = true;
        fromBase[j] = i;
      }
  }
  return { keptBase, fromBase };
}

const count = (lines) => {
  const m = new Map();
  for (const l of lines) m.set(l, (m.get(l) ?? 0) + 1);
  return m;
};

function isSubsequence(sub, seq) {
  let i = 0;
  for (const l of seq) if (i < sub.length && l === sub[i]) i++;
  return i === sub.length;
}

/** Splits a merged text into its conflict blocks and the rest; throws on a malformed block. */
export function conflictBlocks(text, markers) {
  const lines = splitLines(text);
  const outside = [];
  const blocks = [];
  let cur = null;
  for (const raw of lines) {
    const l = norm(raw);
    if (l === markers.ours) {
      if (cur) throw new Error('nested conflict marker');
      cur = { yours: [], theirs: [], state: 'yours', at: outside.length };
    } else if (cur && l === markers.sep && cur.state === 'yours') cur.state = 'theirs';
    else if (cur && l === markers.theirs && cur.state === 'theirs') {
      blocks.push(cur);
      cur = null;
    } else if (cur) cur[cur.state].push(raw);
    else outside.push(raw);
  }
  if (cur) throw new Error('unterminated conflict block');
  return { outside, blocks };
}

/** The text with one side taken in every conflict block. */
export function takeSide(text, markers, side) {
  const { outside, blocks } = conflictBlocks(text, markers);
  const out = [];
  let k = 0;
  for (const b of blocks) {
    out.push(...outside.slice(k, b.at), ...b[side]);
    k = b.at;
  }
  out.push(...outside.slice(k));
  return out;
}

/**
 * Judges one merge of `yours` and `theirs` (both derived from `base`) into `result`.
 * - lost: a line the person added is missing from the result (inside conflict blocks counts as
 *   present), or a line the person deleted is back outside the blocks.
 * - wrong (clean results only): the result must be exactly the person's lines and the generator's
 *   merged in one order: (1) the person's file without the base lines the generator removed is a
 *   subsequence of the result, each line with the person's own ending; (2) the generator's render
 *   without the base lines the person removed is a subsequence of the result; (3) every line occurs
 *   exactly as often as in (1) plus (2) less the base lines both kept, so nothing is added twice or
 *   invented; (4) a file the person saved all in CRLF stays all CRLF. (1) to (3) leave blank lines
 *   out: which of two equal blank lines a side removed or changed is a diff's arbitrary choice.
 *   Some edits add a check of their own (`check`: the edited service still holds the edit).
 * - layout (conflicted results only): taking one side in every block must give that side's text
 *   with only the other side's clean changes applied: what it drops from that side are lines the
 *   other side deleted, what it adds are lines the other side added.
 */
export function judge({ yours, base, theirs, result, markers }) {
  const Y = splitLines(yours);
  const B = splitLines(base);
  const T = splitLines(theirs);
  const ay = alignment(B, Y);
  const at = alignment(B, T);
  const added = (side, a) => side.filter((_, j) => a.fromBase[j] < 0).map(norm);
  const deleted = (a) => B.filter((_, i) => !a.keptBase[i]).map(norm);
  const yAdded = count(added(Y, ay));
  const yDeleted = count(deleted(ay));
  const tAdded = count(added(T, at));
  const tDeleted = count(deleted(at));
  const problems = { lost: [], wrong: [], layout: [] };

  const { outside, blocks } = conflictBlocks(result, markers);
  const all = count([...outside, ...blocks.flatMap((b) => [...b.yours, ...b.theirs])].map(norm));
  const out = count(outside.map(norm));
  const cy = count(Y.map(norm));
  for (const [l, n] of yAdded) if ((all.get(l) ?? 0) < n) problems.lost.push(`added line missing: ${JSON.stringify(l)}`);
  for (const [l] of yDeleted) if ((out.get(l) ?? 0) > (cy.get(l) ?? 0) + (tAdded.get(l) ?? 0)) problems.lost.push(`deleted line back: ${JSON.stringify(l)}`);

  if (blocks.length === 0) {
    const R = splitLines(result);
    const sy = Y.filter((_, j) => ay.fromBase[j] < 0 || at.keptBase[ay.fromBase[j]]);
    const st = T.filter((_, j) => at.fromBase[j] < 0 || ay.keptBase[at.fromBase[j]]).map(norm);
    // Blank lines are neither ordered nor counted: which of two equal blank lines a side removed or
    // changed is the diff's arbitrary choice, and the merge may read it the other way.
    const filled = (lines) => lines.filter((l) => norm(l).trim() !== '');
    if (!isSubsequence(filled(sy), filled(R))) problems.wrong.push("the person's lines are not all there in their order (with their endings)");
    if (!isSubsequence(filled(st), filled(R.map(norm)))) problems.wrong.push("the generator's lines are not all there in their order");
    const expect = count([...sy.map(norm), ...st]);
    for (const [i, l] of B.entries()) if (ay.keptBase[i] && at.keptBase[i]) expect.set(norm(l), expect.get(norm(l)) - 1);
    const got = count(R.map(norm));
    for (const l of new Set([...expect.keys(), ...got.keys()].filter((x) => x.trim() !== ''))) {
      if ((expect.get(l) ?? 0) !== (got.get(l) ?? 0)) problems.wrong.push(`${JSON.stringify(l)}: ${got.get(l) ?? 0} times, expected ${expect.get(l) ?? 0}`);
    }
    if (Y.length > 0 && Y.every((l) => l.endsWith('\r')) && !R.every((l) => l.endsWith('\r'))) problems.wrong.push('a CRLF file got LF lines');
  } else {
    // The person's side with its own endings; the generator's in the person's endings, so without them.
    for (const [side, own, other, ending] of [
      ['yours', Y, { added: tAdded, deleted: tDeleted }, (l) => l],
      ['theirs', T, { added: yAdded, deleted: yDeleted }, norm],
    ]) {
      const taken = takeSide(result, markers, side).map(ending);
      for (const part of diffArrays(own.map(ending), taken)) {
        if (!part.added && !part.removed) continue;
        const allowed = part.added ? other.added : other.deleted;
        for (const l of part.value) {
          if (!allowed.has(norm(l))) problems.layout.push(`taking ${side} everywhere ${part.added ? 'adds' : 'drops'} ${JSON.stringify(l)}`);
        }
      }
    }
  }
  return problems;
}

// ---------------------------------------------------------------------------------------------
// git merge-file on the same three files.

export function gitMergeFile(yours, base, theirs) {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'bpd-git-merge-'));
  try {
    const files = ['yours', 'base', 'theirs'].map((n) => path.join(dir, n));
    writeFileSync(files[0], yours);
    writeFileSync(files[1], base);
    writeFileSync(files[2], theirs);
    const r = spawnSync('git', ['merge-file', '-p', '-q', ...files], { encoding: 'utf8' });
    if (r.error) throw r.error;
    if (r.status === null || r.status > 127) throw new Error(`git merge-file failed: ${r.stderr}`);
    return { text: r.stdout, conflicts: r.status };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

// ---------------------------------------------------------------------------------------------
// Running the corpus.

const key = (answers) => JSON.stringify(Object.entries(answers).sort());

/**
 * Renders every answer set once (with `generate`, into a temporary folder each) and merges every
 * pair whose file the answer change touches. Returns the pairs and the rendered folders (the test
 * validates merged files in them); the caller removes `root`.
 * @param {{ generate: (dir: string, answers: object) => Promise<{ exitCode: number }>, merge: (yours: string, base: string, theirs: string) => { text: string, conflicts: number }, markers: object }} deps
 */
export async function runCorpus({ generate, merge, markers }) {
  const root = mkdtempSync(path.join(os.tmpdir(), 'bpd-corpus-'));
  const renders = new Map();
  const render = async (answers) => {
    const k = key(answers);
    if (!renders.has(k)) {
      const dir = path.join(root, `set-${renders.size}`);
      const r = await generate(dir, answers);
      if (r.exitCode !== 0) throw new Error(`generation of ${k} failed`);
      renders.set(k, dir);
    }
    return renders.get(k);
  };
  const read = (dir, f) => readFileSync(path.join(dir, f), 'utf8');
  const pairs = [];
  for (const change of CHANGES) {
    const fromDir = await render(change.from);
    const toDir = await render({ ...change.from, ...change.to });
    for (const edit of EDITS) {
      const base = read(fromDir, edit.file);
      const theirs = read(toDir, edit.file);
      const yours = edit.apply(base, edit.name);
      if (yours === base) throw new Error(`corpus edit "${edit.name}" changed nothing`);
      if (base === theirs) continue; // the change does not touch the file: nothing to merge
      const ours = merge(yours, base, theirs);
      const git = gitMergeFile(yours, base, theirs);
      const verdict = judge({ yours, base, theirs, result: ours.text, markers });
      if (edit.check && ours.conflicts === 0) verdict.wrong.push(...edit.check(ours.text));
      pairs.push({ edit, change, yours, base, theirs, ours, git, verdict, dir: toDir });
    }
  }
  return { root, pairs };
}

/** A pair of the issue's listed cases, which must merge cleanly. */
export const isListed = (p) => !!p.edit.listed && !isOverlap(p);
/** A pair where edit and change really overlap, which must conflict. */
export const isOverlap = (p) => (p.edit.overlaps ?? []).includes(p.change.name);

/** The figures of a corpus run. */
export function summarize(pairs) {
  const ours = (p) => p.ours.conflicts > 0;
  const git = (p) => p.git.conflicts > 0;
  return {
    pairs: pairs.length,
    lost: pairs.filter((p) => p.verdict.lost.length > 0).length,
    wrong: pairs.filter((p) => p.verdict.wrong.length > 0).length,
    badLayout: pairs.filter((p) => p.verdict.layout.length > 0).length,
    conflicts: pairs.filter(ours).length,
    gitConflicts: pairs.filter(git).length,
    gitOnly: pairs.filter((p) => git(p) && !ours(p)).length,
    oursOnly: pairs.filter((p) => ours(p) && !git(p)).length,
    listedConflicts: pairs.filter((p) => isListed(p) && ours(p)).length,
    overlapsMerged: pairs.filter((p) => isOverlap(p) && !ours(p)).length,
  };
}

export function formatTable(s, kinds) {
  const rows = [
    ['pairs (edit x answer change that touches the file)', s.pairs],
    ['lost lines (pairs)', s.lost],
    ['wrong merges', s.wrong],
    ['conflicts laid out wrong', s.badLayout],
    ['conflicts (ours)', s.conflicts],
    ['conflicts (git merge-file)', s.gitConflicts],
    ['conflicts git has and we do not', s.gitOnly],
    ['conflicts we have and git does not', s.oursOnly],
    ["conflicts in the issue's listed cases", s.listedConflicts],
    ['real overlaps merged without a conflict', s.overlapsMerged],
  ];
  const w = Math.max(...rows.map((r) => r[0].length));
  return [
    `${kinds.edits} kinds of hand edit x ${kinds.changes} answer changes`,
    '',
    `| ${'what'.padEnd(w)} | count |`,
    `|${'-'.repeat(w + 2)}|-------|`,
    ...rows.map(([k, v]) => `| ${k.padEnd(w)} | ${String(v).padStart(5)} |`),
  ].join('\n');
}
