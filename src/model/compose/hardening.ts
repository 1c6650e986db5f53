// Container limits and privileges of the Compose services (the containerHardening answer): lines of
// YAML per kind of service, which docker-compose.yml lays out. Memory limits follow the sizing
// `make doctor` checks (operations.ts); capabilities are dropped only where the image runs as a
// user of its own from the start, otherwise the comment says that its needs are not known here.
import type { Answers } from '../../answers/schema.js';
import { PER_PROCESS_MIB } from './operations.js';

export type HardenedService =
  'bindplane' | 'transformAgent' | 'postgres' | 'prometheus' | 'loadbalancer' | 'kafka' | 'pubsubEmulator' | 'pubsubTopic' | 'demoAgent';

/** Lines of YAML for each kind of service; none when the answer is none. */
export type Hardening = Record<HardenedService, string[]>;

const NO_NEW_PRIVILEGES = 'security_opt: ["no-new-privileges:true"]';

interface Rule {
  memMiB: number;
  /** Why the memory limit is what it is, when it is not the doctor's per-process rule. */
  why?: string;
  /** All capabilities dropped (the image runs as its own non-root user), or why they are kept. */
  caps: true | string;
}

const UNKNOWN_IMAGE = "capabilities kept: this image's needs are not known here";

const RULES: Record<HardenedService, Rule> = {
  bindplane: { memMiB: PER_PROCESS_MIB, caps: UNKNOWN_IMAGE },
  transformAgent: { memMiB: PER_PROCESS_MIB, caps: UNKNOWN_IMAGE },
  postgres: {
    memMiB: 512,
    why: 'shared_buffers stays at its default of 128 MiB',
    caps: "capabilities kept: the image's entrypoint chowns its data folder, then switches user",
  },
  prometheus: { memMiB: 512, why: 'the measurements of a few dozen processes', caps: true },
  loadbalancer: { memMiB: 128, caps: "capabilities kept: nginx's master process needs SETUID, SETGID and CHOWN to switch its workers' user" },
  // The image starts the JVM with -Xmx1G -Xms1G (KAFKA_HEAP_OPTS): the limit leaves room above the heap.
  kafka: { memMiB: 1536, why: 'the image sets a 1 GiB heap, plus room above it', caps: true },
  pubsubEmulator: { memMiB: 512, why: "a JVM with the emulator's default heap", caps: UNKNOWN_IMAGE },
  pubsubTopic: { memMiB: 64, caps: UNKNOWN_IMAGE },
  demoAgent: { memMiB: 256, caps: UNKNOWN_IMAGE },
};

/** A kind of service's memory limit and why: Kubernetes gives the same containers the same limit. */
export function memoryRule(service: HardenedService): { memMiB: number; why?: string } {
  const { memMiB, why } = RULES[service];
  return { memMiB, why };
}

function lines(rule: Rule): string[] {
  return [
    `mem_limit: ${rule.memMiB}m${rule.why ? ` # ${rule.why}` : ''}`,
    NO_NEW_PRIVILEGES,
    ...(rule.caps === true ? ['cap_drop: [ALL] # the image runs as a non-root user of its own: it needs none'] : [`# ${rule.caps}`]),
  ];
}

export function hardening(a: Pick<Answers, 'containerHardening'>): Hardening {
  const on = a.containerHardening === 'standard';
  return Object.fromEntries((Object.keys(RULES) as HardenedService[]).map((k) => [k, on ? lines(RULES[k]) : []])) as Hardening;
}
