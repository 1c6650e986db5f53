// PostgreSQL's max_connections, the same rule on both platforms.

/**
 * Every Bindplane process may open its whole pool, plus 20 for psql and backups. Sized in steps of
 * 8 processes, so that most changes of the instance count leave the setting, and so the PostgreSQL
 * container, as they are (a change restarts PostgreSQL).
 */
export const PROCESS_STEP = 8;

export interface PostgresSizing {
  serverMaxConnections: number;
  sizedForProcesses: number;
}

/** The jobs instance and the nodes are the Bindplane processes. */
export function postgresSizing(a: { instances: number; postgresMaxConnections: number }): PostgresSizing {
  const processes = a.instances + 1;
  const sizedForProcesses = Math.ceil(processes / PROCESS_STEP) * PROCESS_STEP;
  return { serverMaxConnections: sizedForProcesses * a.postgresMaxConnections + 20, sizedForProcesses };
}
