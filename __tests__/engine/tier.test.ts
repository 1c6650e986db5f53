// The engine tier, in two phases on one private engine. First everything without timing limits,
// side by side: every event bus and TLS mode through the Makefile, mis-wired stacks, the
// healthcheck in each image, backup, restore, rotation and the doctor. Then, one at a time on a
// quiet engine, what promises no downtime: failover, scaling and upgrades under a client loop.
import { afterAll, describe } from 'vitest';
import { backupDoctorCases, upgradeCases } from './day2.cases.js';
import { underLoadCases } from './failover.cases.js';
import { healthcheckCases } from './healthchecks.cases.js';
import { legacyMoveCases } from './first-start.cases.js';
import { destroyAll } from './helpers.js';
import { miswiredCases } from './miswired.cases.js';
import { stackCases } from './stacks.cases.js';

afterAll(destroyAll, 120_000);

describe.concurrent('side by side', () => {
  stackCases();
  miswiredCases();
  healthcheckCases();
  backupDoctorCases();
  legacyMoveCases();
});

describe('one at a time, under a client loop', () => {
  underLoadCases();
  upgradeCases();
});
