// The Compose README's words that depend on the answers: counts, which services sit on the
// internal network, what `make start` checks first.
import type { TlsModel } from '../core/tls.js';
import { counted } from '../core/words.js';
import type { BusKind } from './bus-kind.js';

export interface ComposeReadme {
  /** "3 Bindplane instances". */
  nodes: string;
  /** What runs beside PostgreSQL and Prometheus: ", 2 remote transform agents and 1 demo agent". */
  alsoRuns: string;
  /** The services on the internal network besides the transform agents. */
  internalServices: string;
  /** What `make start` checks before it starts. */
  startChecks: string;
  /** The diagram's box of the demo agents: "2 demo agents". */
  demoAgents: string;
  /** "3 KRaft brokers", on Kafka. */
  kafkaBrokers: string;
  /** The unverified guess about the demo agents, with demo agents only. */
  unverifiedAgents: string;
}

export function composeReadme(
  counts: { nodes: number; transformAgents: number; demoAgents: number; kafkaBrokers: number },
  bus: BusKind,
  tls: TlsModel,
): ComposeReadme {
  const internal = ['PostgreSQL', 'Prometheus', ...(bus.kafka ? ['Kafka'] : []), ...(bus.pubsubEmulator ? ['the Pub/Sub emulator'] : [])];
  return {
    nodes: counted(counts.nodes, 'Bindplane instance'),
    alsoRuns:
      (counts.transformAgents > 0 ? `, ${counted(counts.transformAgents, 'remote transform agent')}` : '') +
      (counts.demoAgents > 0 ? ` and ${counted(counts.demoAgents, 'demo agent')}` : ''),
    internalServices: internal.join(', '),
    startChecks: tls.on ? 'the license and the certificate' : 'the license',
    demoAgents: counted(counts.demoAgents, 'demo agent'),
    kafkaBrokers: counted(counts.kafkaBrokers, 'KRaft broker'),
    unverifiedAgents:
      counts.demoAgents > 0 ? "; where the agent keeps its identity (`MANAGER_YAML_PATH` in a volume per agent, read from the agent's source)" : '',
  };
}
