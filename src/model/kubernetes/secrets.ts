// The Secrets on Kubernetes, built by kustomize's secretGenerator from the git-ignored .env and
// the git-ignored copies, so no secret is ever in a committed file. The chart reads fixed keys
// (username, password, sessions_secret, license) from the Secret named by config.secret; the .env
// keeps the Compose stack's names, so kustomize's replacements copy each value to the chart's key.
import type { Answers } from '../../answers/schema.js';
import { DB, LOCAL_COPIES } from '../core/names.js';
import type { KubernetesNames } from './names.js';
import type { KubernetesPostgres } from './postgres.js';

export interface GeneratedSecret {
  name: string;
  type?: string;
  /** env files read whole (KEY=value lines). */
  envs: string[];
  /** key=file pairs. */
  files: { key: string; path: string }[];
  /** key=value pairs that are not secret (names), so they may sit in a committed file. */
  literals: { key: string; value: string }[];
}

export interface KubernetesSecrets {
  envFile: string;
  generated: GeneratedSecret[];
  /** Keys of the app Secret that are copies of other keys of it: chart key <- .env key. */
  copies: { from: string; to: string }[];
  /** The app Secret's keys the values and our objects refer to. */
  keys: { postgresUser: string; postgresPassword: string; secretKey: string; license: string };
}

export const ENV_FILE_FOR_KUSTOMIZE = '.env';

export function kubernetesSecrets(
  a: Answers,
  names: KubernetesNames,
  tls: boolean,
  pubsubCredentials: boolean,
  postgresCa: KubernetesPostgres['ca'],
): KubernetesSecrets {
  const generated: GeneratedSecret[] = [
    {
      name: names.appSecret,
      envs: [ENV_FILE_FOR_KUSTOMIZE],
      files: [],
      literals: [
        { key: 'username', value: a.adminUsername },
        { key: 'POSTGRES_USER', value: DB.user },
      ],
    },
  ];
  if (tls)
    generated.push({
      name: names.tlsSecret,
      type: 'kubernetes.io/tls',
      envs: [],
      files: [
        { key: 'tls.crt', path: LOCAL_COPIES.tlsCertFile },
        { key: 'tls.key', path: LOCAL_COPIES.tlsKeyFile },
      ],
      literals: [],
    });
  if (pubsubCredentials)
    generated.push({ name: names.pubsubSecret, envs: [], files: [{ key: 'credentials.json', path: LOCAL_COPIES.pubsubCredentialsFile }], literals: [] });
  // Only the CA, under the key the chart's sslrootcertSubPath names: no client certificate or key.
  if (postgresCa)
    generated.push({ name: postgresCa.secret, envs: [], files: [{ key: postgresCa.rootCertSubPath, path: LOCAL_COPIES.postgresCaFile }], literals: [] });
  return {
    envFile: ENV_FILE_FOR_KUSTOMIZE,
    generated,
    copies: [
      { from: 'BINDPLANE_PASSWORD', to: 'password' },
      { from: 'BINDPLANE_SESSION_SECRET', to: 'sessions_secret' },
      { from: 'BINDPLANE_LICENSE', to: 'license' },
    ],
    keys: { postgresUser: 'POSTGRES_USER', postgresPassword: 'POSTGRES_PASSWORD', secretKey: 'BINDPLANE_SECRET_KEY', license: 'BINDPLANE_LICENSE' },
  };
}
