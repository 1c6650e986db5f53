// The first-start slice: how agents authenticate, and what `make start` (`make deploy` on
// Kubernetes) does the first time a server runs. Today's enterprise server is multi-project: the
// key agents present belongs to the project that `bindplane create organization` makes, and a
// server-level BINDPLANE_SECRET_KEY gets agents 401 (observIQ/grrcon-2026-bindplane-demos,
// selfhosted/README.md, bindplane-ee 1.103.0; not proven against a real server here).
import type { Answers } from '../../answers/schema.js';
import { JOBS_SERVICE } from './names.js';
import { PORTS } from './ports.js';

/** The .env key first start writes the project's key to (stacks with agentKey project). */
export const PROJECT_KEY_VAR = 'PROJECT_SECRET_KEY';
/** The server-level key of stacks generated before 2026-12 (agentKey server). */
export const SERVER_KEY_VAR = 'BINDPLANE_SECRET_KEY';
/** The person's Bindplane resources, applied by first start in file-name order. */
export const RESOURCES_DIR = 'resources';

/** Where the generator writes the starter configuration (a generated file: edits merge, a deletion stays). */
export const STARTER_FILE = `${RESOURCES_DIR}/10-demo-agents.yaml`;

export interface StarterConfiguration {
  configuration: string;
  destination: string;
  /** The label that binds the demo agents to it (Bindplane's `configuration=<name>` selector). */
  label: { key: string; value: string };
}

export interface FirstStart {
  /** Whether make start creates the organization and reads the project's key (false: a legacy stack). */
  enabled: boolean;
  /** Whether the Bindplane processes get a server-level BINDPLANE_SECRET_KEY (legacy stacks only). */
  serverKey: boolean;
  organization: string;
  /** The .env key agents' OPAMP_SECRET_KEY comes from. */
  agentKeyVar: string;
  /**
   * The compose value of the demo agents' OPAMP_SECRET_KEY. The project's key may be absent until
   * first start has run, and the other services must start before it: it defaults to empty there.
   */
  agentKeyRef: string;
  /** Why the demo agents' key is what it is, as the compose file's comment says it. */
  agentKeyNote: string;
  /** The service whose bindplane CLI first start runs (it is never behind the load balancer). */
  cliService: string;
  /** The URL the CLI uses inside that container: the process itself, plain HTTP whatever the TLS answer. */
  localUrl: string;
  resourcesDir: string;
  /** The demo agents' starter configuration, with demo agents on Compose only. */
  starter?: StarterConfiguration;
  /** Whether make start enrolls demo agents after the first start (demo agents on Compose, project key). */
  enrollsAgents: boolean;
  /** Seconds first start waits for the API, and for the type library of a new database. */
  waitSeconds: number;
  /** The README's words: how agents authenticate, what the first start does, and the demo agents' note. */
  words: { agents: string; firstStart: string; demoAgents: string; agentNotConnectedFix: string; steps: string };
}

function firstStartWords(enabled: boolean, organization: string, starter: StarterConfiguration | undefined, start: string): FirstStart['words'] {
  if (!enabled)
    return {
      agents: `with the secret key \`${SERVER_KEY_VAR}\` from \`.env\`. This stack gives the server a key of its own, as stacks made before 2026-12 did; today's enterprise server refuses it (agents get 401 Unauthorized). To move, regenerate with \`--agent-key project\`, then \`${start}\`: it creates the organization and puts the project's key in \`.env\``,
      firstStart: '',
      demoAgents: `Demo agents present \`${SERVER_KEY_VAR}\`, which today's enterprise server refuses: regenerate with \`--agent-key project\` to move them to the project's key.`,
      agentNotConnectedFix:
        "this stack's agents present a server-level key, which the enterprise server refuses: regenerate with --agent-key project, then make start",
      steps: '',
    };
  return {
    agents: `with the project's key \`${PROJECT_KEY_VAR}\`, which \`${start}\` writes to \`.env\` (a new one after \`make delete\`, since the key lives in the database)`,
    firstStart:
      `The first \`${start}\` also sets up the server: it waits for the API, creates the organization \`${organization}\` ` +
      `(a new server has none, and answers 403 Forbidden until it has), writes the key of its Default Project to \`.env\` as \`${PROJECT_KEY_VAR}\`, ` +
      `and applies the resources in \`${RESOURCES_DIR}/\` in the order of their names, retrying while a new database still seeds its types. ` +
      'Later runs only compare the key with `.env`; `make apply` applies `resources/` again.',
    // The doctor's fix, in the script beside the agent's service name ($s).
    agentNotConnectedFix: 'make logs SERVICE=$s shows why; make start re-enrolls an agent whose key or endpoint changed',
    // What the script's first-start line announces.
    steps: starter ? 'organization, project key, demo agents' : 'organization, project key',
    demoAgents: starter
      ? `Demo agents start after the first start, dial with the project's key and get the starter configuration \`${starter.configuration}\` (\`${STARTER_FILE}\`) by their label \`${starter.label.key}=${starter.label.value}\`. ` +
        'An agent obeys the `manager.yaml` in its volume once it has one, not its variables: when the key or the endpoint changes, `make start` rewrites that file (`scripts/enroll-agent.sh`), keeping the agent id. ' +
        'Their healthcheck only knows that the process lives: `make status` lists the agents the server knows, and `make doctor` fails naming an agent that runs but is not connected.'
      : '',
  };
}

export function firstStart(a: Answers): FirstStart {
  const enabled = a.agentKey === 'project';
  const starter: StarterConfiguration | undefined =
    enabled && a.platform === 'compose' && (a.demoAgents ?? 0) > 0
      ? {
          configuration: `${a.projectName}-demo`,
          destination: `${a.projectName}-demo-debug`,
          label: { key: 'configuration', value: `${a.projectName}-demo` },
        }
      : undefined;
  return {
    enabled,
    serverKey: !enabled,
    organization: a.organizationName ?? a.projectName,
    agentKeyVar: enabled ? PROJECT_KEY_VAR : SERVER_KEY_VAR,
    agentKeyRef: enabled ? `\${${PROJECT_KEY_VAR}:-}` : `\${${SERVER_KEY_VAR}:?run the generator to create .env}`,
    agentKeyNote: enabled
      ? "The project's key, which make start reads from the server into .env before it starts the agents."
      : "The server's secret key; enterprise releases may want a project's key instead (see README).",
    cliService: JOBS_SERVICE,
    localUrl: `http://127.0.0.1:${PORTS.bindplane}`,
    resourcesDir: RESOURCES_DIR,
    starter,
    enrollsAgents: starter !== undefined,
    waitSeconds: 180,
    words: firstStartWords(enabled, a.organizationName ?? a.projectName, starter, a.platform === 'kubernetes' ? 'make deploy' : 'make start'),
  };
}

/** The demo agents' labels: the starter configuration's selector when there is one. */
export function demoAgentLabels(a: Answers, fs: FirstStart): string {
  const base = `demo=true,project=${a.projectName}`;
  return fs.starter ? `${fs.starter.label.key}=${fs.starter.label.value},${base}` : base;
}
