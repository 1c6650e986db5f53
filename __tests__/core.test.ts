// The framework-free core, tested directly: answers, model, render, merge, secrets, schema.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { Ajv2020 } from 'ajv/dist/2020.js';
import fc from 'fast-check';
import * as jsyaml from 'js-yaml';
import { describe, expect, it } from 'vitest';
import { answersJsonSchema } from '../src/answers/json-schema.js';
import type { Layer } from '../src/answers/layers.js';
import { resolveAnswers } from '../src/answers/resolve.js';
import { ANSWERS, type Answers } from '../src/answers/schema.js';
import { parseAnswers } from '../src/edges/answers-file.js';
import { InputError } from '../src/errors.js';
import { buildModel } from '../src/model/index.js';
import { renderFiles } from '../src/render/index.js';
import { envKeys, mergeEnv, randomToken } from '../src/update/envfile.js';
import { hasConflictMarkers, mergeThreeWay } from '../src/update/merge.js';
import { parseBases, serializeBases } from '../src/update/record.js';
import { ROOT } from './helpers/stack.js';

const layer = (source: Layer['source'], values: Record<string, unknown>): Layer => ({ source, values, baseDir: '/tmp' });
const resolve = (...layers: Layer[]) => resolveAnswers(layers, { dest: '/tmp/dest' });
const answers = (values: Record<string, unknown> = {}) => resolve(layer('library', values)).answers;

describe('answers', () => {
  it('combines flags over the answers file over stored answers over defaults', () => {
    const r = resolve(
      layer('flag', { instances: '5' }),
      layer('answers file', { instances: '4', eventBus: 'nats' }),
      layer('.yo-rc.json', { instances: 2, eventBus: 'kafka', httpPort: 8080 }),
    );
    expect(r.answers).toMatchObject({ instances: 5, eventBus: 'nats', httpPort: 8080, projectName: 'dest' });
  });

  it('derives remoteUrl from httpPort and tls, and stores it only when given', () => {
    expect(answers({ httpPort: '8443', tls: 'selfSigned' }).remoteUrl).toBe('https://localhost:8443');
    expect(resolve(layer('flag', { httpPort: '8443' })).stored.remoteUrl).toBeUndefined();
    const given = resolve(layer('flag', { remoteUrl: 'http://bindplane.example.com:3001/' }));
    expect(given.answers.remoteUrl).toBe('http://bindplane.example.com:3001');
    expect(given.stored.remoteUrl).toBe('http://bindplane.example.com:3001');
  });

  it('keeps versions as strings, as written', () => {
    const values = parseAnswers('bindplaneVersion: 1.100.0\npostgresVersion: 16.10\ninstances: 3\n', 'a.yml', jsyaml);
    expect(values).toEqual({ bindplaneVersion: '1.100.0', postgresVersion: '16.10', instances: '3' });
    const a = answers(values);
    expect(a.postgresVersion).toBe('16.10');
    expect(a.bindplaneVersion).toBe('1.100.0');
    expect(parseAnswers('{"postgresVersion": 16.10}', 'a.json', jsyaml)).toEqual({ postgresVersion: '16.10' });
    // A quoted "null" is text; a bare null is no value.
    expect(parseAnswers('projectName: "null"\neventBus: null\ndemoAgents: ~\n', 'a.yml', jsyaml)).toEqual({
      projectName: 'null',
      eventBus: null,
      demoAgents: null,
    });
  });

  it('an empty value is wrong, not missing', () => {
    expect(() => resolve(layer('flag', { projectName: '' }))).toThrow(/--project-name: is empty/);
  });

  it('reports missing required answers by name instead of guessing', () => {
    const r = resolve(layer('flag', { eventBus: 'pubsub', tls: 'provided' }));
    expect(r.missing).toEqual(['pubsubProjectId', 'tlsCertFile', 'tlsKeyFile']);
  });

  it('stores answers that do not apply only when given', () => {
    expect(resolve(layer('flag', { eventBus: 'nats' })).stored).not.toHaveProperty('kafkaTopic');
    expect(resolve(layer('flag', { eventBus: 'nats', kafkaTopic: 'x' })).stored).toHaveProperty('kafkaTopic', 'x');
  });
});

