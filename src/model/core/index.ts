// The model's core: what both platforms share. The answers, the project, the secrets and the
// copies, the first start, the day-2 operations, and the words of the Makefile, the operations
// script and the stack's own files. The platform slices (compose/, kubernetes/) build on it.
import type { Answers } from '../../answers/schema.js';
import { commandWords, type CommandWords } from './command.js';
import { fileCopies, type Copies } from './copies.js';
import { firstStart, type FirstStart } from './first-start.js';
import { DB, DEMO_AGENT_PREFIX, LOCAL_COPIES, LOCAL_DIR, range } from './names.js';
import { operations, type Operations } from './operations.js';
import { makefileWords, scriptWords, type MakefileWords, type ScriptWords } from './operations-words.js';
import { postgresSizing, type PostgresSizing } from './postgres-sizing.js';
import { stackSecrets, type Secret } from './secrets.js';
import { stackFiles, type StackFiles } from './stack-files.js';
import { certificateNames, tlsModel, type TlsModel } from './tls.js';

export interface ModelCore extends Copies {
  answers: Answers;
  platform: Answers['platform'];
  project: string;
  remoteUrl: string;
  /** How agents outside the stack reach OpAMP. */
  agentUrl: string;
  db: typeof DB;
  localDir: string;
  localCopies: typeof LOCAL_COPIES;
  secrets: Secret[];
  /** PostgreSQL's max_connections and the processes it is sized for (postgres-sizing.ts). */
  postgresSizing: PostgresSizing;
  /** The demo agents the answers ask for (they run on Compose only): one service and one volume each. */
  demoAgents: { count: number; enabled: boolean; agents: { name: string; volume: string }[] };
  /** How agents authenticate and what the first start does (first-start.ts). */
  firstStart: FirstStart;
  /** What the day-2 targets act on (operations.ts). */
  ops: Operations;
  /** How to get the generator's command, for regeneration. */
  command: CommandWords;
  /** The TLS answer as booleans, and the self-signed certificate's names. */
  tls: TlsModel;
  tlsCert: { commonName: string; subjectAltNames: string };
  /** The stack's own files and the merge markers (stack-files.ts). */
  stackFiles: StackFiles;
  /** The Makefile's and the operations script's words (operations-words.ts). */
  make: MakefileWords;
  script: ScriptWords;
}

export function buildCore(a: Answers): ModelCore {
  const start = firstStart(a);
  const secrets = stackSecrets(a, start);
  const tls = tlsModel(a);
  const demoAgents = range(a.demoAgents ?? 0).map((i) => ({ name: `${DEMO_AGENT_PREFIX}${i}`, volume: `${DEMO_AGENT_PREFIX}${i}-data` }));
  return {
    answers: a,
    platform: a.platform,
    project: a.projectName,
    remoteUrl: a.remoteUrl,
    agentUrl: `${a.remoteUrl.replace(/^http/, 'ws')}/v1/opamp`,
    db: DB,
    localDir: LOCAL_DIR,
    localCopies: LOCAL_COPIES,
    ...fileCopies(a),
    secrets,
    postgresSizing: postgresSizing(a),
    demoAgents: { count: demoAgents.length, enabled: demoAgents.length > 0, agents: demoAgents },
    firstStart: start,
    ops: operations(secrets, a.platform),
    command: commandWords(),
    tls,
    tlsCert: certificateNames(a.remoteUrl),
    stackFiles: stackFiles(),
    make: makefileWords(a.platform, tls, start.enabled),
    script: scriptWords(a.platform, start.enabled),
  };
}
