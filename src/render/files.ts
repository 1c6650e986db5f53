// Every file the generator writes, each with the condition under which it exists: the list says
// both what to write and, by omission, what has become stale. One path may have a template per
// platform (Makefile, README.md): exactly one of its conditions holds.
import type { Model } from '../model/index.js';
import { STARTER_FILE } from '../model/first-start.js';
import { RESOURCE_FILES } from '../model/kubernetes/index.js';
import type { TemplateName } from './compiled-templates.js';

export interface FileSpec {
  path: string;
  template: TemplateName;
  when?: (m: Model) => boolean;
  mode?: number;
}

const compose = (m: Model) => m.platform === 'compose';
const kubernetes = (m: Model) => m.platform === 'kubernetes';
const ownResource = (m: Model, file: string) => kubernetes(m) && m.kubernetes!.resources.includes(file);

export const FILES: readonly FileSpec[] = [
  { path: 'docker-compose.yml', template: 'docker-compose.yml', when: compose },
  { path: 'bindplane/bindplane.env', template: 'bindplane.env', when: compose },
  { path: 'nginx/nginx.conf', template: 'nginx.conf', when: compose },
  { path: 'prometheus/prometheus.yml', template: 'prometheus.yml', when: compose },
  { path: 'prometheus/rules/bindplane.yml', template: 'bindplane-rules.yml', when: compose },
  { path: 'Makefile', template: 'Makefile', when: compose },
  { path: 'README.md', template: 'README.md', when: compose },
  { path: '.gitignore', template: 'gitignore' },
  { path: 'scripts/stack.sh', template: 'stack.sh', mode: 0o755, when: compose },
  { path: 'scripts/first-start.sh', template: 'first-start.sh', when: (m) => m.firstStart.enabled },
  { path: 'scripts/enroll-agent.sh', template: 'enroll-agent.sh', mode: 0o755, when: (m) => m.firstStart.enabled && compose(m) && m.demoAgents.count > 0 },
  { path: STARTER_FILE, template: 'resources/demo-agents.yaml', when: (m) => m.firstStart.starter !== undefined },
  { path: 'scripts/tls-self-signed.sh', template: 'tls-self-signed.sh', when: (m) => m.lb.tls === 'selfSigned', mode: 0o755 },
  { path: 'values.yaml', template: 'kubernetes/values.yaml', when: kubernetes },
  { path: 'kustomization.yaml', template: 'kubernetes/kustomization.yaml', when: kubernetes },
  // The kustomization's resources, as the model lists them.
  { path: RESOURCE_FILES.namespace, template: 'kubernetes/namespace.yaml', when: (m) => ownResource(m, RESOURCE_FILES.namespace) },
  { path: RESOURCE_FILES.postgres, template: 'kubernetes/postgres.yaml', when: (m) => ownResource(m, RESOURCE_FILES.postgres) },
  { path: RESOURCE_FILES.pubsubEmulator, template: 'kubernetes/pubsub-emulator.yaml', when: (m) => ownResource(m, RESOURCE_FILES.pubsubEmulator) },
  { path: RESOURCE_FILES.networkPolicy, template: 'kubernetes/networkpolicy.yaml', when: (m) => ownResource(m, RESOURCE_FILES.networkPolicy) },
  { path: 'Makefile', template: 'kubernetes/Makefile', when: kubernetes },
  { path: 'README.md', template: 'kubernetes/README.md', when: kubernetes },
  { path: 'scripts/kube.sh', template: 'kubernetes/kube.sh', mode: 0o755, when: kubernetes },
];
