// A person's interrupt while a question is open: `kill -INT` (or a terminal that sends SIGINT) ends
// the run as Ctrl-C in a prompt does, with `Cancelled` and exit 130. Nothing is written before the
// questions end, so there is nothing to undo.
export const CANCELLED_EXIT = 130;

/** Runs `ask` with SIGINT and SIGTERM meaning "cancelled"; the handlers go away when it settles. */
export async function cancellableQuestions<T>(ask: () => Promise<T>, say: (text: string) => void = (t) => process.stderr.write(`${t}\n`)): Promise<T> {
  const cancel = () => {
    say('Cancelled');
    process.exit(CANCELLED_EXIT);
  };
  process.on('SIGINT', cancel);
  process.on('SIGTERM', cancel);
  try {
    return await ask();
  } finally {
    process.off('SIGINT', cancel);
    process.off('SIGTERM', cancel);
  }
}
