// The event bus slice of the model: which services carry the bus, the variables Bindplane reads to
// join it, and what else the bus brings (secrets, volumes, start order, README words).
import path from 'node:path';
import type { Answers } from '../../answers/schema.js';
import { LOCAL_COPIES, range } from '../core/names.js';
import { IMAGES } from '../core/images.js';
import { PORTS } from '../core/ports.js';
import { counted } from '../core/words.js';
import type { BindplaneService, EnvVar } from './shapes.js';

export interface KafkaBroker {
  name: string;
  id: number;
  volume: string;
}

export type EventBusModel =
  | { type: 'kafka'; brokers: KafkaBroker[]; bootstrap: string; voters: string; replication: number; minIsr: number; topic: string }
  | { type: 'pubsub'; emulator: boolean; projectId: string; topic: string; credentialsPath?: string }
  | {
      type: 'nats';
      /** Bindplane processes that also run a NATS server. */
      servers: string[];
      /** The same, as the files list them. */
      serverList: string;
      /** The network alias every server carries, so one name resolves to all of them. */
      alias: string;
      routes: string;
      clusterName: string;
      /** Server settings, the same on every NATS server. */
      serverEnv: EnvVar[];
    };

/** The chart and the operator run 3 NATS servers whatever the number of Bindplane processes. */
export const NATS_SERVERS = 3;
export const NATS_ALIAS = 'nats';

function kafkaBus(a: Answers): EventBusModel {
  const brokers = range(a.kafkaBrokers).map((id) => ({ name: `kafka-${id}`, id, volume: `kafka-${id}-data` }));
  return {
    type: 'kafka',
    brokers,
    bootstrap: brokers.map((b) => `${b.name}:${PORTS.kafka}`).join(','),
    voters: brokers.map((b) => `${b.id}@${b.name}:${PORTS.kafkaController}`).join(','),
    replication: brokers.length,
    minIsr: brokers.length > 1 ? 2 : 1,
    topic: a.kafkaTopic,
  };
}

function pubsubBus(a: Answers): EventBusModel {
  return {
    type: 'pubsub',
    emulator: !a.pubsubCredentialsFile,
    projectId: a.pubsubProjectId!,
    topic: a.pubsubTopic,
    credentialsPath: a.pubsubCredentialsFile ? `/etc/bindplane/pubsub/${path.posix.basename(LOCAL_COPIES.pubsubCredentialsFile)}` : undefined,
  };
}

/**
 * A fixed set of NATS servers embedded in the first Bindplane processes (the jobs instance and the
 * first nodes), as the chart and the operator run 3 servers; every process is a client of the
 * servers' shared alias. The servers and their routes do not change with the instance count, so
 * scaling leaves them running.
 */
function natsBus(a: Answers, bindplanes: BindplaneService[]): EventBusModel {
  const servers = bindplanes.slice(0, NATS_SERVERS).map((b) => b.name);
  const routes = servers.map((s) => `nats://${s}:${PORTS.natsCluster}`).join(',');
  return {
    type: 'nats',
    servers,
    serverList: servers.join(', '),
    alias: NATS_ALIAS,
    routes,
    clusterName: a.projectName,
    serverEnv: [
      { key: 'BINDPLANE_NATS_SERVER_ENABLE', value: 'true' },
      { key: 'BINDPLANE_NATS_SERVER_CLIENT_HOST', value: '0.0.0.0' },
      { key: 'BINDPLANE_NATS_SERVER_CLIENT_PORT', value: String(PORTS.natsClient) },
      { key: 'BINDPLANE_NATS_SERVER_HTTP_HOST', value: '0.0.0.0' },
      { key: 'BINDPLANE_NATS_SERVER_HTTP_PORT', value: String(PORTS.natsHttp) },
      { key: 'BINDPLANE_NATS_SERVER_CLUSTER_NAME', value: a.projectName },
      { key: 'BINDPLANE_NATS_SERVER_CLUSTER_HOST', value: '0.0.0.0' },
      { key: 'BINDPLANE_NATS_SERVER_CLUSTER_PORT', value: String(PORTS.natsCluster) },
      { key: 'BINDPLANE_NATS_SERVER_CLUSTER_ROUTES', value: routes },
    ],
  };
}

