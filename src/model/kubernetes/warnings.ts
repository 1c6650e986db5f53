// Changes of answers that regeneration alone cannot make safe, on or across the platforms:
// a switch leaves the old platform's stack running with its data, and a new projectName on
// Kubernetes is a new release in a new namespace.
import type { Model } from '../index.js';

export function platformWarnings(before: { platform?: unknown; projectName?: unknown } | undefined, model: Model): string[] {
  if (!before) return [];
  const platformBefore = before.platform ?? 'compose';
  const out: string[] = [];
  if (platformBefore === 'compose' && model.platform === 'kubernetes')
    out.push(
      `--platform goes from compose to kubernetes: the Compose files are removed, but the Compose stack's containers and volumes stay, with its data. ` +
        `If you took no make backup before this run, dump the database now (docker compose -p ${model.project} exec -T postgres pg_dump -U ${model.db.user} -d ${model.db.name} --format=custom > backups/compose.dump), ` +
        `then make deploy and make restore FILE=backups/compose.dump; stop the old stack with docker compose -p ${model.project} down when you no longer need it.`,
    );
  if (platformBefore === 'kubernetes' && model.platform === 'compose')
    out.push(
      `--platform goes from kubernetes to compose: the release ${String(before.projectName ?? model.project)} keeps running in its cluster, with its data. ` +
        'Take make backup there first if you have not (with the Kubernetes files, say from git), then make start and make restore FILE=... here.',
    );
  const projectBefore = before.projectName;
  if (model.kubernetes && platformBefore === 'kubernetes' && typeof projectBefore === 'string' && projectBefore !== model.project)
    out.push(
      `--project-name goes from ${projectBefore} to ${model.project}: make deploy installs a second, empty release in the namespace ${model.kubernetes.names.namespace}, ` +
        `and the release ${projectBefore} keeps running in its namespace with its data. Take make backup before this run (or with the old files), ` +
        `then make deploy and make restore FILE=...; remove the old one with helm uninstall ${projectBefore} -n ${projectBefore} and kubectl delete namespace ${projectBefore}.`,
    );
  return out;
}
