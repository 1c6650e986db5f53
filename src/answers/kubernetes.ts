// Answers that mean nothing, or cannot work, on Kubernetes: each refused with what is allowed
// instead. (httpPort is mapped, not refused: it is the local port of `make port-forward`.)
import { chartFullname, DNS1123_LABEL, FULLNAME_MAX } from '../facts/kubernetes-names.js';
import type { AnswerName, Answers } from './schema.js';

export interface Refusal {
  answer: AnswerName;
  why: string;
}

const IPV4 = /^\d+\.\d+\.\d+\.\d+$/;

/** Namespaces the cluster itself uses: the project name is the namespace `make delete` deletes. */
export function isClusterNamespace(name: string): boolean {
  return name === 'default' || name.startsWith('kube-');
}

/** What Kubernetes refuses of the answers known so far (a prompt checks one answer as it is typed). */
export function kubernetesRefusals(a: Partial<Answers>): Refusal[] {
  if (a.platform !== 'kubernetes') return [];
  const out: Refusal[] = [];
  if (a.eventBus === 'kafka')
    out.push({
      answer: 'eventBus',
      why: 'kafka is not available on kubernetes: the official chart removed it (deprecated in 2024); use nats (the chart runs its own NATS servers) or pubsub (Google Pub/Sub, or its emulator)',
    });
  if ((a.demoAgents ?? 0) > 0)
    out.push({
      answer: 'demoAgents',
      why: `${a.demoAgents} demo agents: demo agents run only on compose; on kubernetes leave it out or give 0, and connect your own agents to the remote URL (--remote-url)`,
    });
  const fullname = a.projectName === undefined ? '' : chartFullname(a.projectName);
  const tooLong =
    fullname.length > FULLNAME_MAX ? ` (the chart would name its objects "${fullname}-…", over ${FULLNAME_MAX} characters before the suffix)` : '';
  if (a.projectName !== undefined && (!DNS1123_LABEL.test(a.projectName) || tooLong))
    out.push({
      answer: 'projectName',
      why:
        `${JSON.stringify(a.projectName)} cannot name a Helm release and a namespace${tooLong}: on kubernetes use lower-case letters, digits and "-", ` +
        `starting and ending with a letter or digit, at most ${FULLNAME_MAX - 10} characters (or ${FULLNAME_MAX} if it contains "bindplane")`,
    });
  else if (a.projectName !== undefined && isClusterNamespace(a.projectName))
    out.push({
      answer: 'projectName',
      why:
        `${JSON.stringify(a.projectName)} is a namespace of the cluster itself (default and kube-* are): on kubernetes the project name is the namespace ` +
        'the stack creates, and make delete deletes it with everything in it; choose a name of its own',
    });
  if (a.remoteUrl !== undefined && IPV4.test(new URL(a.remoteUrl).hostname))
    out.push({
      answer: 'remoteUrl',
      why: `${JSON.stringify(a.remoteUrl)}: the Ingress needs a host name, not an IP address; use a DNS name that points at your ingress controller`,
    });
  return out;
}
