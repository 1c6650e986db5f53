// The Pub/Sub emulator variant (eventBus pubsub without a credentials file): Google's emulator, as
// installed on this machine image, run on 127.0.0.1 with a free port, then the generated
// `pubsub-topic` one-shot's own command against it, then a publish and a pull on the project and
// topic that bindplane/bindplane.env gives Bindplane.
import { existsSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cleanupTempDirs, generateStack } from '../helpers/stack.js';
import {
  fetchBounded,
  freePort,
  interpolate,
  readCompose,
  readEnvFile,
  requireTool,
  run,
  startServer,
  stopServer,
  waitFor,
  type Compose,
  type Server,
} from './helpers.js';

const EMULATOR = '/usr/lib/google-cloud-sdk/platform/pubsub-emulator/bin/cloud-pubsub-emulator';

let stack: string;
let compose: Compose;
let bp: Record<string, string>;
let emulator: Server;
let port: number;
/** The emulator's host:port inside the stack (compose service name and the port of its command). */
let stackAddress: string;

/** A command of the stack, with the emulator's in-stack address replaced by this one's. */
function localize(s: string): string {
  expect(s, `${s} names ${stackAddress}`).toContain(stackAddress);
  return s.split(stackAddress).join(`127.0.0.1:${port}`);
}

