// The one merge of answer layers (answers/layers.ts) that resolving, the questions, the flow and
// its summary share: priority, typing, where each value came from, and every problem at once.
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { mergedValues, mergeLayers, withStored, type Layer } from '../src/answers/layers.js';
import { openQuestions, pendingQuestions } from '../src/answers/questions.js';

const dest = '/tmp/stack';
const flags = (values: Record<string, unknown>): Layer => ({ source: 'flag', values, baseDir: '/home/me' });
const file = (values: Record<string, unknown>): Layer => ({ source: 'answers file', values, baseDir: '/home/me/answers' });
const stored = (values: Record<string, unknown>): Layer => ({ source: '.yo-rc.json', values, baseDir: dest });

describe('mergeLayers', () => {
  it('takes each answer from the first layer that gives it, typed, and says where it came from', () => {
    const m = mergeLayers([flags({ instances: '5' }), file({ instances: 2, 'event-bus': undefined, eventBus: 'kafka' })], dest);
    expect(m.problems.map((p) => p.message)).toEqual([expect.stringMatching(/event-bus" is not a known answer/)]);
    expect(m.values).toEqual({ instances: 5, eventBus: 'kafka' });
    expect(m.from).toEqual({ instances: 'flag', eventBus: 'answers file' });
  });

  it('reports a wrong value even when a layer above gives the answer, and every wrong value at once', () => {
    const m = mergeLayers([flags({ instances: 3 }), stored({ instances: 'many', tls: 'sometimes' })], dest);
    expect(m.values).toEqual({ instances: 3 });
    expect(m.problems.map((p) => p.field)).toEqual(['instances', 'tls']);
    expect(() => mergedValues([flags({ instances: 3 }), stored({ instances: 'many', tls: 'sometimes' })], dest)).toThrow(
      /^2 answers are wrong:\n {2}- instances in \.yo-rc\.json/,
    );
  });

  it('keeps file answers inside the stack relative to it, and others absolute from their layer', () => {
    const m = mergeLayers([flags({ tlsCertFile: '../../tmp/stack/certs/a.pem' }), file({ tlsKeyFile: 'key.pem' })], dest);
    expect(m.values).toEqual({ tlsCertFile: path.join('certs', 'a.pem'), tlsKeyFile: '/home/me/answers/key.pem' });
  });

  it("skips an answers file's $schema, and refuses object machinery at once", () => {
    expect(mergeLayers([file({ $schema: './answers.schema.json' })], dest).problems).toEqual([]);
    expect(mergeLayers([flags({ $schema: 'x' })], dest).problems).toHaveLength(1);
    expect(() => mergeLayers([stored(JSON.parse('{"__proto__": {"instances": 1}}'))], dest)).toThrow(/__proto__/);
  });

  it('puts the stored layer below the layers of the run', () => {
    const layers = withStored([flags({ instances: 4 })], stored({ instances: 2, eventBus: 'kafka' }));
    expect(layers.map((l) => l.source)).toEqual(['flag', '.yo-rc.json']);
    expect(mergedValues(layers, dest)).toEqual({ instances: 4, eventBus: 'kafka' });
    expect(withStored([], undefined)).toEqual([]);
  });
});

describe('the questions, from the merged layers', () => {
  it('pendingQuestions leaves out what is given and what does not apply; openQuestions leaves that to the prompts', () => {
    const layers = [flags({ eventBus: 'nats', platform: 'compose' })];
    const pending = pendingQuestions(layers, undefined, dest).map((s) => s.name);
    const open = openQuestions(layers, undefined).map((s) => s.name);
    expect(pending).not.toContain('eventBus');
    expect(pending).not.toContain('kafkaBrokers');
    expect(open).not.toContain('eventBus');
    expect(open).toContain('kafkaBrokers');
  });

  it('an existing stack is not asked its derived answers again', () => {
    const open = openQuestions([], stored({ instances: 2 })).map((s) => s.name);
    expect(open).not.toContain('projectName');
    expect(openQuestions([], undefined).map((s) => s.name)).toContain('projectName');
  });

  it('pendingQuestions says every wrong given value before any question', () => {
    expect(() => pendingQuestions([flags({ instances: 0 })], stored({ tls: 'x' }), dest)).toThrow(/^2 answers are wrong/);
  });
});