describe('the published JSON Schema agrees with the validator', () => {
  const schema = JSON.parse(readFileSync(path.join(ROOT, 'answers.schema.json'), 'utf8'));
  const validate = new Ajv2020({ strict: false }).compile(schema);

  it('is the schema the code builds', () => {
    expect(schema).toEqual(answersJsonSchema());
  });

  it('accepts and rejects the same single answers (property)', () => {
    const valueArb = fc.oneof(
      fc.integer({ min: -5, max: 70_000 }),
      fc.constantFrom(
        'kafka',
        'nats',
        'pubsub',
        'NATS',
        'none',
        'selfSigned',
        'provided',
        '1.96.3',
        'latest',
        '15d',
        '16',
        '9',
        'bindplane',
        'Bad',
        'a b',
        'https://x.example.com',
        'ftp://x',
        '3',
        '3.5',
        '',
      ),
      fc.string({ maxLength: 12 }),
    );
    const names = ANSWERS.filter((a) => a.kind.type !== 'file').map((a) => a.name);
    fc.assert(
      fc.property(fc.constantFrom(...names), valueArb, (name, value) => {
        let ours = true;
        try {
          // remoteUrl against tls is a cross-field rule the schema does not know: keep tls consistent.
          const extra = name === 'remoteUrl' && String(value).startsWith('https') ? { tls: 'selfSigned' } : {};
          resolve(layer('answers file', { ...extra, [name]: typeof value === 'number' ? value : value }));
        } catch (e) {
          if (!(e instanceof InputError)) throw e;
          ours = false;
        }
        const theirs = validate({ [name]: value }) as boolean;
        // Never looser than the generator...
        if (theirs) expect({ name, value, ours }).toEqual({ name, value, ours: true });
        // ...and exactly the generator for values of the schema's own types.
        const kind = ANSWERS.find((a) => a.name === name)!.kind.type;
        const ownType = kind === 'int' ? Number.isInteger(value) : kind === 'intEnum' ? true : typeof value === 'string';
        if (ownType) expect({ name, value, ours }).toEqual({ name, value, ours: theirs });
      }),
      { numRuns: 600 },
    );
  });
});

