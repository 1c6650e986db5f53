// Kubernetes names: the Helm release, the namespace, and the names the chart derives from the
// release (its helpers' "fullname"), so our own objects and the values can refer to the chart's.
// The name limits the answers check too are in src/facts/kubernetes-names.ts.
import type { Answers } from '../../answers/schema.js';
import { chartFullname } from '../../facts/kubernetes-names.js';

export interface KubernetesNames {
  release: string;
  namespace: string;
  /** The chart's fullname: its Deployment and its Service of the Bindplane nodes. */
  fullname: string;
  jobs: string;
  nats: string;
  /** The Service NATS clients dial (the chart's headless client Service). */
  natsClient: string;
  transformAgent: string;
  prometheus: string;
  /** Our own objects, beside the chart's. */
  postgres: string;
  pubsubEmulator: string;
  /** Secrets built by kustomize's secretGenerator. */
  appSecret: string;
  tlsSecret: string;
  pubsubSecret: string;
  /** The CA of an external PostgreSQL, which the chart mounts at /postgres-tls. */
  postgresCaSecret: string;
}

export function kubernetesNames(a: Answers): KubernetesNames {
  const release = a.projectName;
  const fullname = chartFullname(release);
  return {
    release,
    namespace: release,
    fullname,
    jobs: `${fullname}-jobs`,
    nats: `${fullname}-nats`,
    natsClient: `${fullname}-nats-headless`,
    transformAgent: `${fullname}-transform-agent`,
    prometheus: `${fullname}-prometheus`,
    postgres: `${fullname}-postgres`,
    pubsubEmulator: `${fullname}-pubsub-emulator`,
    appSecret: `${fullname}-secrets`,
    tlsSecret: `${fullname}-tls`,
    pubsubSecret: `${fullname}-pubsub-credentials`,
    postgresCaSecret: `${fullname}-postgres-ca`,
  };
}
