import { SenmlError } from './errors.ts';
import type { ObjectLink } from './types.ts';

/** The parts of an LwM2M path: /objectId[/instanceId[/resourceId[/resourceInstanceId]]]. */
export interface Lwm2mPathParts {
  objectId: number;
  instanceId?: number;
  resourceId?: number;
  resourceInstanceId?: number;
}

export const MAX_LWM2M_ID = 65535;

// Each id is a decimal 0..65535. Leading zeros are read as the same number ("/67/0/00" is
// "/67/0/0", as Wakaama and Leshan do); toLwm2mPath writes the canonical form.
const ID = /^\d{1,5}$/;

const toId = (segment: string): number | undefined => {
  if (!ID.test(segment)) return undefined;
  const id = Number(segment);
  return id <= MAX_LWM2M_ID ? id : undefined;
};

/**
 * Reads a resolved SenML name as an LwM2M path ("/3303/0/5700"), or undefined when it is not one.
 * The leading '/' is required: LwM2M Core 1.1 (7.4.4, 7.4.5) names are paths from the root, and a
 * name without it ("3303/0/5700") is a plain RFC 8428 name that only looks like one.
 */
export const parseLwm2mName = (name: string): Lwm2mPathParts | undefined => {
  if (!name.startsWith('/')) return undefined;
  const segments = name.slice(1).split('/');
  if (segments.length > 4) return undefined;
  const ids: number[] = [];
  for (const segment of segments) {
    const id = toId(segment);
    if (id === undefined) return undefined;
    ids.push(id);
  }
  return lwm2mPathParts(ids);
};

/** The parts for ids in path order (object, instance, resource, resource instance); undefined without an object id. */
export const lwm2mPathParts = (ids: readonly (number | undefined)[]): Lwm2mPathParts | undefined => {
  const [objectId, instanceId, resourceId, resourceInstanceId] = ids;
  if (objectId === undefined) return undefined;
  return {
    objectId,
    ...(instanceId !== undefined && { instanceId }),
    ...(resourceId !== undefined && { resourceId }),
    ...(resourceInstanceId !== undefined && { resourceInstanceId }),
  };
};

/** The canonical path for its parts; throws a SenmlError for parts that no path has. */
export const toLwm2mPath = (parts: Lwm2mPathParts): string => {
  const ids = [parts.objectId, parts.instanceId, parts.resourceId, parts.resourceInstanceId];
  const firstMissing = ids.indexOf(undefined);
  const present = firstMissing === -1 ? ids : ids.slice(0, firstMissing);
  if (ids.slice(present.length).some((id) => id !== undefined)) {
    throw new SenmlError('invalid-name', 'an LwM2M path cannot skip a level: give the instance before the resource, the resource before its instance');
  }
  for (const id of present) {
    if (!Number.isInteger(id) || (id as number) < 0 || (id as number) > MAX_LWM2M_ID) {
      throw new SenmlError('invalid-name', `LwM2M ids are integers 0..${MAX_LWM2M_ID}, not ${String(id)}`);
    }
  }
  return `/${present.join('/')}`;
};

/** LwM2M Object Link value "objectId:instanceId" (the `vlo` label); "65535:65535" is the null link. */
export const parseObjectLink = (text: string): ObjectLink | undefined => {
  const parts = text.split(':');
  if (parts.length !== 2) return undefined;
  const objectId = toId(parts[0]!);
  const instanceId = toId(parts[1]!);
  return objectId === undefined || instanceId === undefined ? undefined : { objectId, instanceId };
};

/** True when `path` is `prefix` or lies under it ("/3/0/1" is under "/3/0" and "/"). */
export const isUnderLwm2mPath = (path: Lwm2mPathParts, prefix: Lwm2mPathParts | 'root'): boolean => {
  if (prefix === 'root') return true;
  const a = [path.objectId, path.instanceId, path.resourceId, path.resourceInstanceId];
  const b = [prefix.objectId, prefix.instanceId, prefix.resourceId, prefix.resourceInstanceId];
  return b.every((id, i) => id === undefined || a[i] === id);
};