async function api(method: string, urlPath: string, body?: unknown): Promise<{ status: number; json: Record<string, unknown> }> {
  const res = await fetchBounded(`http://127.0.0.1:${port}${urlPath}`, {
    method,
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, json: text ? (JSON.parse(text) as Record<string, unknown>) : {} };
}

beforeAll(async () => {
  if (!existsSync(EMULATOR))
    throw new Error(`the Pub/Sub emulator is missing at ${EMULATOR}: it comes with this machine image's Google Cloud SDK and cannot be reinstalled here`);
  requireTool('java', 'the Pub/Sub emulator needs a Java runtime (apt-get install default-jre-headless)');
  requireTool('curl');
  stack = await generateStack({ eventBus: 'pubsub', pubsubProjectId: 'demo-project' });
  compose = readCompose(stack);
  bp = readEnvFile(path.join(stack, 'bindplane/bindplane.env'));
  const command = compose.services['pubsub-emulator']?.command as string[] | undefined;
  expect(command, 'the emulator variant has a pubsub-emulator service').toBeDefined();
  const hostPort = command!.find((a) => a.startsWith('--host-port='))!;
  stackAddress = `pubsub-emulator:${hostPort.split(':').pop()}`;

  port = await freePort();
  emulator = startServer('pubsub-emulator', EMULATOR, ['--host=127.0.0.1', `--port=${port}`], { lifetimeSeconds: 240, stdin: 'ignore' });
  // The compose healthcheck (curl on /), pointed here; the JVM takes a few seconds.
  const health = compose.services['pubsub-emulator'].healthcheck.test as string[];
  expect(health[0]).toBe('CMD');
  const healthArgs = health.slice(2).map((a) => a.replace(/^http:\/\/127\.0\.0\.1:\d+\//, `http://127.0.0.1:${port}/`));
  await waitFor('the emulator to pass the compose healthcheck', () => run(health[1]!, healthArgs, { timeoutMs: 5_000 }).status === 0 || undefined, {
    server: emulator,
    timeoutMs: 60_000,
    intervalMs: 500,
  });
}, 90_000);

afterAll(async () => {
  if (emulator) await stopServer(emulator);
  cleanupTempDirs();
});

describe('the Pub/Sub emulator variant', () => {
  it('points Bindplane at the emulator service, project and topic the stack creates', () => {
    expect(bp.BINDPLANE_EVENT_BUS_TYPE).toBe('googlePubSub');
    expect(bp.BINDPLANE_GOOGLE_PUB_SUB_ENDPOINT).toBe(stackAddress);
    expect(bp.BINDPLANE_GOOGLE_PUB_SUB_INSECURE).toBe('true');
    expect(bp.BINDPLANE_GOOGLE_PUB_SUB_CREDENTIALS_FILE).toBeUndefined();
    expect(compose.services['pubsub-emulator'].command).toContain(`--project=${bp.BINDPLANE_GOOGLE_PUB_SUB_PROJECT_ID}`);
    const topicCommand = (compose.services['pubsub-topic'].command as string[])[2]!;
    expect(topicCommand).toContain(`/v1/projects/${bp.BINDPLANE_GOOGLE_PUB_SUB_PROJECT_ID}/topics/${bp.BINDPLANE_GOOGLE_PUB_SUB_TOPIC}`);
    // Every Bindplane process waits for the topic to exist.
    for (const name of Object.keys(compose.services).filter((s) => /^bindplane-(\d+|jobs)$/.test(s)))
      expect(compose.services[name].depends_on['pubsub-topic'], name).toEqual({ condition: 'service_completed_successfully' });
  });

  it("creates the topic with the pubsub-topic service's command: 200, then 409 when it exists (both succeed)", () => {
    const command = compose.services['pubsub-topic'].command as string[];
    expect(command.slice(0, 2)).toEqual(['sh', '-c']);
    // compose turns `$$` into `$`; the script then runs here against this emulator.
    const script = localize(interpolate(command[2]!, {}));
    const first = run('sh', ['-c', script], { timeoutMs: 20_000 });
    expect(first.status, first.stdout + first.stderr).toBe(0);
    expect(first.stdout.trim()).toBe('create topic: 200');
    const again = run('sh', ['-c', script], { timeoutMs: 20_000 });
    expect(again.status, again.stdout + again.stderr).toBe(0);
    expect(again.stdout.trim()).toBe('create topic: 409');
  });

  it('fails the one-shot when the emulator is not there', async () => {
    const closed = await freePort();
    const command = compose.services['pubsub-topic'].command as string[];
    const script = interpolate(command[2]!, {}).split(stackAddress).join(`127.0.0.1:${closed}`);
    const r = run('sh', ['-c', script], { timeoutMs: 20_000 });
    expect(r.status).not.toBe(0);
  });

  it('publishes and pulls a message on the project and topic of bindplane.env', async () => {
    const project = bp.BINDPLANE_GOOGLE_PUB_SUB_PROJECT_ID!;
    const topic = bp.BINDPLANE_GOOGLE_PUB_SUB_TOPIC!;
    const topicName = `projects/${project}/topics/${topic}`;
    const got = await api('GET', `/v1/${topicName}`);
    expect(got.status).toBe(200);
    expect(got.json.name).toBe(topicName);

    const sub = `projects/${project}/subscriptions/bpd-test`;
    const created = await api('PUT', `/v1/${sub}`, { topic: topicName, ackDeadlineSeconds: 10 });
    expect(created.status, JSON.stringify(created.json)).toBe(200);

    const payload = JSON.stringify({ event: 'configuration-updated', from: 'bindplane-1' });
    const published = await api('POST', `/v1/${topicName}:publish`, {
      messages: [{ data: Buffer.from(payload).toString('base64'), attributes: { source: 'bindplane-1' } }],
    });
    expect(published.status, JSON.stringify(published.json)).toBe(200);
    const [messageId] = published.json.messageIds as string[];
    expect(messageId).toBeTruthy();

    type Received = { ackId: string; message: { data: string; messageId: string; attributes: Record<string, string> } };
    const received = await waitFor(
      'the published message',
      async () => {
        const pulled = await api('POST', `/v1/${sub}:pull`, { maxMessages: 10, returnImmediately: true });
        const msgs = (pulled.json.receivedMessages ?? []) as Received[];
        return msgs.length > 0 ? msgs : undefined;
      },
      { server: emulator, timeoutMs: 15_000, intervalMs: 300, maxTries: 40 },
    );
    expect(received).toHaveLength(1);
    const m = received[0]!;
    expect(m.message.messageId).toBe(messageId);
    expect(Buffer.from(m.message.data, 'base64').toString()).toBe(payload);
    expect(m.message.attributes).toEqual({ source: 'bindplane-1' });
    const acked = await api('POST', `/v1/${sub}:acknowledge`, { ackIds: [m.ackId] });
    expect(acked.status).toBe(200);
  });
});
