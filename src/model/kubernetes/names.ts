// Kubernetes names: the Helm release, the namespace, and the names the chart derives from the
// release (its helpers' "fullname"), so our own objects and the values can refer to the chart's.
import type { Answers } from '../../answers/schema.js';

/** The chart's name; its fullname helper leaves a release that contains it as it is. */
export const CHART_NAME = 'bindplane';
/** The longest suffix the chart adds to its fullname (the NATS cluster's headless Service). */
const LONGEST_CHART_SUFFIX = '-nats-cluster-headless';
const DNS_LABEL_MAX = 63;
/** The longest fullname whose every derived name is still a DNS-1123 label. */
export const FULLNAME_MAX = DNS_LABEL_MAX - LONGEST_CHART_SUFFIX.length;
export const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

/** The chart's `bindplane.fullname` for a release (no nameOverride or fullnameOverride). */
export function chartFullname(release: string): string {
  return release.includes(CHART_NAME) ? release : `${release}-${CHART_NAME}`;
}

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
  };
}
