import type { Lwm2mVersion } from '../../schemas/lwm2m/index.ts';
import { announcedFormats } from './contentFormats.ts';
import type { ObjectTree } from './objectTree.ts';

const SECURITY_OBJECT = 0;

/**
 * The link-format body of Register and Update (LwM2M Core 1.1 §6.2.1, 1.2 §6.2.1.1):
 *
 *   </>;rt="oma.lwm2m";ct="60 110 112 11542",</1/0>,</3>;ver=1.2,</3/0>,</3303>;ver=1.1,</3303/0>,</18830>
 *
 * From 1.1 the root link names the content formats the client reads; an object whose version is
 * not 1.0 gets an object link carrying `ver`. An object without instances is listed bare
 * (`</18830>`: supported, nothing written yet), which is how the backend sees that a device awaits
 * its MQTT credentials. The Security object is never listed.
 */
export const registrationLinks = (tree: ObjectTree, version: Lwm2mVersion): string => {
  const links: string[] = [];
  if (version !== '1.0') links.push(`</>;rt="oma.lwm2m";ct="${announcedFormats(version).join(' ')}"`);
  for (const objectId of tree.objectIds()) {
    if (objectId === SECURITY_OBJECT) continue;
    const objectVersion = tree.behaviour(objectId)?.definition.objectVersion ?? '1.0';
    const versioned = version !== '1.0' && objectVersion !== '1.0';
    const instances = tree.instanceIds(objectId);
    if (versioned || instances.length === 0) links.push(`</${objectId}>${versioned ? `;ver=${objectVersion}` : ''}`);
    for (const instanceId of instances) links.push(`</${objectId}/${instanceId}>`);
  }
  return links.join(',');
};
