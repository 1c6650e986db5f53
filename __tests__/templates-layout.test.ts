// Templates only lay out (issue 21): every decision is the model's. A template may loop over a
// model list, choose a whole block on a model field, name a model field, alias one, and include a
// shared snippet; nothing else. So no comparison, no operator, no ternary, no call, no arithmetic
// and no string building in a template: the model hands it booleans, lists and words.
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = path.resolve(import.meta.dirname, '..');
const TEMPLATES = path.join(ROOT, 'templates');
/** The most blocks one template may choose: README.md (the notes of each bus and agent kind) needs 12. */
export const MAX_IFS = 12;
/** A commit whose templates still made decisions (the baseline of same-output.test.ts). */
const DECIDING_TEMPLATES = 'ea29cdc';

/** A model field: m.lb.port, k.names.jobs, m.dependsOn[b.name]. */
const PATH = String.raw`[A-Za-z_$][\w$]*(?:\.[A-Za-z_$][\w$]*|\[[A-Za-z_$][\w$]*(?:\.[A-Za-z_$][\w$]*)*\])*`;
const whole = (re: string) => new RegExp(`^${re}$`);
const SCRIPTLETS = [
  whole(String.raw`if \(${PATH}\) \{`),
  whole(String.raw`\} else if \(${PATH}\) \{`),
  whole(String.raw`\} else \{`),
  whole(String.raw`\}`),
  whole(String.raw`for \(const \w+ of ${PATH}\) \{`),
  // Aliases of a model field, so a Kubernetes template can say k for m.kubernetes.
  whole(String.raw`(?:const \w+ = ${PATH};\s*)+`),
];
const OUTPUT = whole(PATH);
const INCLUDE = /^include\('([\w/-]+)'\)$/;

/** What in one template is not layout; empty when it only lays out. */
export function layoutProblems(name: string, source: string, exists: (template: string) => boolean): string[] {
  const problems: string[] = [];
  let ifs = 0;
  for (const [, kind, body] of source.matchAll(/<%([_=#-]?)([\s\S]*?)[_-]?%>/g)) {
    const code = body!.trim();
    if (kind === '#') continue;
    if (kind === '=' || kind === '-') {
      const include = INCLUDE.exec(code);
      if (include) {
        if (!exists(include[1]!)) problems.push(`${name}: includes ${include[1]}, which is no template`);
      } else if (!OUTPUT.test(code)) problems.push(`${name}: prints more than a model field: <%${kind} ${code} %>`);
      continue;
    }
    if (!SCRIPTLETS.some((re) => re.test(code))) problems.push(`${name}: decides instead of laying out: <% ${code} %>`);
    if (/^(\} else )?if \(/.test(code)) ifs++;
  }
  if (ifs > MAX_IFS) problems.push(`${name}: ${ifs} ifs, more than ${MAX_IFS}`);
  return problems;
}

function templateNames(): string[] {
  return readdirSync(TEMPLATES, { recursive: true })
    .map((f) => String(f).split(path.sep).join('/'))
    .filter((f) => f.endsWith('.ejs'))
    .map((f) => f.replace(/\.ejs$/, ''))
    .sort();
}

const exists = (names: string[]) => (template: string) => names.includes(template);

describe('templates only lay out', () => {
  it('every template holds only loops, blocks chosen on a model field, model fields and includes', () => {
    const names = templateNames();
    expect(names.length).toBeGreaterThan(20);
    const problems = names.flatMap((n) => layoutProblems(n, readFileSync(path.join(TEMPLATES, `${n}.ejs`), 'utf8'), exists(names)));
    expect(problems).toEqual([]);
  });

  it('each shared snippet is included by a template of each platform', () => {
    const names = templateNames();
    const sources = names.map((n) => readFileSync(path.join(TEMPLATES, `${n}.ejs`), 'utf8'));
    for (const partial of names.filter((n) => n.startsWith('partials/'))) {
      const includers = names.filter((_, i) => sources[i]!.includes(`include('${partial}')`));
      expect(
        includers.some((n) => n.startsWith('kubernetes/')),
        `${partial} on Kubernetes`,
      ).toBe(true);
      expect(
        includers.some((n) => !n.startsWith('kubernetes/')),
        `${partial} on Compose`,
      ).toBe(true);
    }
  });

  it('finds each kind of decision in a synthetic template', () => {
    const bad = [
      "<% if (m.lb.tls === 'none') { -%>",
      '<% if (!k.postgres.external) { -%>',
      '<% if (m.firstStart.enabled && m.demoAgents.count > 0) { -%>',
      "<%- m.nodes.length === 1 ? '' : 's' %>",
      "<%- m.ops.rotatable.join(' ') %>",
      '<%- m.instances + 2 %>',
      '<%- `${m.project}-data` %>',
      "<% for (const n of [...m.diagram.nodes, { id: 'jobs' }]) { -%>",
      "<% const k = m.kubernetes; const word = k.replicas === 1 ? '' : 's'; -%>",
      "<%- include('partials/nowhere') -%>",
    ];
    const problems = layoutProblems('bad', bad.join('\n'), () => false);
    expect(problems).toHaveLength(bad.length);
    const good =
      "<% const k = m.kubernetes; -%>\n<% if (k.own.postgres) { -%>\n<%- m.dependsOn[b.name] %>\n<% } else { -%>\n<%- include('partials/x') -%>\n<% } -%>";
    expect(layoutProblems('good', good, () => true)).toEqual([]);
    const ifs = Array.from({ length: MAX_IFS + 1 }, () => '<% if (m.tls.on) { -%>\n<% } -%>').join('\n');
    expect(layoutProblems('many', ifs, () => true)).toEqual([`many: ${MAX_IFS + 1} ifs, more than ${MAX_IFS}`]);
  });

  it('would have failed on the templates before the model made their decisions', () => {
    const old = (file: string) => execFileSync('git', ['show', `${DECIDING_TEMPLATES}:templates/${file}`], { cwd: ROOT, encoding: 'utf8' });
    for (const file of ['README.md', 'Makefile', 'nginx.conf', 'kubernetes/kube.sh', 'kubernetes/README.md'])
      expect(layoutProblems(file, old(`${file}.ejs`), () => true).length, file).toBeGreaterThan(0);
  });
});
