// Command-line arguments of `bindplane-distributed`, parsed with node's own parseArgs.
import { parseArgs } from 'node:util';
import { didYouMean } from '../answers/coerce.js';
import { ANSWERS, allowedText, flagOf, flagValueOf, type AnswerName, type AnswerSpec } from '../answers/schema.js';
import { InputError } from '../errors.js';
import { formatRows, wrapWords } from '../wrap.js';

export { formatRows, wrapWords };

export interface CliArgs {
  /** The destination as typed; absent means the current folder (or the stack that holds it). */
  dest?: string;
  /** Answers given as flags, by answer name, raw. */
  flags: Record<string, string>;
  answersFile?: string;
  defaults: boolean;
  mode: 'apply' | 'dry-run' | 'check';
  force: boolean;
  restore: string[];
  /** A secret to replace (in .env, and in the database for the PostgreSQL password) instead of generating. */
  rotateSecret?: string;
  help: boolean;
  version: boolean;
}

const CONTROL = {
  answers: { type: 'string' },
  defaults: { type: 'boolean' },
  'dry-run': { type: 'boolean' },
  check: { type: 'boolean' },
  force: { type: 'boolean' },
  restore: { type: 'string', multiple: true },
  'rotate-secret': { type: 'string' },
  help: { type: 'boolean', short: 'h' },
  version: { type: 'boolean', short: 'v' },
} as const;

type OptionSpec = { type: 'string' | 'boolean'; multiple?: boolean; short?: string };

const POSITIONAL_COMMANDS: { [word: string]: 'help' | 'version' | undefined } = { help: 'help', version: 'version' };

export function parseCli(argv: readonly string[]): CliArgs {
  const options: Record<string, OptionSpec> = { ...CONTROL };
  for (const a of ANSWERS) options[flagOf(a.name)] = { type: 'string' };
  let parsed;
  try {
    parsed = parseArgs({ args: [...argv], options, allowPositionals: true, strict: true });
  } catch (e) {
    const msg = (e as Error).message;
    const code = (e as NodeJS.ErrnoException).code;
    const unknown = /Unknown option '(-{1,2}[^']+)'/.exec(msg)?.[1];
    if (code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION' && unknown) {
      const name = unknown.replace(/^-+/, '').split('=')[0]!;
      const hint = didYouMean(name, Object.keys(options));
      throw new InputError(`${unknown} is not a known option${hint ? `; did you mean --${hint}?` : ''} (see --help)`, name);
    }
    const opt = /Option '(?:-\w, )?(--[\w-]+)/.exec(msg)?.[1];
    if (opt && code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE') {
      const spec = ANSWERS.find((a) => `--${flagOf(a.name)}` === opt);
      throw new InputError(`${opt} needs a value${spec ? `: ${allowedText(spec.kind, 'flag')}` : ''}`, opt.slice(2));
    }
    throw new InputError(`${msg.split('\n')[0]} (see --help)`);
  }
  const v = parsed.values as Record<string, string | boolean | string[] | undefined>;
  if (parsed.positionals.length > 1)
    throw new InputError(
      `one destination folder at most, got ${parsed.positionals.length}: ${parsed.positionals.map((p) => JSON.stringify(p)).join(' ')}`,
      'dest',
    );
  if (v.check && v['dry-run']) throw new InputError('--check and --dry-run do not go together: --check only tells whether anything would change', 'check');
  if (v.force && v.check) throw new InputError('--force and --check do not go together', 'force');
  if (typeof v['rotate-secret'] === 'string') {
    const others = Object.keys(v).filter((k) => k !== 'rotate-secret' && v[k] !== undefined);
    if (others.length > 0) throw new InputError(`--rotate-secret goes alone (with the destination only), not with --${others[0]}`, 'rotate-secret');
  }
  // `help` and `version` as a first word are what a person means; a folder of that name is `./help`.
  const command = parsed.positionals.length === 1 ? POSITIONAL_COMMANDS[parsed.positionals[0]!] : undefined;
  const flags: Record<string, string> = {};
  for (const a of ANSWERS) {
    const value = v[flagOf(a.name)];
    if (typeof value === 'string') flags[a.name] = value;
  }
  return {
    dest: command ? undefined : parsed.positionals[0],
    flags,
    answersFile: typeof v.answers === 'string' ? v.answers : undefined,
    defaults: v.defaults === true,
    mode: v.check ? 'check' : v['dry-run'] ? 'dry-run' : 'apply',
    force: v.force === true,
    restore: (v.restore as string[] | undefined) ?? [],
    rotateSecret: typeof v['rotate-secret'] === 'string' ? v['rotate-secret'] : undefined,
    help: v.help === true || command === 'help',
    version: v.version === true || command === 'version',
  };
}

