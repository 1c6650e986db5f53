// Every file the generator writes, each with the condition under which it exists: the list says
// both what to write and, by omission, what has become stale. One path may have a template per
// platform (Makefile, README.md): exactly one of its conditions holds.
import { COMPOSE_SCRIPT, KUBE_SCRIPT } from '../model/core/operations-words.js';
import type { Model } from '../model/index.js';
import { STARTER_FILE } from '../model/core/first-start.js';
import { RESOURCE_FILES } from '../model/kubernetes/index.js';
import type { TemplateName } from './compiled-templates.js';

export interface FileSpec {
  path: string;
  template: TemplateName;
  when?: (m: Model) => boolean;
  mode?: number;
  /** Every stack has this path, whatever the answers (one of its templates is written): preflight refuses a foreign file there before any question. */
  everyStack?: true;
}

const compose = (m: Model) => m.platform === 'compose';
const kubernetes = (m: Model) => m.platform === 'kubernetes';
const ownResource = (m: Model, file: string) => kubernetes(m) && m.kubernetes!.resources.includes(file);

export const FILES: readonly FileSpec[] = [
  { path: 'docker-compose.yml', template: 'compose/docker-compose.yml', when: compose },
  { path: 'bindplane/bindplane.env', template: 'compose/bindplane.env', when: compose },
  { path: 'nginx/nginx.conf', template: 'compose/nginx.conf', when: compose },
  { path: 'prometheus/prometheus.yml', template: 'compose/prometheus.yml', when: compose },
  { path: 'prometheus/rules/bindplane.yml', template: 'compose/bindplane-rules.yml', when: compose },
  { path: 'Makefile', template: 'compose/Makefile', when: compose, everyStack: true },
  { path: 'README.md', template: 'compose/README.md', when: compose, everyStack: true },
  { path: '.gitignore', template: 'core/gitignore', everyStack: true },
  { path: COMPOSE_SCRIPT, template: 'compose/stack.sh', mode: 0o755, when: compose },
  { path: 'scripts/first-start.sh', template: 'core/first-start.sh', when: (m) => m.firstStart.enabled },
  {
    path: 'scripts/enroll-agent.sh',
    template: 'compose/enroll-agent.sh',
    mode: 0o755,
    when: (m) => m.firstStart.enabled && compose(m) && m.demoAgents.count > 0,
  },
  { path: STARTER_FILE, template: 'compose/resources/demo-agents.yaml', when: (m) => m.firstStart.starter !== undefined },
  { path: 'scripts/tls-self-signed.sh', template: 'core/tls-self-signed.sh', when: (m) => m.tls.selfSigned, mode: 0o755 },
  { path: 'values.yaml', template: 'kubernetes/values.yaml', when: kubernetes },
  { path: 'kustomization.yaml', template: 'kubernetes/kustomization.yaml', when: kubernetes },
  // The kustomization's resources, as the model lists them.
  { path: RESOURCE_FILES.namespace, template: 'kubernetes/namespace.yaml', when: (m) => ownResource(m, RESOURCE_FILES.namespace) },
  { path: RESOURCE_FILES.postgres, template: 'kubernetes/postgres.yaml', when: (m) => ownResource(m, RESOURCE_FILES.postgres) },
  { path: RESOURCE_FILES.pubsubEmulator, template: 'kubernetes/pubsub-emulator.yaml', when: (m) => ownResource(m, RESOURCE_FILES.pubsubEmulator) },
  { path: RESOURCE_FILES.networkPolicy, template: 'kubernetes/networkpolicy.yaml', when: (m) => ownResource(m, RESOURCE_FILES.networkPolicy) },
  { path: 'Makefile', template: 'kubernetes/Makefile', when: kubernetes, everyStack: true },
  { path: 'README.md', template: 'kubernetes/README.md', when: kubernetes, everyStack: true },
  { path: KUBE_SCRIPT, template: 'kubernetes/kube.sh', mode: 0o755, when: kubernetes },
];
