// Every file the generator writes, each with the condition under which it exists: the list says
// both what to write and, by omission, what has become stale.
import type { Model } from '../model/index.js';
import type { TemplateName } from './compiled-templates.js';

export interface FileSpec {
  path: string;
  template: TemplateName;
  when?: (m: Model) => boolean;
  mode?: number;
}

export const FILES: readonly FileSpec[] = [
  { path: 'docker-compose.yml', template: 'docker-compose.yml' },
  { path: 'bindplane/bindplane.env', template: 'bindplane.env' },
  { path: 'nginx/nginx.conf', template: 'nginx.conf' },
  { path: 'prometheus/prometheus.yml', template: 'prometheus.yml' },
  { path: 'prometheus/rules/bindplane.yml', template: 'bindplane-rules.yml' },
  { path: 'Makefile', template: 'Makefile' },
  { path: 'README.md', template: 'README.md' },
  { path: '.gitignore', template: 'gitignore' },
  { path: 'scripts/stack.sh', template: 'stack.sh', mode: 0o755 },
  { path: 'scripts/tls-self-signed.sh', template: 'tls-self-signed.sh', when: (m) => m.lb.tls === 'selfSigned', mode: 0o755 },
];
