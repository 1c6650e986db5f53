// Every pinned release, in one table, each with where it was confirmed (public sources read on
// 2026-12-01; no registry could be reached to pull them). Bump them deliberately, to releases
// that exist, and say where the new value comes from.

export interface Pin {
  value: string;
  source: string;
  /** A newer release known from public material that could not be fetched or checked here: not taken. */
  newerKnown?: string;
  /** The sha256 its publisher lists for the release's archive, where one is published. */
  digest?: string;
}

export const PINS = {
  bindplane: {
    value: '1.103.0',
    source:
      'observIQ/grrcon-2026-bindplane-demos selfhosted/docker-compose.yaml (da3b33b) pins bindplane-ee and bindplane-transform-agent ' +
      '1.103.0; the operator observIQ/bindplane-operator (1b36096) defaults to 1.99.1 and its docs name v1.100.2',
  },
  agent: {
    value: '1.102.1',
    source: 'observIQ/bindplane-otel-collector tag v1.102.1 (00ed3e6, 2026-06-23), published as observiq/bindplane-agent by its .goreleaser-docker.yml',
    newerKnown:
      '1.106.0: observIQ/grrcon-2026-bindplane-demos runs collector 1.106.0 beside server 1.103.0 (the two are separate tracks); its tag and image could not be checked here',
  },
  nginx: { value: 'nginx:1.28.0-alpine', source: 'nginx 1.27.3 is the first release with `resolve` on upstream servers; 1.28 is its stable line' },
  prometheus: { value: 'prom/prometheus:v3.4.0', source: "the Helm chart's Prometheus (observIQ/bindplane-op-helm aa0b89d)" },
  kafka: { value: 'apache/kafka:3.9.1', source: 'the official image runs KRaft without ZooKeeper (Bitnami moved its images in August 2025)' },
  kafkaProtocolVersion: { value: '3.9.0', source: 'the protocol of apache/kafka 3.9' },
  bindplaneChart: {
    value: '1.31.1',
    /**
     * The archive's sha256 as observIQ's chart repository lists it (index.yaml's digest, which
     * chart-releaser computes from the archive it uploads): gh-pages of observIQ/bindplane-op-helm,
     * 4133ca2 (2025-09-04). The archive itself could not be downloaded here to compare.
     */
    digest: '6de6bc122e833c8e4426c46d9f0436d1630ec0a2e6204aeb23530cc0295d2737',
    source:
      'observIQ/bindplane-op-helm charts/bindplane/Chart.yaml (aa0b89d, 2025-09-04): the newest release whose values.yaml and templates were read and rendered with helm; its key paths are described in __tests__/data/bindplane-chart-1.31.1.json',
    newerKnown:
      '1.31.5 (appVersion 1.96.0): a later Chart.yaml in the search index; its values and templates could not be fetched to render, so its key paths are not checked',
  },
  postgres: {
    value: '16.14',
    source:
      'the official image publishes every minor release as a tag; public repositories pin postgres:16.14-bookworm and 16.14-alpine by digest (read 2026-12-07); ' +
      'a minor tag stops a pull from bringing another release unasked (minor releases keep the data format, so moving to a newer one is a pull and a restart)',
    newerKnown: '16.15: a compose file and its recorded `docker compose ps` name postgres:16.15; it could not be pulled or checked here',
  },
  pubsubEmulator: { value: 'gcr.io/google.com/cloudsdktool/google-cloud-cli:529.0.0-emulators', source: "Google Cloud CLI's emulators image" },
} as const satisfies { [name: string]: Pin };

/**
 * Variables whose name depends on the Bindplane release, newest first: the first row whose
 * `since` is at or below the answered release wins.
 */
export const VERSIONED_SETTINGS = {
  loggingOutput: [
    {
      since: '0.0.0',
      key: 'BINDPLANE_LOGGING_OUTPUT',
      source:
        'the chart (templates/bindplane.yaml) and the open-source server (config/override.go: logging.output); the operator writes ' +
        "BINDPLANE_LOGGING_TYPE, which its own audit of the enterprise server's overrides (a5f508e, 2026-05) calls the wrong name",
    },
  ],
} as const satisfies { [setting: string]: readonly { since: string; key: string; source: string }[] };

/** The variable name of a versioned setting for the answered Bindplane release. */
export function settingKey(setting: keyof typeof VERSIONED_SETTINGS, release: string, compare: (a: string, b: string) => number): string {
  const row = VERSIONED_SETTINGS[setting].find((r) => compare(release, r.since) >= 0);
  if (!row) throw new Error(`no ${setting} variable is known for Bindplane ${release}`);
  return row.key;
}
