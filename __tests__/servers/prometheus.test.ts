// The generated prometheus.yml and recording rules, run by a real Prometheus (Debian's 2.42; the
// stack's image is v3.4.0) on 127.0.0.1 with the compose service's own flags. Measurements arrive
// the way Bindplane sends them: remote write (protobuf WriteRequest, snappy-compressed) to the
// receiver that `--web.enable-remote-write-receiver` turns on. The 1-minute rollup is queried
// live; the 5-minute and 1-hour rollups are proven with `promtool test rules`, which evaluates each
// group at its own interval on simulated time, without waiting an hour.
import { cpSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { pushTimeseries } from 'prometheus-remote-write';
import { parse as parseYaml, stringify as stringifyYaml } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cleanupTempDirs, generateStack, tempDir } from '../helpers/stack.js';
import { fetchBounded, freePort, readCompose, requireTool, run, startServer, stopServer, waitFor, type Server } from './helpers.js';

interface RuleFile {
  groups: { name: string; interval: string; rules: { record: string; expr: string }[] }[];
}

const ONE_MINUTE_GROUP = 'configuration-rollups';
// How often the copy evaluates the 1-minute group (see beforeAll).
const FAST_INTERVAL = '2s';

let stack: string;
let work: string;
let prometheus: Server;
let base: string;
let rules: RuleFile;

type Vector = { metric: Record<string, string>; value: [number, string] }[];
type Matrix = { metric: Record<string, string>; values: [number, string][] }[];

async function query<T>(q: string, time?: number): Promise<T> {
  const url = `${base}/api/v1/query?query=${encodeURIComponent(q)}${time === undefined ? '' : `&time=${time}`}`;
  const res = await fetchBounded(url);
  const body = (await res.json()) as { status: string; data: { result: T }; error?: string };
  if (body.status !== 'success') throw new Error(`query ${q} failed: ${body.error}`);
  return body.data.result;
}

