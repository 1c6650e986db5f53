// The words of the Kubernetes README, kustomization, values and kube.sh that depend on the
// answers: the bus, PostgreSQL, TLS, the counts, and which of our own objects exist.
import path from 'node:path';
import type { Answers } from '../../answers/schema.js';
import { counted, listed } from '../core/words.js';
import { LOCAL_COPIES } from '../core/names.js';
import type { KubernetesModel, KubernetesWords } from './shapes.js';
import type { KubernetesNames } from './names.js';
import type { KubernetesPostgres } from './postgres.js';

type Bus = KubernetesModel['pubsub'];

function busWords(names: KubernetesNames, bus: Bus): Pick<KubernetesWords, 'bus' | 'busLabel'> {
  if (!bus) return { bus: `NATS in the chart's StatefulSet \`${names.nats}\` (3 servers; clients dial \`${names.natsClient}\`)`, busLabel: 'NATS (3 servers)' };
  if (bus.emulator)
    return { bus: `Pub/Sub through the emulator \`${names.pubsubEmulator}\` (k8s/pubsub-emulator.yaml), topic \`${bus.topic}\``, busLabel: 'Pub/Sub emulator' };
  return {
    bus: `Google Pub/Sub (project ${bus.projectId}, topic \`${bus.topic}\`), with the service account's key from the Secret \`${names.pubsubSecret}\``,
    busLabel: 'Google Pub/Sub',
  };
}

function postgresWords(
  a: Answers,
  names: KubernetesNames,
  postgres: KubernetesPostgres,
): Pick<KubernetesWords, 'postgres' | 'postgresLabel' | 'deleteDatabase' | 'postgresCa'> {
  if (postgres.external)
    return {
      postgresCa: postgresCaWords(postgres),
      postgres: `the external PostgreSQL at \`${postgres.host}:${postgres.port}\` (${sslWords(postgres)}); its database \`${postgres.database}\`, user and \`POSTGRES_PASSWORD\` from \`.env\` must exist there, and its max_connections must be at least ${postgres.serverMaxConnections}`,
      postgresLabel: `${postgres.host} (external)`,
      deleteDatabase: ' stays (it is external), but its',
    };
  return {
    postgres: `PostgreSQL ${a.postgresVersion} in the StatefulSet \`${names.postgres}\` (k8s/postgres.yaml) with a ${postgres.storage} volume claim, max_connections ${postgres.serverMaxConnections}`,
    postgresLabel: names.postgres,
    deleteDatabase: ',',
  };
}

/** How Bindplane's connection to an external server is secured. */
function sslWords(postgres: KubernetesPostgres): string {
  return postgres.ca ? `sslmode ${postgres.sslmode} against your CA` : `sslmode ${postgres.sslmode}`;
}

/** With a CA: what the stack sets up for verify-full, and what could not be run here. */
function postgresCaWords(postgres: KubernetesPostgres): string | undefined {
  if (!postgres.ca) return undefined;
  return (
    `Bindplane checks the external PostgreSQL's certificate (sslmode verify-full): it must be signed by your CA and name \`${postgres.host}\`. ` +
    `The CA is copied into \`${LOCAL_COPIES.postgresCaFile}\` (git-ignored: a clone copies it again from your file, \`--postgres-ca-file\`); kustomize makes the Secret ` +
    `\`${postgres.ca.secret}\` of it, which the chart mounts at \`/postgres-tls\` with \`BINDPLANE_POSTGRES_SSL_ROOT_CERT=/postgres-tls/${postgres.ca.rootCertSubPath}\` ` +
    'and no client certificate. The generator checks that the file is a PEM certificate, and its tests that the chart renders the mount and the variable; ' +
    "how Bindplane then uses the variable was not run against a server there: should it not connect, look in its pods' logs (`make logs`)."
  );
}

function tlsWords(a: Answers, names: KubernetesNames): string {
  const tlsDir = `${path.posix.dirname(LOCAL_COPIES.tlsCertFile)}/`;
  if (a.tls === 'none') return 'The Ingress serves plain HTTP (tls none).';
  if (a.tls === 'selfSigned')
    return `The Ingress serves TLS with a self-signed certificate (\`make certs\` makes it in \`${tlsDir}\`), from the Secret \`${names.tlsSecret}\`: agents need \`OPAMP_TLS_SKIP_VERIFY=true\` or the certificate as their CA.`;
  return `The Ingress serves TLS with your certificate (copied into \`${tlsDir}\`), from the Secret \`${names.tlsSecret}\`.`;
}

/** Our own objects beside the namespace and the Secrets, named three ways from one list. */
function ownObjectWords(a: Answers, postgres: KubernetesPostgres, bus: Bus): Pick<KubernetesWords, 'ownObjects' | 'kustomized' | 'deployedFirst'> {
  const extra = [...(postgres.external ? [] : ['PostgreSQL']), ...(bus?.emulator ? ['the Pub/Sub emulator'] : [])];
  // k8s/networkpolicy.yaml guards our own pods, if any, and the nodes unless every namespace may in;
  // only a network plugin that supports them enforces them.
  const ns = a.ingressNamespace ?? '*';
  const reach = [
    ...(extra.length ? [`only Bindplane reach ${extra.join(' and ')}`] : []),
    ...(ns === '*' ? [] : [`only this namespace and \`${ns}\` (the ingress controller's: \`--ingress-namespace\`) reach the Bindplane nodes`]),
  ];
  // No comma inside: listed() joins the objects with them.
  const policies = reach.length ? [`NetworkPolicies that let ${reach.join(' and let ')} where the cluster's network plugin enforces them`] : [];
  return {
    ownObjects: listed(['the namespace', ...extra, 'the Secrets', ...policies]),
    kustomized: ['the namespace', ...extra].join(', '),
    deployedFirst: ['namespace', 'Secrets', ...extra].join(', '),
  };
}

export function kubernetesWords(a: Answers, names: KubernetesNames, postgres: KubernetesPostgres, bus: Bus): KubernetesWords {
  const tls = a.tls !== 'none';
  return {
    ...busWords(names, bus),
    ...postgresWords(a, names, postgres),
    ...ownObjectWords(a, postgres, bus),
    tls: tlsWords(a, names),
    nodes: counted(a.instances, 'Bindplane node'),
    nodePods: counted(a.instances, 'node pod'),
    transformAgents: a.transformAgents > 0 ? ` and ${counted(a.transformAgents, 'transform agent')}` : '',
    restartsNats: bus ? '' : ', the NATS servers',
    valuesSecrets: [
      names.appSecret,
      ...(tls ? [names.tlsSecret] : []),
      ...(bus?.credentials ? [bus.credentials.secret] : []),
      ...(postgres.ca ? [postgres.ca.secret] : []),
    ]
      .map((n) => `\`${n}\``)
      .join(', '),
  };
}
