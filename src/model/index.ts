// The model: every decision about the stack, made here so that templates only lay it out. The
// core holds what both platforms share (core/); each platform adds its slice: compose/ on Docker
// Compose, kubernetes/ on a cluster.
import type { Answers } from '../answers/schema.js';
import { buildCompose, type ComposeModel } from './compose/index.js';
import { buildCore, type ModelCore } from './core/index.js';
import { buildKubernetes, type KubernetesModel } from './kubernetes/index.js';

export { IMAGES } from './core/images.js';
export {
  DB,
  DEMO_AGENT_PREFIX,
  JOBS_SERVICE,
  LB_SERVICE,
  LOCAL_COPIES,
  LOCAL_DIR,
  NODE_PREFIX,
  range,
  TRANSFORM_AGENT_PREFIX,
  type CopiedAnswer,
} from './core/names.js';
export { PORTS } from './core/ports.js';
export { PROCESS_STEP } from './core/postgres-sizing.js';
export type { Secret } from './core/secrets.js';
export type { FirstStart, StarterConfiguration } from './core/first-start.js';
export type { BindplaneService, ComposeModel, Dependency, EnvVar, EventBusModel, KafkaBroker } from './compose/index.js';
export type { KubernetesModel } from './kubernetes/index.js';

export interface Model extends ModelCore {
  /** The Compose files' slice (compose/index.ts), on that platform only. */
  compose?: ComposeModel;
  /** The Kubernetes files' slice (kubernetes/index.ts), on that platform only. */
  kubernetes?: KubernetesModel;
}

export function buildModel(a: Answers): Model {
  const core = buildCore(a);
  return {
    ...core,
    compose: a.platform === 'compose' ? buildCompose(a, core) : undefined,
    kubernetes: a.platform === 'kubernetes' ? buildKubernetes(a, core.postgresSizing) : undefined,
  };
}
