#!/usr/bin/env node
// Entry point of the `bindplane-distributed` command; the work is in dist/src/cli/main.js.
import { main } from '../dist/bundle/cli.js';

// A closed pipe (`| head`) is not an error worth a stack trace.
process.stdout.on('error', (e) => {
  if (e.code === 'EPIPE') process.exit(process.exitCode ?? 0);
  throw e;
});

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error) => {
    process.stderr.write(`bindplane-distributed: unexpected error: ${error && error.stack ? error.stack : error}\n`);
    process.exitCode = 70;
  },
);
