// Every warning a run gives, in one place, so the CLI, `yo` and the library say the same: answer
// changes that regeneration alone cannot make safe, secrets made anew, the Kubernetes slice's own,
// and a Compose project of the same name elsewhere. The last asks Docker: the run stage gathers
// it (projectClashFor) and hands it to the pure plan, which calls runWarnings.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { flagOf, type Answers } from '../answers/schema.js';
import { ENV_FILE } from '../facts/stack-files.js';
import type { Model } from '../model/index.js';
import { platformWarnings } from '../model/kubernetes/warnings.js';
import type { GenerationRecord } from '../update/record.js';
import type { Mode } from './types.js';

/** The warnings of a run, in the order they are shown; the project clash last. */
export function runWarnings(w: { record: GenerationRecord | undefined; model: Model; envAdded: readonly string[]; clash?: string }): string[] {
  return [...answerWarnings(w.record, w.model), ...secretWarnings(w.record, w.envAdded, w.model.answers.platform), ...(w.clash ? [w.clash] : [])];
}

/** Answer changes that regeneration alone cannot make safe. */
export function answerWarnings(record: GenerationRecord | undefined, model: Model): string[] {
  const answers = model.answers;
  const out: string[] = [];
  const pgBefore = record?.answers.postgresVersion;
  const major = (v: string) => Number.parseInt(v, 10);
  if (typeof pgBefore === 'string' && major(pgBefore) !== major(answers.postgresVersion))
    out.push(
      `--postgres-version goes from ${pgBefore} to ${answers.postgresVersion}: PostgreSQL does not start on another major release's data. ` +
        'Take a backup first (make backup), then `make delete CONFIRM=yes`, `make start` and `make restore FILE=...`.',
    );
  out.push(...platformWarnings(record?.answers, model));
  const projectBefore = record?.answers.projectName;
  // On Kubernetes, platformWarnings says what a new projectName means there.
  if (
    answers.platform === 'compose' &&
    (record?.answers.platform ?? 'compose') === 'compose' &&
    typeof projectBefore === 'string' &&
    projectBefore !== answers.projectName
  )
    out.push(
      `--project-name goes from ${projectBefore} to ${answers.projectName}: make start will start a second, empty stack, and the old one keeps running ` +
        `with its data. To move the data: make backup COMPOSE="docker compose -p ${projectBefore}" (it dumps the old stack's database), ` +
        `stop the old stack with \`docker compose -p ${projectBefore} down\` (add --volumes to delete its data), then make start and make restore FILE=...`,
    );
  const versionBefore = record?.answers.bindplaneVersion;
  if (typeof versionBefore === 'string' && versionBefore !== answers.bindplaneVersion)
    out.push(
      answers.platform === 'kubernetes'
        ? `--bindplane-version goes from ${versionBefore} to ${answers.bindplaneVersion}: take a backup first (make backup), then make deploy; the chart's Deployments replace one pod at a time.`
        : `--bindplane-version goes from ${versionBefore} to ${answers.bindplaneVersion}: apply it with make upgrade (a backup, then one instance at a time), not make start, which replaces every instance at once.`,
    );
  const agentWiring = (['httpPort', 'tls'] as const).filter((k) => record && record.answers[k] !== undefined && record.answers[k] !== answers[k]);
  if (answers.demoAgents > 0 && agentWiring.length > 0)
    out.push(
      `${agentWiring.map((k) => `--${flagOf(k)}`).join(' and ')} changed: the demo agents keep the endpoint they first connected with (their manager.yaml, in their volumes). ` +
        `Give them the new one: docker compose rm -sf ${model.demoAgents.agents.map((d) => d.name).join(' ')} && docker volume rm ${model.demoAgents.agents.map((d) => `${model.project}_${d.volume}`).join(' ')}, then make start.`,
    );
  return out;
}

/** What a secret made anew means for a stack that existed before: its data may still expect the old one. */
const SECRET_CONSEQUENCES: { [key: string]: string } = {
  POSTGRES_PASSWORD:
    "if this stack's database volume exists, it still has the old password and Bindplane cannot log in: restore .env from your copy, " +
    'or start PostgreSQL (docker compose up -d postgres) and run bindplane-distributed . --rotate-secret POSTGRES_PASSWORD, which sets a new one in both',
  BINDPLANE_SECRET_KEY: 'agents that connected with the old key must be given the new one',
  KAFKA_CLUSTER_ID: 'Kafka refuses data volumes of another cluster id: restore .env from your copy, or make delete CONFIRM=yes to start Kafka afresh',
};

/** On Kubernetes the database is the StatefulSet's volume claim, and rotation of its password is Compose only. */
const KUBERNETES_SECRET_CONSEQUENCES: { [key: string]: string } = {
  POSTGRES_PASSWORD:
    "if this stack's PostgreSQL volume claim exists, it still has the old password and Bindplane cannot log in: restore .env from your copy " +
    '(or set the new password in the database yourself, e.g. ALTER ROLE through kubectl exec, then make deploy)',
};

export function secretWarnings(record: GenerationRecord | undefined, added: readonly string[], platform: string): string[] {
  if (!record) return [];
  const consequences = platform === 'kubernetes' ? { ...SECRET_CONSEQUENCES, ...KUBERNETES_SECRET_CONSEQUENCES } : SECRET_CONSEQUENCES;
  return added.map((key) => `${key} was missing from ${ENV_FILE} and is made anew: ${consequences[key] ?? 'the old value no longer applies'}.`);
}

interface ComposeProject {
  Name?: string;
  Status?: string;
  ConfigFiles?: string;
}

/**
 * The project-clash warning of a run, or undefined. Compose projects share containers and volumes
 * by name (Kubernetes namespaces are another matter); asked only when the name is new to the stack.
 */
export function projectClashFor(mode: Mode, answers: Answers, previous: Partial<Answers> | undefined, dest: string): string | undefined {
  if (mode === 'check' || answers.platform !== 'compose' || previous?.projectName === answers.projectName) return undefined;
  return projectClash(answers.projectName, dest);
}

// Two stacks with one Compose project name share containers and volumes: `make delete` in one
// removes the other's data.
/** A warning when Docker runs a project named `project` whose files are not in `dest`; nothing when Docker is absent or quiet. */
export function projectClash(project: string, dest: string, env: NodeJS.ProcessEnv = process.env): string | undefined {
  // Without an engine to ask, nothing can clash; asking a missing one would only cost time.
  if (!env.DOCKER_HOST && !existsSync('/var/run/docker.sock')) return undefined;
  const r = spawnSync('docker', ['compose', 'ls', '--all', '--format', 'json'], { encoding: 'utf8', timeout: 3000, env });
  if (r.status !== 0 || !r.stdout) return undefined;
  let projects: ComposeProject[];
  try {
    projects = JSON.parse(r.stdout) as ComposeProject[];
  } catch {
    return undefined;
  }
  const same = projects.find((p) => p.Name === project);
  if (!same) return undefined;
  const folders = (same.ConfigFiles ?? '')
    .split(',')
    .filter(Boolean)
    .map((f) => path.dirname(f));
  if (folders.includes(dest)) return undefined;
  return (
    `a Compose project named ${project} already exists (${same.Status ?? 'status unknown'}${folders.length ? `, from ${folders.join(', ')}` : ''}): ` +
    `this stack would share its containers and volumes, and make delete here would remove its data. Choose another name with --project-name NAME.`
  );
}
