// An ordinary user for the tests that run `yo`: yo refuses root (it switches to uid 1000 and fails).
import { execFileSync } from 'node:child_process';

export interface User {
  name: string;
  uid: number;
  gid: number;
}

/** The first user of the machine with a uid from 1000, made when there is none. */
export function ordinaryUser(): User {
  const line = execFileSync('getent', ['passwd'], { encoding: 'utf8' })
    .split('\n')
    .map((l) => l.split(':'))
    .find((f) => Number(f[2]) >= 1000 && Number(f[2]) < 65534);
  if (line) return { name: line[0]!, uid: Number(line[2]), gid: Number(line[3]) };
  execFileSync('useradd', ['--create-home', 'bpdtest']);
  return ordinaryUser();
}
