// The day-2 slice both platforms share: where backups go, which keys .env must hold, which secrets
// `--rotate-secret` may replace, and how long a rollout may take. The Compose stack's own rules
// (the services its script looks for, the doctor's sizing) are compose/operations.ts.
import type { Secret } from './secrets.js';

export interface Operations {
  backupsDir: string;
  /** Keys the stack requires from .env. */
  envKeys: string[];
  /**
   * Secrets `--rotate-secret` may replace. Not the Kafka cluster id (an identity, not a secret), nor the
   * admin password: whether Bindplane applies a changed BINDPLANE_PASSWORD to an existing user is not
   * verified, and a wrong guess locks the admin out (change it in Bindplane's UI).
   */
  rotatable: string[];
  /** The same list in words, for READMEs. */
  rotatableText: string;
  /** The lists as the Makefile and the scripts spell them. */
  lists: { envKeys: string; rotatable: string; rotatableChoices: string; rotatableCommas: string };
  /** The doctor's fix for a key missing from .env. */
  missingKeyFix: string;
  /** Seconds `make upgrade` and `make restart` wait for one service to be healthy. */
  waitSeconds: number;
}

export function operations(secrets: Secret[], platform: 'compose' | 'kubernetes' = 'compose'): Operations {
  // --rotate-secret changes the database's own password through docker compose, which a cluster has not.
  const rotatable = secrets
    .filter((s) => s.kind !== 'kafkaClusterId' && s.key !== 'BINDPLANE_PASSWORD' && !(platform === 'kubernetes' && s.key === 'POSTGRES_PASSWORD'))
    .map((s) => s.key);
  return {
    backupsDir: 'backups',
    envKeys: secrets.map((s) => s.key),
    rotatable,
    rotatableText: rotatable.map((k) => `\`${k}\``).join(' and '),
    lists: {
      envKeys: secrets.map((s) => s.key).join(' '),
      rotatable: rotatable.join(' '),
      rotatableChoices: rotatable.join('|'),
      rotatableCommas: rotatable.join(', '),
    },
    missingKeyFix:
      platform === 'kubernetes'
        ? 'run the generator again: it adds missing keys'
        : 'run the generator again: it adds missing keys (see the warning it prints about the database)',
    // Long enough for a Bindplane start-up (the healthcheck's start period is 60 s, then 12 tries 5 s apart).
    waitSeconds: 300,
  };
}