describe('model', () => {
  // The Compose slice of the model, on that platform.
  const composeOf = (a: Partial<Answers>) => buildModel(answers(a)).compose!;

  it('runs one jobs instance and N nodes; 3 NATS servers in the first processes, every process a client of their alias', () => {
    const m = composeOf({ instances: 5, eventBus: 'nats' });
    expect(m.nodes.map((n) => n.name)).toEqual(['bindplane-1', 'bindplane-2', 'bindplane-3', 'bindplane-4', 'bindplane-5']);
    expect(m.jobs).toMatchObject({ name: 'bindplane-jobs', mode: 'all' });
    if (m.eventBus.type !== 'nats') throw new Error('not nats');
    expect(m.eventBus.servers).toEqual(['bindplane-jobs', 'bindplane-1', 'bindplane-2']);
    const routes = m.eventBus.serverEnv.find((e) => e.key === 'BINDPLANE_NATS_SERVER_CLUSTER_ROUTES')!.value.split(',');
    expect(routes).toEqual(['nats://bindplane-jobs:6222', 'nats://bindplane-1:6222', 'nats://bindplane-2:6222']);
    for (const b of m.bindplanes) {
      expect(b.env).toContainEqual({ key: 'BINDPLANE_NATS_CLIENT_NAME', value: b.name });
      expect(b.natsServer ?? false, b.name).toBe(m.eventBus.servers.includes(b.name));
      expect(
        b.env.some((e) => e.key === 'BINDPLANE_NATS_SERVER_NAME'),
        b.name,
      ).toBe(m.eventBus.servers.includes(b.name));
    }
    expect(m.bindplaneEnv.find((e) => e.key === 'BINDPLANE_NATS_CLIENT_ENDPOINT')?.value).toBe('nats://nats:4222');
    expect(m.bindplaneEnv.some((e) => e.key.startsWith('BINDPLANE_NATS_SERVER_'))).toBe(false);
    // The servers and routes do not change with the instance count; fewer servers only with fewer processes.
    const big = composeOf({ instances: 64, eventBus: 'nats' });
    expect(big.eventBus).toMatchObject({ servers: m.eventBus.servers, routes: m.eventBus.routes });
    expect(composeOf({ instances: 1, eventBus: 'nats' }).eventBus).toMatchObject({ servers: ['bindplane-jobs', 'bindplane-1'] });
  });

  it('points Bindplane and the agents at the load balancer, never at one instance', () => {
    const a = { demoAgents: 2, tls: 'selfSigned', httpPort: 8443 } as const;
    expect(buildModel(answers(a)).remoteUrl).toBe('https://localhost:8443');
    const m = composeOf(a);
    expect(m.demoAgent.endpoint).toBe('wss://loadbalancer:8443/v1/opamp');
    expect(m.demoAgent.skipTlsVerify).toBe(true);
    expect(composeOf({ demoAgents: 1 }).demoAgent.skipTlsVerify).toBe(false);
    expect(m.dependsOn.loadbalancer).toEqual([{ service: 'bindplane-jobs', condition: 'service_healthy' }]);
    expect(m.dependsOn['bindplane-1']).toContainEqual({ service: 'bindplane-jobs', condition: 'service_healthy' });
  });

  it("keeps the certificate's common name within 64 characters", () => {
    // Over 64 characters in labels of at most 63, as DNS allows.
    const host = `${'a'.repeat(40)}.${'b'.repeat(30)}.example.com`;
    const m = buildModel(answers({ tls: 'selfSigned', remoteUrl: `https://${host}` }));
    expect(m.tlsCert.commonName).toBe('localhost');
    expect(m.tlsCert.subjectAltNames).toContain(`DNS:${host}`);
  });

  it('sizes PostgreSQL for every pool', () => {
    const m = composeOf({ instances: 64, postgresMaxConnections: 50 });
    // 65 processes, sized in steps of 8: room for 72.
    expect(m.postgres.serverMaxConnections).toBe(72 * 50 + 20);
    // Within a step the setting (and so the PostgreSQL container) stays as it is.
    const sizes = [1, 3, 5, 7].map((instances) => composeOf({ instances }).postgres.serverMaxConnections);
    expect(new Set(sizes)).toEqual(new Set([8 * 100 + 20]));
    expect(composeOf({ instances: 8 }).postgres.serverMaxConnections).toBe(16 * 100 + 20);
    expect(composeOf({ postgresVersion: '18' }).postgres.dataPath).toBe('/var/lib/postgresql');
  });

  it('wires 3 KRaft brokers as voters with replication 3', () => {
    const m = composeOf({ eventBus: 'kafka', kafkaBrokers: 3 });
    expect(m.eventBus).toMatchObject({
      type: 'kafka',
      bootstrap: 'kafka-1:9092,kafka-2:9092,kafka-3:9092',
      voters: '1@kafka-1:9093,2@kafka-2:9093,3@kafka-3:9093',
      replication: 3,
      minIsr: 2,
    });
  });
});

describe('render', () => {
  it('is deterministic and pure', () => {
    const a = answers({ instances: 4, eventBus: 'kafka', kafkaBrokers: 3, demoAgents: 2 });
    expect(renderFiles(buildModel(a))).toEqual(renderFiles(buildModel(a)));
  });

  it('fails loudly when a template prints a value the model lacks', () => {
    const m = buildModel(answers());
    delete (m as Partial<typeof m>).localDir;
    expect(() => renderFiles(m)).toThrow(/gitignore.ejs: a value is missing/);
  });

  it('draws the README diagram from the answers', () => {
    const readme = (a: Partial<Answers>) => renderFiles(buildModel(answers(a))).find((f) => f.path === 'README.md')!.content;
    const small = readme({ instances: 3, eventBus: 'nats', transformAgents: 2, demoAgents: 1 });
    for (const n of [1, 2, 3]) expect(small).toContain(`lb --> bindplane_${n}["bindplane-${n}"]`);
    expect(small).not.toContain('bindplane_4');
    expect(small).toContain('bus{{"NATS (3 servers)"}}');
    expect(small).toContain('transform_agent_2["transform-agent-2"]');
    expect(small).toContain('demo["1 demo agent"] -->|OpAMP| lb');
    const big = readme({ instances: 40, eventBus: 'kafka' });
    expect(big).toContain('lb --> more["… 37 more"]');
    expect(big).toContain('lb --> bindplane_40["bindplane-40"]');
    expect(big).toContain('bus{{"Kafka"}}');
  });

  it('writes the TLS script only when the certificate is self-signed', () => {
    const paths = (a: Partial<Answers>) => renderFiles(buildModel(answers(a))).map((f) => f.path);
    expect(paths({ tls: 'selfSigned' })).toContain('scripts/tls-self-signed.sh');
    expect(paths({ tls: 'none' })).not.toContain('scripts/tls-self-signed.sh');
  });
});

