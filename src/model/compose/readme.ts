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

export interface Diagram {
  nodes: { id: string; label: string }[];
  /** The nodes' and the jobs instance's ids: every process on the bus. */
  busClients: { id: string }[];
  bus: string;
  transformAgents: { id: string; label: string; from: string }[];
}

/** The README's topology diagram; large stacks show the first and last instances only. */
export function diagram(nodes: { name: string }[], busLabel: string, transformAgents: { name: string }[]): Diagram {
  const shown = nodes.length <= 6 ? nodes : [nodes[0]!, nodes[1]!, nodes[nodes.length - 1]!];
  const diagramNodes = shown.map((n) => ({ id: n.name.replace(/-/g, '_'), label: n.name }));
  if (nodes.length > 6) diagramNodes.splice(2, 0, { id: 'more', label: `… ${nodes.length - 3} more` });
  return {
    nodes: diagramNodes,
    busClients: [...diagramNodes, { id: 'jobs' }].map((n) => ({ id: n.id })),
    bus: busLabel,
    transformAgents: transformAgents.map((t) => ({ id: t.name.replace(/-/g, '_'), label: t.name, from: diagramNodes[0]!.id })),
  };
}

/** The next instance count the README suggests trying (always a valid answer). */
export function suggestedInstances(instances: number): number {
  return instances + 2 <= 64 ? instances + 2 : instances - 1;
}
