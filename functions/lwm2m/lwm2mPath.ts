/**
 * LwM2M paths /{Object ID}[/{Object Instance ID}[/{Resource ID}[/{Resource Instance ID}]]]
 * (LwM2M Core 1.1 §7.1). IDs are 16-bit; 65535 is reserved for instance and resource IDs.
 */
export interface Lwm2mPath {
  readonly objectId: number;
  readonly instanceId?: number;
  readonly resourceId?: number;
  readonly resourceInstanceId?: number;
}

export type PathParse = { readonly ok: true; readonly path: Lwm2mPath; readonly depth: 1 | 2 | 3 | 4 } | { readonly ok: false; readonly reason: string };

const ID = /^(0|[1-9]\d{0,4})$/;

export const parseLwm2mPath = (text: string): PathParse => {
  if (!text.startsWith('/')) return { ok: false, reason: `path '${text}' must start with '/' (e.g. /3/0/1)` };
  const segments = text.slice(1).split('/');
  if (segments.length === 0 || segments.length > 4 || segments[0] === '') {
    return { ok: false, reason: `path '${text}' must have 1 to 4 segments: /object[/instance[/resource[/resource-instance]]]` };
  }
  const ids: number[] = [];
  for (const [i, segment] of segments.entries()) {
    if (!ID.test(segment)) return { ok: false, reason: `path '${text}': segment '${segment}' is not a decimal id` };
    const id = Number(segment);
    const max = i === 0 ? 65535 : 65534;
    if (id > max) return { ok: false, reason: `path '${text}': id ${id} is above ${max}` };
    ids.push(id);
  }
  const [objectId, instanceId, resourceId, resourceInstanceId] = ids as [number, number?, number?, number?];
  const path: Lwm2mPath = {
    objectId,
    ...(instanceId !== undefined ? { instanceId } : {}),
    ...(resourceId !== undefined ? { resourceId } : {}),
    ...(resourceInstanceId !== undefined ? { resourceInstanceId } : {}),
  };
  return { ok: true, path, depth: ids.length as 1 | 2 | 3 | 4 };
};

export const formatLwm2mPath = (path: Lwm2mPath): string =>
  `/${[path.objectId, path.instanceId, path.resourceId, path.resourceInstanceId].filter((id) => id !== undefined).join('/')}`;