/** The value a flag takes, as --help shows it: `--instances N`, `--tls none|self-signed|provided`. */
const PLACEHOLDERS: Partial<Record<AnswerName, string>> = {
  projectName: 'NAME',
  organizationName: 'NAME',
  bindplaneVersion: 'VERSION',
  imageRegistry: 'REGISTRY',
  kafkaTopic: 'TOPIC',
  pubsubProjectId: 'PROJECT',
  pubsubTopic: 'TOPIC',
  postgresVersion: 'VERSION',
  prometheusRetention: 'DURATION',
  adminUsername: 'USER',
  agentVersion: 'VERSION',
  postgresHost: 'HOST',
  bindAddress: 'ADDRESS',
  ingressNamespace: 'NAMESPACE',
};

export function placeholderOf(spec: AnswerSpec): string {
  const k = spec.kind;
  if (k.type === 'enum') return k.values.map(flagValueOf).join('|');
  if (k.type === 'intEnum') return k.values.join('|');
  if (k.type === 'int') return 'N';
  if (k.type === 'url') return 'URL';
  if (k.type === 'file') return 'FILE';
  return PLACEHOLDERS[spec.name] ?? 'VALUE';
}

function defaultText(spec: AnswerSpec): string {
  if (spec.defaultText) return `[${spec.defaultText}]`;
  if (typeof spec.default === 'function') return '(derived)';
  if (spec.default !== undefined) return `[${spec.default}]`;
  return spec.required ? '(required when it applies)' : '';
}

export function helpText(version: string, width = 80): string {
  const w = Math.max(60, Math.min(width, 120));
  const answerRows: [string, string][] = ANSWERS.map((a) => [
    `  --${flagOf(a.name)} ${placeholderOf(a)}`,
    `${a.message}${a.hint ? ` (${a.hint})` : ''}: ${allowedText(a.kind, 'flag')}. ${defaultText(a)}`.trim(),
  ]);
  const optionRows: [string, string][] = [
    ['  --answers FILE', 'answers in YAML or JSON, full or partial (schema: answers.schema.json)'],
    ['  --defaults', 'never ask: unanswered questions take their stored or default value'],
    ['  --dry-run', 'show the plan with diffs; write nothing'],
    ['  --check', 'write nothing; exit 1 when regeneration would change anything'],
    ['  --force', 'replace edited files and files the generator did not write'],
    ['  --restore PATH', 'write a generated file you deleted again (repeatable)'],
    ['  --rotate-secret NAME', 'replace one secret in .env (POSTGRES_PASSWORD: in the running database too); then make restart'],
    ['  -h, --help, help', 'this text'],
    ['  -v, --version, version', 'the version'],
  ];
  const para = (t: string) => wrapWords(t, w);
  return [
    ...para(
      `bindplane-distributed ${version}: writes a ready-to-run distributed Bindplane stack for Docker Compose or Kubernetes, and updates it when answers change (your edits to generated files are merged, never lost).`,
    ),
    '',
    'Usage: bindplane-distributed [DEST] [options] [--<answer> VALUE ...]',
    ...para(
      "DEST is the stack's folder (default: the stack that holds the current folder, else the current folder). A folder named help or version is written ./help.",
    ),
    '',
    'Options:',
    ...formatRows(optionRows, w),
    '',
    ...para('Answers (flags win over --answers, which wins over .yo-rc.json, which wins over defaults):'),
    ...formatRows(answerRows, w),
    '',
    ...para(
      'Exit codes: 0 done, 1 conflicts left or drift found, 2 bad input or a folder the generator may not write (nothing written), 75 busy (another run is working on the folder: nothing done, run again), 130 cancelled at a prompt.',
    ),
  ].join('\n');
}
