// The limits of Kubernetes names that both the answers (which project names are allowed) and the
// model (the names of the objects) need: DNS-1123 labels, and the names the Bindplane chart derives
// from the Helm release (its helpers' "fullname").

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
