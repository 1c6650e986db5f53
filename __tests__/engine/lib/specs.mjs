// The images a generated stack names, and the local recipe that stands for each. Tags are read
// from the generator's own model (the built package), so the engine tier always builds exactly the
// names the generated compose files use.
import { IMAGES } from '../../../dist/src/model/index.js';
import { PINNED, POSTGRES_DEFAULT } from '../../../dist/src/answers/schema.js';

export const REGISTRY = 'ghcr.io/observiq';
export const POSTGRES_VERSION = POSTGRES_DEFAULT;
/** The floating tag that stacks of older generators (before the minor pin) name, as the side-by-side cases make them. */
export const LEGACY_POSTGRES_VERSION = '16';

/**
 * Bindplane releases the tier builds stand-ins for, by the HTTP tools the image has. The pinned
 * release has bash only, like the open-source image (Debian slim); two more tags carry curl or wget.
 */
export const BINDPLANE_VERSIONS = {
  bash: PINNED.bindplaneVersion,
  curl: `${PINNED.bindplaneVersion}-curl`,
  wget: `${PINNED.bindplaneVersion}-wget`,
};

/** An older release to upgrade from, and a release whose image never becomes healthy (a failed upgrade). */
export const UPGRADE_FROM = '1.99.1';
export const BROKEN_RELEASE = `${PINNED.bindplaneVersion}-broken`;

/** @returns {{ tag: string, recipe: string, buildArgs?: Record<string, string> }[]} */
export function imageSpecs() {
  const standin = (tag, ROLE, TOOLS, VERSION) => ({ tag, recipe: 'standin', buildArgs: { ROLE, TOOLS, VERSION } });
  const specs = [
    { tag: IMAGES.nginx, recipe: 'nginx' },
    { tag: IMAGES.prometheus, recipe: 'prometheus' },
    { tag: `postgres:${POSTGRES_VERSION}`, recipe: 'postgres' },
    { tag: `postgres:${LEGACY_POSTGRES_VERSION}`, recipe: 'postgres' },
    { tag: IMAGES.pubsubEmulator, recipe: 'pubsub' },
    standin(IMAGES.kafka, 'kafka', 'bash', IMAGES.kafka.split(':')[1]),
    standin(`observiq/bindplane-agent:${PINNED.agentVersion}`, 'agent', 'bash', PINNED.agentVersion),
  ];
  const releases = [...Object.entries(BINDPLANE_VERSIONS), ['bash', UPGRADE_FROM], ['bash', BROKEN_RELEASE]];
  for (const [tools, version] of releases) {
    const health = version === BROKEN_RELEASE ? { HEALTH: 'never' } : {};
    specs.push({
      ...standin(`${REGISTRY}/bindplane-ee:${version}`, 'bindplane', tools, version),
      buildArgs: { ROLE: 'bindplane', TOOLS: tools, VERSION: version, ...health },
    });
    specs.push(standin(`${REGISTRY}/bindplane-transform-agent:${version}-bindplane`, 'transform-agent', tools, version));
  }
  return specs;
}
