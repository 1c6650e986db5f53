// `bindplane-distributed DEST --rotate-secret NAME`: a new value for one secret in .env and, for the
// PostgreSQL password, in the running database first, so the stack keeps working after `make
// restart`. The value is never printed. The run's stages (src/run/rotate.ts) read, plan and
// commit; this edge runs `docker compose` in the stack's folder.
import { spawnSync } from 'node:child_process';
import { StateError } from '../errors.js';
import { ENV_FILE } from '../facts/stack-files.js';
import { rotate } from '../run/index.js';

const NOTES: { [key: string]: string } = {
  POSTGRES_PASSWORD: 'changed in the running database too',
  BINDPLANE_SECRET_KEY: 'agents must present the new key; demo agents keep the old one in their volume until it is removed',
  BINDPLANE_SESSION_SECRET: 'signed-in browsers sign in again',
};

function compose(root: string, args: string[], input?: string) {
  const [cmd, ...pre] = (process.env.COMPOSE ?? 'docker compose').split(/\s+/).filter(Boolean);
  return spawnSync(cmd!, [...pre, ...args], {
    cwd: root,
    input,
    encoding: 'utf8',
    stdio: [input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
    timeout: 60_000,
  });
}

function changeDatabasePassword(root: string, db: { user: string; name: string }, value: string): void {
  const running = compose(root, ['ps', '-q', '--status', 'running', 'postgres']);
  if (running.status !== 0 || !running.stdout.trim())
    throw new StateError("POSTGRES_PASSWORD is also the database's: start the stack first (make start), then rotate it; nothing was changed");
  // Local socket connections inside the container need no password. Tokens are letters and digits: safe in SQL.
  const sql = `ALTER ROLE "${db.user}" WITH PASSWORD '${value}';\n`;
  const r = compose(root, ['exec', '-T', 'postgres', 'psql', '-X', '-q', '-v', 'ON_ERROR_STOP=1', '-U', db.user, '-d', db.name], sql);
  if (r.status !== 0) throw new StateError(`the database refused the new password (${(r.stderr || r.stdout).trim().split('\n').pop()}); nothing was changed`);
}

/** Rotates the secret `name` of the stack in `root`; returns the line to show. */
export async function rotateSecret(root: string, name: string): Promise<string> {
  await rotate(root, name, (model, value) => {
    if (name === 'POSTGRES_PASSWORD') changeDatabasePassword(root, model.db, value);
  });
  return `rotated ${name} in ${ENV_FILE} (${NOTES[name] ?? 'a new value'}); run make restart so every Bindplane process takes it`;
}
