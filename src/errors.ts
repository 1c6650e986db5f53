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
  readonly exitCode: number = 1;
  constructor(message: string) {
    super(message);
    this.name = 'StateError';
  }
}

/** Exit code of a run that found another run working on the same folder: EX_TEMPFAIL, "try again later". */
export const BUSY_EXIT = 75;

/** Another run holds the folder's lock. Nothing was read or written; running again later succeeds. Exit 75. */
export class BusyError extends StateError {
  override readonly exitCode = BUSY_EXIT;
  constructor(message: string) {
    super(message);
    this.name = 'BusyError';
  }
}
