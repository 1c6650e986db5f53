// Drives a real command through a pseudo-terminal (util-linux `script`), as a person at a terminal
// would: wait for a text on the screen, type keys, read the exit code.
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';

export const KEY = { enter: '\r', down: '\x1b[B', ctrlC: '\x03' } as const;

// eslint-disable-next-line no-control-regex
const strip = (s: string) => s.replace(/\x1b\[[0-9;?]*[A-Za-z]/g, '').replace(/\x1b[()][A-Z0-9]/g, '');

export class Terminal {
  private child: ChildProcessWithoutNullStreams;
  private raw = '';
  private seen = 0;
  readonly exited: Promise<number | null>;

  constructor(command: string, opts: { cwd?: string; env?: NodeJS.ProcessEnv; columns?: number } = {}) {
    // A wide terminal unless said otherwise, so that no question is wrapped across lines on the screen.
    this.child = spawn('script', ['-qfec', `stty cols ${opts.columns ?? 200} rows 50; exec ${command}`, '/dev/null'], {
      cwd: opts.cwd,
      env: { ...process.env, ...opts.env },
    });
    this.child.stdout.on('data', (d: Buffer) => (this.raw += d.toString()));
    this.child.stderr.on('data', (d: Buffer) => (this.raw += d.toString()));
    this.exited = new Promise((resolve) => this.child.on('exit', (code) => resolve(code)));
  }

  /** Everything shown so far, without terminal control sequences. */
  get screen(): string {
    return strip(this.raw);
  }

  /** Waits until `text` appears after what earlier waits consumed, and consumes up to it. */
  async waitFor(text: string | RegExp, timeoutMs = 20_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const rest = this.screen.slice(this.seen);
      const at = typeof text === 'string' ? rest.indexOf(text) : rest.search(text);
      if (at >= 0) {
        this.seen += at + (typeof text === 'string' ? text.length : (rest.match(text)?.[0].length ?? 0));
        return;
      }
      if (Date.now() > deadline || this.child.exitCode !== null) throw new Error(`timed out waiting for ${String(text)}; the screen:\n${this.screen}`);
      await new Promise((r) => setTimeout(r, 25));
    }
  }

  /** Types keys (give a pause so the prompt has drawn itself). */
  async type(keys: string): Promise<void> {
    await new Promise((r) => setTimeout(r, 80));
    this.child.stdin.write(keys);
  }

  /** The exit code, killing the command when it does not end in time. */
  async exit(timeoutMs = 30_000): Promise<number | null> {
    const kill = setTimeout(() => this.child.kill('SIGKILL'), timeoutMs);
    const code = await this.exited;
    clearTimeout(kill);
    return code;
  }
}