beforeAll(async () => {
  requireTool('prometheus', 'apt-get install prometheus (scripts/ensure-validators.mjs)');
  requireTool('promtool', 'apt-get install prometheus (scripts/ensure-validators.mjs)');
  stack = await generateStack({});
  work = tempDir('bpd-prom-');
  rules = parseYaml(readFileSync(path.join(stack, 'prometheus/rules/bindplane.yml'), 'utf8')) as RuleFile;

  // The folder compose mounts at /etc/prometheus, copied. The only change, in the copy's rules: the
  // 1-minute group is evaluated every 2 s instead of every minute. Prometheus places a group's
  // first evaluation anywhere inside its interval (by a hash of the group's name), so at 1m a live
  // check could wait a whole minute; the recorded expression itself is untouched, and the
  // generated interval is checked below and proven with promtool on the original file.
  const config = path.join(work, 'etc-prometheus');
  cpSync(path.join(stack, 'prometheus'), config, { recursive: true });
  const copy = structuredClone(rules);
  const fast = copy.groups.find((g) => g.name === ONE_MINUTE_GROUP);
  if (!fast) throw new Error(`the rules have no group ${ONE_MINUTE_GROUP}`);
  fast.interval = FAST_INTERVAL;
  writeFileSync(path.join(config, 'rules/bindplane.yml'), stringifyYaml(copy));

  // The compose service's command, with its container paths mapped to the copies here.
  const service = readCompose(stack).services.prometheus;
  const flags = (service.command as string[]).map((f) =>
    f
      .replace(/^--config\.file=\/etc\/prometheus\//, `--config.file=${config}/`)
      .replace(/^--storage\.tsdb\.path=\/prometheus$/, `--storage.tsdb.path=${path.join(work, 'data')}`),
  );
  expect(flags).toContain('--web.enable-remote-write-receiver');
  expect(flags.some((f) => f.startsWith('--config.file=/etc') || f.startsWith('--storage.tsdb.path=/prometheus'))).toBe(false);
  const port = await freePort();
  base = `http://127.0.0.1:${port}`;
  prometheus = startServer('prometheus', 'prometheus', [...flags, `--web.listen-address=127.0.0.1:${port}`], { lifetimeSeconds: 180, stdin: 'ignore' });
  // The compose healthcheck's URL, then readiness.
  await waitFor('prometheus /-/healthy', async () => (await fetchBounded(`${base}/-/healthy`, {}, 2_000)).ok || undefined, {
    server: prometheus,
    timeoutMs: 20_000,
  });
  await waitFor('prometheus /-/ready', async () => (await fetchBounded(`${base}/-/ready`, {}, 2_000)).ok || undefined, {
    server: prometheus,
    timeoutMs: 20_000,
  });
});

afterAll(async () => {
  if (prometheus) await stopServer(prometheus);
  cleanupTempDirs();
});

describe('the generated Prometheus configuration, live', () => {
  it('loads the generated rule groups with their intervals', async () => {
    const res = await fetchBounded(`${base}/api/v1/rules`);
    const body = (await res.json()) as { data: { groups: { name: string; interval: number; rules: { name: string; health: string; query: string }[] }[] } };
    const byName = Object.fromEntries(body.data.groups.map((g) => [g.name, g]));
    expect(Object.keys(byName).sort()).toEqual(rules.groups.map((g) => g.name).sort());
    // The generated intervals (the 1-minute group is sped up in the copy only).
    expect(rules.groups.map((g) => [g.name, g.interval])).toEqual([
      ['configuration-rollups', '1m'],
      ['5m-configuration-rollups', '5m'],
      ['1h-configuration-rollups', '1h'],
    ]);
    expect(byName['5m-configuration-rollups']!.interval).toBe(300);
    expect(byName['1h-configuration-rollups']!.interval).toBe(3600);
    for (const g of body.data.groups) for (const r of g.rules) expect(r.health, `${r.name}: ${r.query}`).not.toBe('err');
  });

  it('takes remote writes (protobuf + snappy) and records the 1-minute rollup without the agent label', async () => {
    const now = Date.now();
    // Two agents running the same configuration, counters rising 1/s and 2/s, sampled every 15 s.
    const offsets = [65, 50, 35, 20];
    const series = [
      { agent: 'agent-a', perSecond: 1 },
      { agent: 'agent-b', perSecond: 2 },
    ].map(({ agent, perSecond }) => ({
      labels: {
        __name__: 'bindplane_agent_measurements',
        agent,
        configuration: 'linux-logs',
        processor: 'throughputmeasurement/_d0_logs_source0',
        metric: 'log_data_size',
      },
      samples: offsets.map((ago, i) => ({ value: 1000 + i * 15 * perSecond, timestamp: now - ago * 1000 })),
    }));
    const result = await pushTimeseries(series, {
      url: `${base}/api/v1/write`,
      // The remote-write 1.0 headers Prometheus senders (and Bindplane) set.
      headers: { 'Content-Encoding': 'snappy', 'X-Prometheus-Remote-Write-Version': '0.1.0', 'User-Agent': 'bindplane-test' },
      fetch: ((url: string, init: RequestInit) => fetchBounded(url, init)) as never,
    });
    expect(result.status, result.errorMessage).toBe(204);

    // The raw samples are stored as sent.
    const raw = await query<Matrix>('bindplane_agent_measurements[2m]');
    expect(raw.map((s) => s.metric.agent).sort()).toEqual(['agent-a', 'agent-b']);
    for (const s of raw) expect(s.values).toHaveLength(4);

    // The recording rule picks them up (bounded wait: a few evaluations at the copy's interval).
    const recorded = await waitFor(
      'bindplane_agent_measurements:rollup:rate:1m',
      async () => {
        const m = await query<Matrix>('bindplane_agent_measurements:rollup:rate:1m[1m]');
        return m.length > 0 ? m : undefined;
      },
      { server: prometheus, timeoutMs: 20_000, intervalMs: 500 },
    );
    expect(recorded).toHaveLength(1);
    const { metric, values } = recorded[0]!;
    // One series per configuration: `agent` summed away, every other label kept.
    expect(metric).toEqual({
      __name__: 'bindplane_agent_measurements:rollup:rate:1m',
      configuration: 'linux-logs',
      processor: 'throughputmeasurement/_d0_logs_source0',
      metric: 'log_data_size',
    });
    const [t, v] = values[values.length - 1]!;
    const value = Number(v);
    // 1/s + 2/s, less what rate() leaves out of the window's edges (4 samples, 45 s apart of 70 s).
    expect(value).toBeGreaterThan(2.4);
    expect(value).toBeLessThan(3.4);
    // And it is exactly the generated expression evaluated at the rule's own timestamp.
    const expr = rules.groups.find((g) => g.name === ONE_MINUTE_GROUP)!.rules[0]!.expr;
    const direct = await query<Vector>(expr, t);
    expect(direct).toHaveLength(1);
    expect(Number(direct[0]!.value[1])).toBeCloseTo(value, 9);
  });
});

describe('the 5-minute and 1-hour rollups (promtool test rules, on the generated rules file)', () => {
  const original = () => path.join(stack, 'prometheus/rules/bindplane.yml');

  function promtoolTest(name: string, tests: unknown[]): ReturnType<typeof run> {
    const file = path.join(work, `${name}.test.yml`);
    writeFileSync(file, stringifyYaml({ rule_files: [original()], evaluation_interval: '1m', tests }));
    return run('promtool', ['test', 'rules', file], { timeoutMs: 30_000 });
  }

  // Counters that Bindplane writes itself (:1m and :15m), for two agents of one configuration,
  // rising 1/s and 2/s: each rollup must be 3/s for the configuration, without the agent label.
  const labels = (agent: string) => `{agent="${agent}", configuration="linux-logs", processor="throughputmeasurement/_d0_logs_source0"}`;
  const rollup = (record: string, eval_time: string) => ({
    expr: `round(${record}, 0.000001)`,
    eval_time,
    exp_samples: [{ labels: `{configuration="linux-logs", processor="throughputmeasurement/_d0_logs_source0"}`, value: 3 }],
  });
  const tests = [
    {
      interval: '1m',
      input_series: [
        { series: `bindplane_agent_measurements:1m${labels('agent-a')}`, values: '0+60x30' },
        { series: `bindplane_agent_measurements:1m${labels('agent-b')}`, values: '0+120x30' },
      ],
      promql_expr_test: [
        // Evaluated every 5 minutes: at 10m and again at 15m.
        rollup('bindplane_agent_measurements:rollup:rate:5m', '10m'),
        rollup('bindplane_agent_measurements:rollup:rate:5m', '15m'),
        // The 1-hour group has nothing to roll up from these series.
        { expr: 'bindplane_agent_measurements:rollup:rate:1h', eval_time: '20m', exp_samples: [] },
      ],
    },
    {
      interval: '15m',
      input_series: [
        { series: `bindplane_agent_measurements:15m${labels('agent-a')}`, values: '0+900x12' },
        { series: `bindplane_agent_measurements:15m${labels('agent-b')}`, values: '0+1800x12' },
      ],
      promql_expr_test: [
        // Evaluated every hour: at 2h (the window back to 45m holds five 15-minute samples).
        rollup('bindplane_agent_measurements:rollup:rate:1h', '2h'),
        { expr: 'bindplane_agent_measurements:rollup:rate:5m', eval_time: '2h', exp_samples: [] },
      ],
    },
    {
      // The 1-minute rollup over raw measurements sampled every 15 s, for completeness.
      interval: '15s',
      input_series: [
        { series: `bindplane_agent_measurements${labels('agent-a')}`, values: '0+15x40' },
        { series: `bindplane_agent_measurements${labels('agent-b')}`, values: '0+30x40' },
      ],
      promql_expr_test: [rollup('bindplane_agent_measurements:rollup:rate:1m', '5m')],
    },
  ];

  it('the generated rules pass promtool check rules', () => {
    const r = run('promtool', ['check', 'rules', original()]);
    expect(r.status, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toMatch(/SUCCESS: 3 rules found/);
  });

  it('roll :1m up every 5 minutes and :15m up every hour', () => {
    const r = promtoolTest('rollups', tests);
    expect(r.status, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toMatch(/SUCCESS/);
  });

  it('promtool really evaluates them (a wrong expectation fails)', () => {
    const wrong = structuredClone(tests);
    wrong[0]!.promql_expr_test[0] = {
      ...rollup('bindplane_agent_measurements:rollup:rate:5m', '10m'),
      exp_samples: [{ labels: '{configuration="linux-logs", processor="throughputmeasurement/_d0_logs_source0"}', value: 4 }],
    };
    const r = promtoolTest('wrong', wrong);
    expect(r.status).not.toBe(0);
    expect(r.stdout + r.stderr).toMatch(/FAILED/);
  });
});
