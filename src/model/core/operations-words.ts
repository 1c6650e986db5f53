// The words of the Makefile and of the operations script (scripts/stack.sh on Compose,
// scripts/kube.sh on Kubernetes) that depend on the platform and the answers: the targets, the
// first target's rule and help line, the script's path and its usage line.
import type { Answers } from '../../answers/schema.js';
import type { TlsModel } from './tls.js';

export const COMPOSE_SCRIPT = 'scripts/stack.sh';
export const KUBE_SCRIPT = 'scripts/kube.sh';

export interface MakefileWords {
  phony: string;
  /** Variables recipes take, never exported as they are. */
  unexport: string;
  /** The target that starts the stack (start on Compose, deploy on Kubernetes): its rule line and help. */
  firstRule: string;
  firstHelp: string;
}

export interface ScriptWords {
  path: string;
  /** The commands as the script's header lists them, and as its usage error does. */
  usage: string;
  usageCompact: string;
}

interface PlatformWords {
  targets: string[];
  unexport: string;
  rule: (certs: string[]) => string;
  help: (firstStart: boolean) => string;
  script: string;
  commands: string[];
  /** The usage error's list, when it differs from the header's (kube.sh's header omits markers). */
  compactCommands?: string[];
}

const COMPOSE: PlatformWords = {
  targets: [
    'help',
    'start',
    'stop',
    'restart',
    'restart-all',
    'upgrade',
    'backup',
    'restore',
    'doctor',
    'rotate-secret',
    'delete',
    'status',
    'logs',
    'license',
  ],
  unexport: 'NAME FILE SERVICE',
  rule: (certs) => ['start:', 'license', ...certs].join(' '),
  help: (firstStart) =>
    firstStart
      ? 'Start the stack (the first time: create the organization, read its key) and wait until every service is healthy'
      : 'Start the stack (or apply a regeneration) and wait until every service is healthy',
  script: COMPOSE_SCRIPT,
  commands: ['start', 'upgrade', 'restart', 'backup', 'restore FILE', 'doctor', 'status', 'markers', 'reload', 'delete'],
};

const KUBERNETES: PlatformWords = {
  targets: ['help', 'start', 'deploy', 'restart', 'status', 'logs', 'port-forward', 'backup', 'restore', 'doctor', 'delete'],
  unexport: 'NAME FILE',
  rule: (certs) => ['deploy:', ...certs].join(' '),
  help: (firstStart) =>
    'Apply kustomization.yaml, helm upgrade --install the pinned chart, wait until it is ready' +
    (firstStart ? ', then create the organization and read its key the first time' : ''),
  script: KUBE_SCRIPT,
  commands: ['deploy', 'restart', 'status', 'logs [NAME]', 'port-forward', 'backup', 'restore FILE', 'doctor', 'delete'],
  compactCommands: ['deploy', 'restart', 'status', 'logs [NAME]', 'port-forward', 'backup', 'restore FILE', 'doctor', 'markers', 'delete'],
};

const wordsOf = (platform: Answers['platform']) => (platform === 'kubernetes' ? KUBERNETES : COMPOSE);

export function makefileWords(platform: Answers['platform'], tls: TlsModel, firstStart: boolean): MakefileWords {
  const w = wordsOf(platform);
  const certs = tls.on ? ['certs'] : [];
  return {
    phony: [...w.targets, ...certs, ...(firstStart ? ['apply'] : [])].join(' '),
    unexport: w.unexport,
    firstRule: w.rule(certs),
    firstHelp: w.help(firstStart),
  };
}

export function scriptWords(platform: Answers['platform'], firstStart: boolean): ScriptWords {
  const w = wordsOf(platform);
  const apply = firstStart ? ['apply'] : [];
  return { path: w.script, usage: [...w.commands, ...apply].join(' | '), usageCompact: [...(w.compactCommands ?? w.commands), ...apply].join('|') };
}
