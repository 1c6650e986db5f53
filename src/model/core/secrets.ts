// The secrets the generator makes for .env, on both platforms: what each is for and how it is made.
import type { Answers } from '../../answers/schema.js';
import { SERVER_KEY_VAR, type FirstStart } from './first-start.js';
import { DB } from './names.js';

export interface Secret {
  key: string;
  /** What generates it: a UUID, or a random token of the given length. */
  kind: 'uuid' | 'token' | 'kafkaClusterId';
  length?: number;
  purpose: string;
}

export function stackSecrets(a: Answers, fs: FirstStart): Secret[] {
  return [
    { key: 'BINDPLANE_PASSWORD', kind: 'token', length: 24, purpose: `password of the Bindplane user ${a.adminUsername}` },
    { key: 'BINDPLANE_SESSION_SECRET', kind: 'uuid', purpose: 'signs UI sessions' },
    // Only stacks from before 2026-12: today's agents present the project's key, which the server makes.
    ...(fs.serverKey ? [{ key: SERVER_KEY_VAR, kind: 'uuid', purpose: 'secret key agents present when they connect' } as const] : []),
    { key: 'POSTGRES_PASSWORD', kind: 'token', length: 32, purpose: `password of the PostgreSQL user ${DB.user}` },
    // Kafka's KRaft cluster needs an id of its own.
    ...(a.eventBus === 'kafka' ? [{ key: 'KAFKA_CLUSTER_ID', kind: 'kafkaClusterId', purpose: 'identifies the KRaft cluster' } as const] : []),
  ];
}
