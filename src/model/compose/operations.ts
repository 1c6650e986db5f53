// The Compose stack's day-2 rules: what scripts/stack.sh looks for and what `make doctor` and
// `make rotate-secret` apply. The script finds the services themselves in the compose file, so it
// does not change with the instance count.
import { COMPOSE_SCRIPT } from '../core/operations-words.js';
import { DEMO_AGENT_PREFIX, JOBS_SERVICE, LB_SERVICE, NODE_PREFIX, TRANSFORM_AGENT_PREFIX } from '../core/names.js';

export interface ComposeOperations {
  script: string;
  /** The compose file every Compose call names (with -p and the project), whatever the environment says. */
  composeFile: string;
  /** Service names and name patterns (extended regular expressions) the script looks for. */
  names: { jobs: string; node: string; transformAgent: string; busServices: string; demoAgent: string };
  /** Long-running services that are not Bindplane's and do not depend on counts, and the same as the script lists them. */
  supportServices: string[];
  supportServicesList: string;
  /** The doctor's rule for memory and disk, and the words that explain it. */
  resources: { baseMiB: number; perProcessMiB: number; baseDiskMiB: number; rule: string };
  /** Compose v2 release that has everything the files use (`--wait`, `--wait-timeout`, `depends_on` conditions). */
  composeMin: string;
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

export function composeOperations(): ComposeOperations {
  const supportServices = ['postgres', 'prometheus', LB_SERVICE];
  return {
    script: COMPOSE_SCRIPT,
    composeFile: 'docker-compose.yml',
    names: {
      jobs: JOBS_SERVICE,
      node: NODE_PREFIX,
      transformAgent: TRANSFORM_AGENT_PREFIX,
      busServices: 'kafka-[0-9]+|pubsub-emulator',
      demoAgent: DEMO_AGENT_PREFIX,
    },
    supportServices,
    supportServicesList: supportServices.join(' '),
    resources: {
      baseMiB: BASE_MIB,
      perProcessMiB: PER_PROCESS_MIB,
      baseDiskMiB: BASE_DISK_MIB,
      rule:
        `memory: ${BASE_MIB} MiB for PostgreSQL, Prometheus and the bus, plus ${PER_PROCESS_MIB} MiB for each Bindplane process and transform agent; ` +
        `disk: ${BASE_DISK_MIB / 1024} GiB plus ${PER_PROCESS_MIB} MiB per Bindplane process, free on Docker's data root`,
    },
    composeMin: '2.20.0',
    // make reads `$$` as `$`.
    generator: { ...GENERATOR, installInMake: GENERATOR.install.replace(/\$/g, '$$$$') },
  };
}
