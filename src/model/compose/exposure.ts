// Where the load balancer's one published port listens (the bindAddress answer, Compose only), and
// what the stack says about it: the admin login in plain HTTP on every interface is said on every run.
import { ALL_INTERFACES, plainHttpEverywhere } from '../../answers/plain-http.js';
import type { Answers } from '../../answers/schema.js';

export interface Exposure {
  /** The compose `ports` entry: "3001:3001" for 0.0.0.0 (as stacks have always had it), else address first. */
  publish: string;
  allInterfaces: boolean;
  /** One line for the README, the summary and the notices when the admin login is plain HTTP to the whole network. */
  plainHttpEverywhere?: string;
  /** The README's line on who can reach the port, when it is not every interface. */
  reachNote?: string;
}

export function exposure(a: Pick<Answers, 'bindAddress' | 'tls' | 'httpPort'>): Exposure {
  const address = a.bindAddress ?? '0.0.0.0';
  const port = a.httpPort;
  const allInterfaces = ALL_INTERFACES.includes(address);
  const host = address.includes(':') ? `[${address}]` : address;
  return {
    publish: address === '0.0.0.0' ? `${port}:${port}` : `${host}:${port}:${port}`,
    allInterfaces,
    plainHttpEverywhere: plainHttpEverywhere(a),
    reachNote: allInterfaces
      ? undefined
      : `The port listens on ${address} only. Agents on other hosts cannot reach it: for them, regenerate with \`--bind-address 0.0.0.0\` (and TLS: \`--tls selfSigned\` or \`--tls provided\`). The demo agents and the transform agents are inside the stack's networks and are not affected.`,
  };
}
