// What a file answer must hold, checked wherever the answer comes from (a flag, an answers file,
// .yo-rc.json, a prompt): a service-account key, a PEM certificate, a PEM private key.
// Node's own crypto parses the PEM, so a key given as the certificate (or the other way round) is
// refused, and so is a key that does not belong to the certificate.
import { createPrivateKey, X509Certificate } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import type { FileContent } from './schema.js';

const MAX_BYTES = 1 << 20;

/** Why the file at `abs` cannot be the answer, in words that follow its quoted name; undefined when it can. */
export function fileContentProblem(abs: string, content: FileContent): string | undefined {
  let text: string;
  try {
    const st = statSync(abs);
    if (!st.isFile()) return 'is not a file';
    if (st.size > MAX_BYTES) return `is ${st.size} bytes, more than such a file holds`;
    text = readFileSync(abs, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    return code === 'ENOENT' ? 'does not exist' : `cannot be read (${code ?? (e as Error).message})`;
  }
  switch (content) {
    case 'service-account-key': {
      let parsed: unknown;
      try {
        parsed = JSON.parse(text);
      } catch {
        return 'is not JSON';
      }
      if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) return 'is not a JSON object';
      // Any JSON object would do for JSON.parse; only a key file is mounted into the containers.
      const key = parsed as { type?: unknown; private_key?: unknown };
      if (key.type !== 'service_account') return 'is not a service-account key (its "type" is not "service_account")';
      if (typeof key.private_key !== 'string' || !/-----BEGIN PRIVATE KEY-----[\s\S]+-----END PRIVATE KEY-----/.test(key.private_key))
        return 'is not a service-account key (it has no "private_key")';
      return undefined;
    }
    case 'pem-certificate':
      if (!/-----BEGIN [A-Z0-9 ]+-----/.test(text)) return 'is not PEM';
      if (!/-----BEGIN CERTIFICATE-----/.test(text))
        return isPrivateKey(text) ? 'is a private key, not a certificate: is it the key file?' : 'is PEM but not a certificate';
      return certificate(text) ? undefined : 'is not a readable PEM certificate';
    case 'pem-private-key':
      if (!/-----BEGIN [A-Z0-9 ]+-----/.test(text)) return 'is not PEM';
      if (isPrivateKey(text)) return undefined;
      return /-----BEGIN CERTIFICATE-----/.test(text)
        ? 'is a certificate, not a private key: is it the certificate file?'
        : 'is PEM but not a readable, unencrypted private key';
  }
}

/** Why a certificate and a key do not go together, or undefined when the key is the certificate's. */
export function keyPairProblem(certAbs: string, keyAbs: string): string | undefined {
  let certText: string;
  try {
    certText = readFileSync(certAbs, 'utf8');
  } catch {
    return undefined; // the certificate's own check says what is wrong with it
  }
  const cert = certificate(certText);
  if (!cert) return undefined;
  try {
    return cert.checkPrivateKey(createPrivateKey(readFileSync(keyAbs, 'utf8'))) ? undefined : 'is not the private key of the certificate';
  } catch {
    return undefined;
  }
}

function certificate(text: string): X509Certificate | undefined {
  try {
    return new X509Certificate(text);
  } catch {
    return undefined;
  }
}

function isPrivateKey(text: string): boolean {
  if (!/-----BEGIN ([A-Z]+ )?PRIVATE KEY-----/.test(text)) return false;
  try {
    createPrivateKey(text);
    return true;
  } catch {
    return false;
  }
}
