import type { Lwm2mPathParts } from '../senml/index.ts';
// The one file of the SenML code it needs, not the package index: lwm2mName.ts is pure and browser-safe.
import { lwm2mPathParts } from '../senml/lwm2mName.ts';
import type { Lwm2mPath } from './path.ts';

/**
 * Conversions between our id arrays and the SenML codecs' path parts. Kept apart from path.ts so
 * that path.ts (and the object model and checks built on it) never reach the SenML code: the
 * console bundles those for the browser.
 */

/** The parts object schemas/senml uses for LwM2M names. */
export const toPathParts = (path: Lwm2mPath): Lwm2mPathParts | undefined => lwm2mPathParts(path);

export const fromPathParts = (parts: Lwm2mPathParts): number[] =>
  [parts.objectId, parts.instanceId, parts.resourceId, parts.resourceInstanceId].filter((id): id is number => id !== undefined);
