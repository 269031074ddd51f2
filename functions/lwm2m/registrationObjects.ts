import { linkParam, parseLinkFormat, type Link, type LinkFormatLimits } from './linkFormat.ts';

/**
 * What a Register/Update body says about the client (LwM2M Core 1.1 §6.2.1, 1.2 §6.2.1.1):
 *
 *   </>;rt="oma.lwm2m";ct="60 110 112 11542 11543",</1/0>,</3/0>,</5>,</3303>;ver=1.1
 *
 * The link with rt="oma.lwm2m" names the root path (an alternate path like </lwm2m> moves every
 * object under it) and, with `ct`, the content formats the client supports. Other links are
 * Objects (`</5>`: supported, no instance) or Object Instances (`</3/0>`), with `ver` on an Object
 * whose version is not 1.0. A link under the root that is not /object or /object/instance is an
 * error; links outside the root are kept but carry no meaning for the server.
 */

export interface RegisteredObject {
  readonly objectId: number;
  /** The `ver` parameter, when the client gave one (absent means 1.0). */
  readonly version?: string;
  readonly instances: readonly number[];
}

export interface ObjectLinks {
  /** '' for the default root '/', or an alternate path like '/lwm2m'. */
  readonly rootPath: string;
  /** The `ct` of the root link: content formats the client supports (empty when not announced). */
  readonly contentFormats: readonly number[];
  /** By ascending object id. */
  readonly objects: readonly RegisteredObject[];
  /** Links outside the root path, verbatim. */
  readonly otherLinks: readonly string[];
}

export type ObjectLinksParse = { readonly ok: true; readonly value: ObjectLinks } | { readonly ok: false; readonly reason: string };

const ID = /^(0|[1-9]\d{0,4})$/;
const VERSION = /^\d{1,3}\.\d{1,3}$/;

export const readObjectLinks = (body: Uint8Array, limits: LinkFormatLimits = {}): ObjectLinksParse => {
  const parsed = parseLinkFormat(body, limits);
  if (!parsed.ok) return parsed;
  return interpretLinks(parsed.links);
};

export const interpretLinks = (links: readonly Link[]): ObjectLinksParse => {
  const fail = (reason: string): ObjectLinksParse => ({ ok: false, reason });
  const roots = links.filter((l) => (linkParam(l, 'rt') ?? '').split(' ').includes('oma.lwm2m'));
  if (roots.length > 1) return fail('more than one link has rt="oma.lwm2m"; there is one root path');
  const root = roots[0];
  let rootPath = '';
  const contentFormats: number[] = [];
  if (root !== undefined) {
    rootPath = root.target.replace(/\/+$/, '');
    if (rootPath !== '' && !/^(\/[A-Za-z0-9\-._~]+)+$/.test(rootPath)) return fail(`root path '${root.target}' is not an absolute path of plain segments`);
    const ct = linkParam(root, 'ct');
    if (ct !== undefined && ct !== '') {
      for (const part of ct.split(' ')) {
        if (!/^\d{1,5}$/.test(part) || Number(part) > 65535) return fail(`root link ct '${ct}' is not a list of content-format numbers`);
        contentFormats.push(Number(part));
      }
    }
  }
  const objects = new Map<number, { version?: string; instances: Set<number> }>();
  const otherLinks: string[] = [];
  for (const link of links) {
    if (link === root) continue;
    const prefix = `${rootPath}/`;
    if (!link.target.startsWith(prefix)) {
      otherLinks.push(link.target);
      continue;
    }
    const segments = link.target.slice(prefix.length).split('/');
    if (segments.length > 2 || !segments.every((s) => ID.test(s))) {
      return fail(`link <${link.target}> is neither an Object (</${rootPath.slice(1)}3>) nor an Object Instance (</3/0>)`);
    }
    const [objectId, instanceId] = segments.map(Number) as [number, number?];
    if (objectId > 65535 || (instanceId !== undefined && instanceId > 65534)) return fail(`link <${link.target}> has an id out of range`);
    const entry = objects.get(objectId) ?? { instances: new Set<number>() };
    objects.set(objectId, entry);
    const version = linkParam(link, 'ver');
    if (version !== undefined) {
      if (!VERSION.test(version)) return fail(`link <${link.target}> has ver='${version}'; expected major.minor like 1.1`);
      entry.version = version;
    }
    if (instanceId !== undefined) entry.instances.add(instanceId);
  }
  return {
    ok: true,
    value: {
      rootPath,
      contentFormats,
      objects: [...objects.entries()]
        .sort(([a], [b]) => a - b)
        .map(([objectId, { version, instances }]) => ({
          objectId,
          ...(version !== undefined ? { version } : {}),
          instances: [...instances].sort((a, b) => a - b),
        })),
      otherLinks,
    },
  };
};
