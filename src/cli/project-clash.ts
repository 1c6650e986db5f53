// Two stacks with one Compose project name share containers and volumes: `make delete` in one
// removes the other's data. Warn when a project of that name already runs from another folder.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';

interface ComposeProject {
  Name?: string;
  Status?: string;
  ConfigFiles?: string;
}

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
