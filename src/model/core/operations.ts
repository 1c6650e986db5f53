// The day-2 slice of the model: what `make upgrade`, `restart`, `backup`, `restore` and `doctor`
// act on, and the rules the doctor applies. The generated script finds the services themselves in
// the compose file, so it does not change with the instance count.
import { COMPOSE_SCRIPT } from './operations-words.js';
import type { Secret } from './secrets.js';

export interface Operations {
  script: string;
  /** The compose file every Compose call names (with -p and the project), whatever the environment says. */
  composeFile: string;
  /** Service names and name patterns (extended regular expressions) the script looks for. */
  names: { jobs: string; node: string; transformAgent: string; busServices: string; demoAgent: string };
  /** Long-running services that are not Bindplane's and do not depend on counts. */
  supportServices: string[];
  backupsDir: string;
  /** Keys the compose file requires from .env. */
  envKeys: string[];
  /**
   * Secrets `--rotate-secret` may replace. Not the Kafka cluster id (an identity, not a secret), nor the
   * admin password: whether Bindplane applies a changed BINDPLANE_PASSWORD to an existing user is not
   * verified, and a wrong guess locks the admin out (change it in Bindplane's UI).
   */
  rotatable: string[];
  /** The same list in words, for READMEs. */
  rotatableText: string;
  /** The lists as the Makefile and the scripts spell them. */
  lists: { envKeys: string; rotatable: string; rotatableChoices: string; rotatableCommas: string; supportServices: string };
  /** The doctor's fix for a key missing from .env. */
  missingKeyFix: string;
  /** The doctor's rule for memory and disk, and the words that explain it. */
  resources: { baseMiB: number; perProcessMiB: number; baseDiskMiB: number; rule: string };
  /** Compose v2 release that has everything the files use (`--wait`, `--wait-timeout`, `depends_on` conditions). */
  composeMin: string;
  /** Seconds `make upgrade` and `make restart` wait for one service to be healthy. */
  waitSeconds: number;
  /**
   * The generator `make rotate-secret` runs: its command on PATH, and the exact ways to get it when
   * it is not there (the package is on no registry: npx of its name cannot work).
   */
  generator: { command: string; install: string; fromCheckout: string; installInMake: string };
}

/** Where the package lives; the same URL as package.json's repository (a test holds them together). */
export const GENERATOR_REPOSITORY = 'git+https://github.com/bindplane-distributed/generator-bindplane-distributed.git';

const GENERATOR = {
  command: 'bindplane-distributed',
  install: `npm install --global "$(npm pack --silent ${GENERATOR_REPOSITORY})"`,
  fromCheckout: 'node /path/to/generator-bindplane-distributed/bin/bindplane-distributed.js',
};

/** Memory of one Bindplane process or transform agent: the doctor's rule and the containers' limit. */
export const PER_PROCESS_MIB = 512;
const BASE_MIB = 1024;
const BASE_DISK_MIB = 5 * 1024;

export function operations(
  names: Operations['names'],
  supportServices: string[],
  secrets: Secret[],
  platform: 'compose' | 'kubernetes' = 'compose',
): Operations {
  // --rotate-secret changes the database's own password through docker compose, which a cluster has not.
  const rotatable = secrets.filter(
    (s) => s.kind !== 'kafkaClusterId' && s.key !== 'BINDPLANE_PASSWORD' && !(platform === 'kubernetes' && s.key === 'POSTGRES_PASSWORD'),
  );
  return {
    script: COMPOSE_SCRIPT,
    composeFile: 'docker-compose.yml',
    names,
    supportServices,
    backupsDir: 'backups',
    envKeys: secrets.map((s) => s.key),
    rotatable: rotatable.map((s) => s.key),
    rotatableText: rotatable.map((s) => `\`${s.key}\``).join(' and '),
    lists: {
      envKeys: secrets.map((s) => s.key).join(' '),
      rotatable: rotatable.map((s) => s.key).join(' '),
      rotatableChoices: rotatable.map((s) => s.key).join('|'),
      rotatableCommas: rotatable.map((s) => s.key).join(', '),
      supportServices: supportServices.join(' '),
    },
    missingKeyFix:
      platform === 'kubernetes'
        ? 'run the generator again: it adds missing keys'
        : 'run the generator again: it adds missing keys (see the warning it prints about the database)',
    resources: {
      baseMiB: BASE_MIB,
      perProcessMiB: PER_PROCESS_MIB,
      baseDiskMiB: BASE_DISK_MIB,
      rule:
        `memory: ${BASE_MIB} MiB for PostgreSQL, Prometheus and the bus, plus ${PER_PROCESS_MIB} MiB for each Bindplane process and transform agent; ` +
        `disk: ${BASE_DISK_MIB / 1024} GiB plus ${PER_PROCESS_MIB} MiB per Bindplane process, free on Docker's data root`,
    },
    composeMin: '2.20.0',
    // Long enough for a Bindplane start-up (the healthcheck's start period is 60 s, then 12 tries 5 s apart).
    waitSeconds: 300,
    // make reads `$$` as `$`.
    generator: { ...GENERATOR, installInMake: GENERATOR.install.replace(/\$/g, '$$$$') },
  };
}
