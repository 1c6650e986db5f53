// Images other than Bindplane's own (pins.ts says where each comes from).
import { PINS } from '../../facts/pins.js';

export const IMAGES = {
  nginx: PINS.nginx.value,
  prometheus: PINS.prometheus.value,
  kafka: PINS.kafka.value,
  kafkaProtocolVersion: PINS.kafkaProtocolVersion.value,
  pubsubEmulator: PINS.pubsubEmulator.value,
} as const;
