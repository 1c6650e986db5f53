// The move of a stack generated before the first-start work (the server had a key of its own,
// which today's enterprise server refuses) to the project's key, on a running stack: its agents
// are refused before, connect after with the same agent ids, and PostgreSQL loses no row.
import { expect, it } from 'vitest';
import { buildOldGenerator, SERVER_KEY_COMMIT } from '../helpers/old-generator.js';
import { envValue, exec, serverAgents, Stack, until, untilConnected } from './helpers.js';

const psql = (stack: Stack, sql: string) =>
  exec('docker', ['compose', 'exec', '-T', 'postgres', 'psql', '-X', '-At', '-v', 'ON_ERROR_STOP=1', '-U', 'bindplane', '-d', 'bindplane', '-c', sql], {
    cwd: stack.dir,
  });

/** Rows of every table of the public schema, counted exactly. */
async function rowCounts(stack: Stack): Promise<Map<string, number>> {
  const tables = (await psql(stack, "SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY 1")).stdout.split('\n').filter(Boolean);
  const counts = new Map<string, number>();
  for (const t of tables) counts.set(t, Number((await psql(stack, `SELECT count(*) FROM "${t}"`)).stdout.trim()));
  return counts;
}

async function agentIds(stack: Stack): Promise<Map<string, string>> {
  const ids = new Map<string, string>();
  for (const s of ['demo-agent-1', 'demo-agent-2']) {
    const logs = (await stack.compose(['logs', '--no-color', s])).stdout;
    const id = [...logs.matchAll(/agent id (\S+)/g)].pop()?.[1];
    if (id) ids.set(s, id);
  }
  return ids;
}

export function legacyMoveCases(): void {
  it(`a stack of ${SERVER_KEY_COMMIT} (server-level key): agents refused; --agent-key project moves it while it runs, same agent ids, 0 lost rows`, async () => {
    const oldCli = buildOldGenerator(SERVER_KEY_COMMIT);
    const stack = await Stack.createWithCli(oldCli, 'e-legacy', ['--instances', '2', '--demo-agents', '2', '--http-port', '18245', '--transform-agents', '1'], {
      httpPort: 18245,
    });
    await stack.mustMake('start');
    // What a real enterprise server does with a server-level key: every agent is refused.
    await until(
      'both demo agents refused with 401',
      async () => {
        const logs = (await stack.compose(['logs', '--no-color', 'demo-agent-1', 'demo-agent-2'])).stdout;
        return (logs.match(/401 Unauthorized/g) ?? []).length >= 2 ? true : undefined;
      },
      60_000,
      2_000,
    );
    const ids = await agentIds(stack);
    expect(ids.size).toBe(2);
    // Data worth keeping: a table of the person's, next to whatever Bindplane keeps.
    expect((await psql(stack, 'CREATE TABLE person_marker(id int PRIMARY KEY); INSERT INTO person_marker SELECT generate_series(1, 1000)')).code).toBe(0);
    const before = await rowCounts(stack);

    // The newer generator keeps the stack as it is and says how to move.
    const kept = await stack.regenerate();
    expect(kept.stdout).toMatch(/notice: this stack gives Bindplane a server-level BINDPLANE_SECRET_KEY[^\n]*--agent-key project/);
    const doctor = await stack.make('doctor');
    // The doctor exits 1; make reports a failed recipe as 2.
    expect(doctor.code).toBe(2);
    expect(doctor.stdout).toMatch(/FAIL {2}the server's list of agents cannot be read: .*403/);

    // The documented move: regenerate with --agent-key project, then make start.
    await stack.regenerate('--agent-key', 'project');
    const start = await stack.mustMake('start');
    expect(start.stdout).toContain('no organization yet: creating e-legacy');
    expect(start.stdout).toMatch(/demo-agent-1: re-enrolled/);
    expect(envValue(stack, 'PROJECT_SECRET_KEY')).toBeTruthy();
    const listed = await untilConnected(stack, ['demo-agent-1', 'demo-agent-2']);
    for (const [name, id] of ids) expect(listed.find((a) => a.name === name)?.id, name).toBe(id);
    const server = await stack.compose(['exec', '-T', 'bindplane-1', 'sh', '-c', 'printenv BINDPLANE_SECRET_KEY || echo unset']);
    expect(server.stdout.trim()).toBe('unset');

    const after = await rowCounts(stack);
    for (const [table, n] of before) expect(after.get(table) ?? -1, `rows of ${table}`).toBeGreaterThanOrEqual(n);
    expect((await psql(stack, 'SELECT count(*), min(id), max(id) FROM person_marker')).stdout.trim()).toBe('1000|1|1000');
    expect((await stack.make('doctor')).code).toBe(0);
    expect((await serverAgents(stack)).filter((a) => a.status === 'Connected')).toHaveLength(2);
    await stack.mustMake('delete', ['CONFIRM=yes']);
  }, 600_000);
}
