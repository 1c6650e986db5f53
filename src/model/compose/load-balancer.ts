// The Compose stack's load balancer (nginx): its one published port, its healthcheck port and scheme.
import type { Answers } from '../../answers/schema.js';
import { LB_SERVICE } from '../core/names.js';

export interface LoadBalancer {
  service: string;
  port: number;
  healthPort: number;
  tls: Answers['tls'];
  scheme: 'http' | 'https';
  wsScheme: 'ws' | 'wss';
  /** What nginx.conf's comment on its security headers adds (why no HSTS, without your own certificate). */
  headersNote: string;
}

export function loadBalancer(a: Pick<Answers, 'httpPort' | 'tls'>): LoadBalancer {
  const tlsOn = a.tls !== 'none';
  return {
    service: LB_SERVICE,
    port: a.httpPort,
    // A plain-HTTP listener on the container's loopback for its healthcheck, even when TLS is on.
    healthPort: a.httpPort === 8081 ? 8082 : 8081,
    tls: a.tls,
    scheme: tlsOn ? 'https' : 'http',
    wsScheme: tlsOn ? 'wss' : 'ws',
    headersNote: a.tls === 'provided' ? '' : ' (no HSTS: it would pin browsers to a certificate they do not trust)',
  };
}
