// Which event bus the Compose stack runs, as booleans the templates choose whole blocks on.
import type { EventBusModel } from './event-bus.js';

export interface BusKind {
  nats: boolean;
  kafka: boolean;
  /** Pub/Sub through the local emulator (no credentials given). */
  pubsubEmulator: boolean;
  /** Google's Pub/Sub, with the service account's key. */
  pubsubCloud: boolean;
}

export function busKind(bus: EventBusModel): BusKind {
  return {
    nats: bus.type === 'nats',
    kafka: bus.type === 'kafka',
    pubsubEmulator: bus.type === 'pubsub' && bus.emulator,
    pubsubCloud: bus.type === 'pubsub' && !bus.emulator,
  };
}
