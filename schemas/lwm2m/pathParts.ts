import type { Lwm2mPathParts } from '../senml/index.ts';
import type { Lwm2mPath } from './path.ts';

/**
 * Conversions between our id arrays and the SenML codecs' path parts. Kept apart from path.ts so
 * that path.ts (and the object model and checks built on it) never reach the SenML code: the
 * console bundles those for the browser.
 */

/** The parts object schemas/senml uses for LwM2M names. */
export const toPathParts = (path: Lwm2mPath): Lwm2mPathParts | undefined => {
  const [objectId, instanceId, resourceId, resourceInstanceId] = path;
  if (objectId === undefined) return undefined;
  return {
    objectId,
    ...(instanceId !== undefined && { instanceId }),
    ...(resourceId !== undefined && { resourceId }),
    ...(resourceInstanceId !== undefined && { resourceInstanceId }),
  };
};

export const fromPathParts = (parts: Lwm2mPathParts): number[] =>
  [parts.objectId, parts.instanceId, parts.resourceId, parts.resourceInstanceId].filter((id): id is number => id !== undefined);
