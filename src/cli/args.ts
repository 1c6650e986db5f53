// Command-line arguments of `bindplane-distributed`, parsed with node's own parseArgs.
import { parseArgs } from 'node:util';
import { didYouMean } from '../answers/resolve.js';
import { ANSWERS, allowedText, flagOf } from '../answers/schema.js';
import { InputError } from '../errors.js';

export interface CliArgs {
  dest: string;
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
      throw new InputError(`${opt} needs a value${spec ? `: ${allowedText(spec.kind)}` : ''}`, opt.slice(2));
    }
    throw new InputError(`${msg.split('\n')[0]} (see --help)`);
  }
  const v = parsed.values as Record<string, string | boolean | string[] | undefined>;
  if (parsed.positionals.length > 1)
    throw new InputError(`one destination folder at most, got ${parsed.positionals.length}: ${parsed.positionals.map((p) => JSON.stringify(p)).join(' ')}`, 'dest');
  if (v.check && v['dry-run']) throw new InputError('--check and --dry-run do not go together: --check only tells whether anything would change', 'check');
  if (v.force && v.check) throw new InputError('--force and --check do not go together', 'force');
  if (typeof v['rotate-secret'] === 'string') {
    const others = Object.keys(v).filter((k) => k !== 'rotate-secret' && v[k] !== undefined);
    if (others.length > 0) throw new InputError(`--rotate-secret goes alone (with the destination only), not with --${others[0]}`, 'rotate-secret');
  }
  const flags: Record<string, string> = {};
  for (const a of ANSWERS) {
    const value = v[flagOf(a.name)];
    if (typeof value === 'string') flags[a.name] = value;
  }
  return {
    dest: parsed.positionals[0] ?? '.',
    flags,
    answersFile: typeof v.answers === 'string' ? v.answers : undefined,
    defaults: v.defaults === true,
    mode: v.check ? 'check' : v['dry-run'] ? 'dry-run' : 'apply',
    force: v.force === true,
    restore: (v.restore as string[] | undefined) ?? [],
    rotateSecret: typeof v['rotate-secret'] === 'string' ? v['rotate-secret'] : undefined,
    help: v.help === true,
    version: v.version === true,
  };
}

export function helpText(version: string): string {
  const rows = ANSWERS.map((a) => {
    const def = typeof a.default === 'function' ? '(derived)' : a.default !== undefined ? `[${a.default}]` : a.required ? '(required when it applies)' : '';
    return `  --${flagOf(a.name).padEnd(26)}${a.message}. ${allowedText(a.kind)} ${def}`.trimEnd();
  });
  return [
    `bindplane-distributed ${version}: writes a ready-to-run distributed Bindplane stack for Docker Compose,`,
    'and updates it when answers change (your edits to generated files are merged, never lost).',
    '',
    'Usage: bindplane-distributed [DEST] [--answers FILE] [--defaults] [--<answer> VALUE ...]',
    '',
    'Options:',
    '  --answers FILE              answers in YAML or JSON, full or partial (schema: answers.schema.json)',
    '  --defaults                  never ask: unanswered questions take their stored or default value',
    '  --dry-run                   show the plan with diffs; write nothing',
    '  --check                     write nothing; exit 1 when regeneration would change anything',
    '  --force                     replace edited files and files the generator did not write',
    '  --restore PATH              write a generated file you deleted again (repeatable)',
    '  --rotate-secret NAME        replace one secret in .env (POSTGRES_PASSWORD: in the running database too); then make restart',
    '  -h, --help                  this text',
    '  -v, --version               the version',
    '',
    'Answers (flags win over --answers, which wins over .yo-rc.json, which wins over defaults):',
    ...rows,
    '',
    'Exit codes: 0 done, 1 conflicts left or drift found, 2 bad input (nothing written),',
    '75 busy (another run is working on the folder: nothing done, run again).',
  ].join('\n');
}
