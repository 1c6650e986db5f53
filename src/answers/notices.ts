// Generator upgrades never change a stack by themselves: every fixed default is stored in
// .yo-rc.json when a stack is generated, so a newer generator keeps the stack's event bus and
// releases. What it does is say what is newer, and how to take it.
import { plainHttpEverywhere } from './plain-http.js';
import { unverifiedPostgresOf } from './unverified-postgres.js';
import { compareReleases } from '../facts/releases.js';
import { postgresMajor, UNSUPPORTED_POSTGRES } from './resolve.js';
import { ANSWERS, flagOf, PINNED, specOf, type AnswerName, type AnswerValue, type Answers } from './schema.js';

/** Defaults that earlier generator versions used. A stack still on one is told of today's default. */
export const FORMER_DEFAULTS: Partial<Record<AnswerName, readonly AnswerValue[]>> = {
  eventBus: ['kafka'],
  // A major alone floats: each pull may bring another minor release.
  postgresVersion: ['16'],
};

const PIN_WORDS: Record<keyof typeof PINNED, { what: string; then: string }> = {
  bindplaneVersion: { what: 'Bindplane pin', then: ', then make upgrade' },
  agentVersion: { what: 'demo agent pin', then: '' },
};

/** What is wrong with a legacy value, and the flag that moves the stack (see AnswerSpec.legacyDefault). */
const LEGACY_WORDS: Partial<Record<AnswerName, (a: Answers) => string>> = {
  agentKey: () =>
    "this stack gives Bindplane a server-level BINDPLANE_SECRET_KEY, which today's enterprise server refuses (agents get 401 Unauthorized): " +
    "pass --agent-key project to use the project's key, which make start reads after creating the organization (--agent-key server keeps it as it is and stops this notice)",
  ingressNamespace: () =>
    "this stack lets pods of every namespace reach the Bindplane nodes: pass --ingress-namespace <the ingress controller's namespace> " +
    "(ingress-nginx for ingress-nginx) to add a NetworkPolicy that lets in only that namespace and the stack's own, then make deploy " +
    "(--ingress-namespace '*' keeps it as it is and stops this notice)",
  containerHardening: () =>
    'this stack runs its containers without memory limits or no-new-privileges: pass --container-hardening standard to add them, then make start ' +
    '(--container-hardening none keeps them as they are and stops this notice)',
};

/** One line per answer this stack keeps from an older generator's defaults, and per newer pin. */
export function upgradeNotices(answers: Answers, fromStored: readonly AnswerName[], legacy: readonly AnswerName[] = []): string[] {
  const out: string[] = legacy.flatMap((n) => LEGACY_WORDS[n]?.(answers) ?? []);
  if (fromStored.includes('postgresVersion') && UNSUPPORTED_POSTGRES.includes(postgresMajor(answers.postgresVersion)))
    out.push(
      `PostgreSQL ${answers.postgresVersion} is no longer supported by Bindplane (14 to 18 are): back up (make backup), then move the data to a newer release; --postgres-version 16 alone starts an empty database`,
    );
  for (const name of fromStored) {
    const value = answers[name] as AnswerValue;
    const current = specOf(name)?.default;
    if (typeof current === 'function' || current === undefined || current === value) continue;
    if (Object.hasOwn(PINNED, name)) {
      if (compareReleases(String(current), String(value)) > 0) {
        const w = PIN_WORDS[name as keyof typeof PINNED];
        out.push(`newer ${w.what}: ${current} (this stack: ${value}); pass --${flagOf(name)} ${current}${w.then}`);
      }
    } else if (FORMER_DEFAULTS[name]?.includes(value)) {
      out.push(`new default for ${name}: ${current} (this stack: ${value}); pass --${flagOf(name)} ${current} to switch`);
    }
  }
  // A registry is whose code runs: one other than the default is said on every run, since a
  // .yo-rc.json someone else committed may have set it.
  const registry = specOf('imageRegistry')!.default;
  if (answers.imageRegistry !== registry)
    out.push(`Bindplane's images come from ${answers.imageRegistry}, not the default ${registry}; --image-registry ${registry} goes back to it`);
  const exposed = plainHttpEverywhere(answers);
  if (exposed) out.push(exposed);
  const unverified = unverifiedPostgresOf(answers);
  if (unverified) out.push(unverified);
  return out.sort((a, b) => order(a) - order(b));
}

const order = (line: string) => ANSWERS.findIndex((s) => line.includes(`--${flagOf(s.name)} `));
