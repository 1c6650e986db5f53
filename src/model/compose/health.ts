// Healthcheck commands. The vendor images' tools are unknown (no image can be pulled where this was
// written): the open-source Bindplane image was Debian slim (bash, neither curl nor wget), observIQ's
// example compose files run curl. So the probe uses whichever of curl or wget the image has, and
// falls back to bash's /dev/tcp, and holds in any of the three.

/** A `sh -c` command that exits 0 only when GET http://127.0.0.1:PORT/PATH answers 200. */
export function httpProbe(port: number, path: string): string {
  const url = `http://127.0.0.1:${port}${path}`;
  // Compose interpolates `$`; `$$` reaches the shell as `$`.
  const bash =
    `exec 3<>/dev/tcp/127.0.0.1/${port} && printf "GET ${path} HTTP/1.0\\r\\nHost: 127.0.0.1\\r\\n\\r\\n" >&3 && ` +
    `read -r _ code _ <&3 && [ "$$code" = 200 ]`;
  return (
    `if command -v curl >/dev/null 2>&1; then curl -fsS -o /dev/null ${url}; ` +
    `elif command -v wget >/dev/null 2>&1; then wget -q -O /dev/null ${url}; ` +
    `else bash -c '${bash}'; fi`
  );
}

/** The healthcheck's `test` as a YAML flow sequence (JSON is valid YAML). */
export function shellTest(command: string): string {
  return `["CMD-SHELL", ${JSON.stringify(command)}]`;
}
