// The official chart, and how make deploy trusts its archive. observIQ releases the chart with
// helm/chart-releaser-action v1.5.0 and no signing key (.github/workflows/helm.yml of
// observIQ/bindplane-op-helm, aa0b89d), so no .prov file exists and `helm install --verify`
// cannot work. Instead kube.sh pulls the pinned version and checks its sha256: on first use against
// the digest observIQ's chart index lists for it (pinned here), then against the line it records in
// CHART_DIGESTS_FILE; it installs that very file, and refuses a different archive.
import { PINS } from '../../facts/pins.js';
import type { KubernetesModel } from './shapes.js';

const CHART_REPO = { name: 'bindplane', url: 'https://observiq.github.io/bindplane-op-helm' } as const;
const CHART_NAME = 'bindplane';

/**
 * The person's record of the archives deploy has checked and installed, one `<sha256>  <archive>` line per chart
 * version (sha256sum's format), committed beside values.yaml. kube.sh appends to it; the generator
 * never writes, deletes or merges it: it is in no file list (render/files.ts), so the record guard
 * refuses a record entry that names it, and preflight has no rule for it.
 */
export const CHART_DIGESTS_FILE = 'chart.sha256';

export function kubernetesChart(): KubernetesModel['chart'] {
  const version = PINS.bindplaneChart.value;
  return {
    name: CHART_NAME,
    version,
    repoName: CHART_REPO.name,
    repoUrl: CHART_REPO.url,
    ref: `${CHART_REPO.name}/${CHART_NAME}`,
    // helm pull names the file after the download's URL; chart-releaser's release asset is <name>-<version>.tgz.
    archive: `${CHART_NAME}-${version}.tgz`,
    digestsFile: CHART_DIGESTS_FILE,
    publishedDigest: PINS.bindplaneChart.digest,
    publishedDigestSource: "observIQ's chart index (index.yaml on gh-pages of observIQ/bindplane-op-helm, 4133ca2)",
  };
}
