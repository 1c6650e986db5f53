// The git-ignored .env: generated secrets, merged key by key so that every value and every key
// the person added survives regeneration. Values are never returned for display.
import { randomBytes, randomUUID } from 'node:crypto';
import { StateError } from '../errors.js';
import { ENV_FILE } from '../facts/stack-files.js';
import type { Secret } from '../model/index.js';

const ALPHANUM = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

/** A random token of letters and digits: safe in compose interpolation, shells and URLs. */
export function randomToken(length: number): string {
  let out = '';
  while (out.length < length) {
    for (const byte of randomBytes(length * 2)) {
      // Rejection sampling keeps every character equally likely (248 = 4 * 62).
      if (byte < 248 && out.length < length) out += ALPHANUM[byte % 62];
    }
  }
  return out;
}

export function newSecretValue(secret: Secret): string {
  switch (secret.kind) {
    case 'uuid':
      return randomUUID();
    case 'token':
      return randomToken(secret.length ?? 32);
    case 'kafkaClusterId':
      // KRaft wants 16 random bytes in URL-safe base64 without padding (22 characters).
      return randomBytes(16).toString('base64url');
  }
}

/** Keys defined in an env file, in order. */
export function envKeys(text: string): string[] {
  const keys: string[] = [];
  for (const line of text.split('\n')) {
    const m = /^\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*=/.exec(line);
    if (m) keys.push(m[1]!);
  }
  return keys;
}

export function envHeader(project: string): string {
  return [
    `# Secrets of the ${project} stack, made by generator-bindplane-distributed from a cryptographic source.`,
    '# Git-ignored, mode 0600. Regeneration keeps every value here and every key you add;',
    '# it only adds keys that are missing. Never commit this file.',
    '#',
    '# Your Bindplane license goes here, unquoted (on Compose, exporting BINDPLANE_LICENSE before',
    '# `make start` works too; on Kubernetes kustomize reads it from this file only):',
    '# BINDPLANE_LICENSE=',
    '',
  ].join('\n');
}

export interface EnvMerge {
  text: string;
  /** Keys that were missing and were generated now. */
  added: string[];
}

/** Adds the secrets that `current` lacks, each made by `make`; `current` undefined means the file does not exist yet. */
export function mergeEnv(current: string | undefined, secrets: readonly Secret[], project: string, make: (s: Secret) => string = newSecretValue): EnvMerge {
  let text = current ?? envHeader(project);
  const have = new Set(envKeys(text));
  const added: string[] = [];
  for (const s of secrets) {
    if (have.has(s.key)) continue;
    if (text.length > 0 && !text.endsWith('\n')) text += '\n';
    text += `# ${s.purpose}\n${s.key}=${make(s)}\n`;
    added.push(s.key);
  }
  return { text, added };
}

/** Replaces KEY's value in the env file text, keeping every other line. */
export function replaceEnvValue(text: string, key: string, value: string): string {
  const line = new RegExp(`^(\\s*(?:export\\s+)?${key}\\s*=).*$`, 'm');
  if (!line.test(text)) throw new StateError(`${ENV_FILE} has no ${key}; run the generator first (it creates missing secrets)`);
  return text.replace(line, (_m, head: string) => `${head}${value}`);
}