describe('three-way merge', () => {
  const base = 'a\nb\nc\nd\ne\n';
  it('merges changes that do not overlap', () => {
    const r = mergeThreeWay('a\nB\nc\nd\ne\n', base, 'a\nb\nc\nd\nE\n');
    expect(r).toEqual({ text: 'a\nB\nc\nd\nE\n', conflicts: 0 });
  });
  it('marks overlapping changes with labelled markers', () => {
    const r = mergeThreeWay('a\nX\nc\nd\ne\n', base, 'a\nY\nc\nd\ne\n');
    expect(r.conflicts).toBe(1);
    expect(r.text).toBe('a\n<<<<<<< yours (the file as you edited it)\nX\n=======\nY\n>>>>>>> generator (the new render)\nc\nd\ne\n');
    expect(hasConflictMarkers(r.text)).toBe(true);
    expect(hasConflictMarkers(base)).toBe(false);
  });
  it('takes the same change on both sides once', () => {
    expect(mergeThreeWay('a\nZ\nc\nd\ne\n', base, 'a\nZ\nc\nd\ne\n')).toEqual({ text: 'a\nZ\nc\nd\ne\n', conflicts: 0 });
  });
});

describe('base.txt', () => {
  it('round-trips any text, final newline or not, and stays plain lines', () => {
    fc.assert(
      fc.property(
        fc.dictionary(
          fc.array(fc.stringMatching(/^[a-z][a-z._-]{0,8}$/), { minLength: 1, maxLength: 3 }).map((parts) => parts.join('/')),
          fc.string({ unit: 'grapheme', maxLength: 200 }),
        ),
        (files) => {
          const bases = new Map(Object.entries(files));
          expect(parseBases(serializeBases(bases))).toEqual(bases);
        },
      ),
      { numRuns: 300 },
    );
    const text = serializeBases(
      new Map([
        ['a', 'x\n@@@ "b" 1 line\ny\n'],
        ['b', 'no newline'],
      ]),
    );
    expect(text).toContain('@@@ "a" 3 lines\nx\n@@@ "b" 1 line\ny\n@@@ "b" 1 line, no final newline\nno newline\n');
    expect(parseBases(text).get('a')).toBe('x\n@@@ "b" 1 line\ny\n');
  });
});

describe('secrets', () => {
  const secrets = buildModel(answers()).secrets;
  it('are distinct, from the safe alphabet, and never replace a value', () => {
    const first = mergeEnv(undefined, secrets, 'p');
    expect(first.added).toEqual(secrets.map((s) => s.key));
    const values = first.text
      .split('\n')
      .filter((l) => /^[A-Z_]+=/.test(l))
      .map((l) => l.split('=')[1]!);
    expect(new Set(values).size).toBe(values.length);
    for (const v of values) expect(v).toMatch(/^[A-Za-z0-9_-]{16,}$/);
    const again = mergeEnv(first.text, secrets, 'p');
    expect(again).toEqual({ text: first.text, added: [] });
    const edited = mergeEnv(first.text.replace(/^POSTGRES_PASSWORD=.*$/m, 'X=1'), secrets, 'p');
    expect(edited.added).toEqual(['POSTGRES_PASSWORD']);
    expect(envKeys(edited.text)).toContain('X');
  });
  it('random tokens use letters and digits only', () => {
    const t = randomToken(4000);
    expect(t).toMatch(/^[A-Za-z0-9]{4000}$/);
    // Every character of the alphabet turns up in a long token: no bias toward a subset.
    expect(new Set(t).size).toBe(62);
  });
});
