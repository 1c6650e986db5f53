// Errors that end a run with a known exit code and one clear message.

/** Bad input: a wrong answer, a malformed answers file, an unknown key, a path escaping the destination. Exit 2. */
export class InputError extends Error {
  readonly exitCode = 2;
  constructor(
    message: string,
    /** The answer, flag or file the message is about. */
    readonly field?: string,
  ) {
    super(message);
    this.name = 'InputError';
  }
}

/** The folder is not in a state the run may change: unresolved conflict markers, foreign files, a newer record. Exit 1. */
export class StateError extends Error {
  readonly exitCode = 1;
  constructor(message: string) {
    super(message);
    this.name = 'StateError';
  }
}