export function eventBusModel(a: Answers, bindplanes: BindplaneService[]): EventBusModel {
  const bus = a.eventBus === 'kafka' ? kafkaBus(a) : a.eventBus === 'pubsub' ? pubsubBus(a) : natsBus(a, bindplanes);
  if (bus.type === 'nats') {
    for (const b of bindplanes) {
      b.env.push({ key: 'BINDPLANE_NATS_CLIENT_NAME', value: b.name });
      if (bus.servers.includes(b.name)) {
        b.natsServer = true;
        b.env.unshift({ key: 'BINDPLANE_NATS_SERVER_NAME', value: b.name });
      }
    }
  }
  return bus;
}

/** What every Bindplane process reads to join the bus (shared: bindplane/bindplane.env). */
export function eventBusEnv(bus: EventBusModel): EnvVar[] {
  switch (bus.type) {
    case 'kafka':
      return [
        { key: 'BINDPLANE_EVENT_BUS_TYPE', value: 'kafka' },
        { key: 'BINDPLANE_KAFKA_BROKERS', value: bus.bootstrap },
        { key: 'BINDPLANE_KAFKA_TOPIC', value: bus.topic },
        { key: 'BINDPLANE_KAFKA_PROTOCOL_VERSION', value: IMAGES.kafkaProtocolVersion },
        { key: 'BINDPLANE_KAFKA_AUTH_TYPE', value: 'none', note: 'Kafka is reachable only on the internal network.' },
      ];
    case 'pubsub':
      return [
        { key: 'BINDPLANE_EVENT_BUS_TYPE', value: 'googlePubSub' },
        { key: 'BINDPLANE_GOOGLE_PUB_SUB_PROJECT_ID', value: bus.projectId },
        { key: 'BINDPLANE_GOOGLE_PUB_SUB_TOPIC', value: bus.topic },
        ...(bus.credentialsPath
          ? [{ key: 'BINDPLANE_GOOGLE_PUB_SUB_CREDENTIALS_FILE', value: bus.credentialsPath }]
          : [
              {
                key: 'BINDPLANE_GOOGLE_PUB_SUB_ENDPOINT',
                value: `pubsub-emulator:${PORTS.pubsub}`,
                note: "The local Pub/Sub emulator (unverified beyond the Helm chart's variable list).",
              },
              { key: 'BINDPLANE_GOOGLE_PUB_SUB_INSECURE', value: 'true' },
            ]),
      ];
    case 'nats':
      return [
        { key: 'BINDPLANE_EVENT_BUS_TYPE', value: 'nats' },
        {
          key: 'BINDPLANE_NATS_CLIENT_ENDPOINT',
          value: `nats://${bus.alias}:${PORTS.natsClient}`,
          note: `Every process is a client of the NATS servers through their shared alias "${bus.alias}", which resolves to all of them.`,
        },
        { key: 'BINDPLANE_NATS_CLIENT_SUBJECT', value: 'bindplane-event-bus' },
      ];
  }
}

export function eventBusVolumes(bus: EventBusModel): string[] {
  return bus.type === 'kafka' ? bus.brokers.map((b) => b.volume) : [];
}

/** Services of the bus that Bindplane must wait for, with their conditions. */
export function eventBusServices(bus: EventBusModel): { service: string; condition: 'service_healthy' | 'service_completed_successfully' }[] {
  if (bus.type === 'kafka') return bus.brokers.map((b) => ({ service: b.name, condition: 'service_healthy' as const }));
  if (bus.type === 'pubsub' && bus.emulator)
    return [
      { service: 'pubsub-emulator', condition: 'service_healthy' },
      { service: 'pubsub-topic', condition: 'service_completed_successfully' },
    ];
  return [];
}

/** The README's words for the bus, its label in the diagram, and what bindplane.env's header adds. */
export function eventBusWords(bus: EventBusModel): { text: string; label: string; perProcess: string } {
  switch (bus.type) {
    case 'kafka':
      return { text: `Kafka (${counted(bus.brokers.length, 'KRaft broker')})`, label: 'Kafka', perProcess: '' };
    case 'pubsub':
      return { text: bus.emulator ? 'the Google Pub/Sub emulator' : `Google Pub/Sub (project ${bus.projectId})`, label: 'Pub/Sub', perProcess: '' };
    case 'nats':
      return {
        text: `NATS (${counted(bus.servers.length, 'server')} embedded in ${bus.serverList}; every instance a client)`,
        label: `NATS (${bus.servers.length} servers)`,
        perProcess: ", NATS names and the NATS servers' settings",
      };
  }
}
