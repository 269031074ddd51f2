import type { ObjectDefinition, ResourceDefinition, ResourceValue, TypedValue } from '../../schemas/lwm2m/index.ts';

/**
 * What a simulated device holds: its objects, their instances and resource values, typed as
 * `schemas/lwm2m` types them so the codecs encode them without a second model. Each object comes
 * with its behaviour (which resources this device implements, what Execute does, what a write
 * from the server sets off). Every change of a value is reported once, by path, so observations
 * and the MQTT publisher hear of it whoever made it (the sensor, a write, an execute).
 */

export type ResourceContent =
  | { readonly multiple: false; readonly value: TypedValue }
  | { readonly multiple: true; readonly values: ReadonlyMap<number, TypedValue> };

export interface ExecuteOutcome {
  /** Default 2.04 Changed. */
  readonly code?: number;
  readonly diagnostic?: string;
  /** Runs once the answer has left (a reboot must not swallow its own 2.04). */
  readonly after?: () => void;
}

export interface ObjectBehaviour {
  readonly definition: ObjectDefinition;
  /** The resources this device implements, of those the definition lists. */
  readonly supported: readonly number[];
  /** The server may Create instances. */
  readonly creatable?: boolean;
  /** The server may Delete instances. */
  readonly deletable?: boolean;
  /**
   * A Write to an instance that does not exist creates it, as a Bootstrap-Write would. Our bridge
   * bootstraps object 18830 through the management interface, so this object takes it.
   */
  readonly createOnWrite?: boolean;
  /** Values read fresh each time (the current time) rather than stored. */
  readonly computed?: (instanceId: number, resourceId: number) => TypedValue | undefined;
  /** What a new instance holds before the server's values are applied (mandatory resources' defaults). */
  readonly defaults?: (instanceId: number) => ReadonlyMap<number, ResourceContent>;
  readonly execute?: (instanceId: number, resourceId: number, args: string) => ExecuteOutcome;
  /** Refuses values this device cannot take (4.00 with the reason), before anything is stored. */
  readonly validate?: (instanceId: number, contents: ReadonlyMap<number, ResourceContent>) => string | undefined;
  /**
   * The server changed these resources (undefined: removed), after they are stored and before the
   * answer leaves. What it returns runs once the answer has left.
   */
  readonly written?: (instanceId: number, written: ReadonlyMap<number, ResourceContent | undefined>) => (() => void) | undefined;
  /** The server created or deleted an instance. */
  readonly instancesChanged?: (instanceId: number, change: 'created' | 'deleted') => (() => void) | undefined;
}

interface ObjectEntry {
  readonly behaviour: ObjectBehaviour;
  readonly supported: ReadonlySet<number>;
  readonly instances: Map<number, Map<number, ResourceContent>>;
}

export const sameValue = (a: TypedValue, b: TypedValue): boolean => {
  if (a.type !== b.type) return false;
  if (a.value instanceof Uint8Array && b.value instanceof Uint8Array) return Buffer.from(a.value).equals(Buffer.from(b.value));
  if (typeof a.value === 'object' && typeof b.value === 'object' && !(a.value instanceof Uint8Array) && !(b.value instanceof Uint8Array)) {
    return a.value.objectId === b.value.objectId && a.value.instanceId === b.value.instanceId;
  }
  return a.value === b.value;
};

const sameContent = (a: ResourceContent | undefined, b: ResourceContent | undefined): boolean => {
  if (a === undefined || b === undefined) return a === b;
  if (!a.multiple || !b.multiple) return !a.multiple && !b.multiple && sameValue(a.value, b.value);
  if (a.values.size !== b.values.size) return false;
  for (const [id, v] of a.values) {
    const other = b.values.get(id);
    if (other === undefined || !sameValue(v, other)) return false;
  }
  return true;
};

export const single = (value: TypedValue): ResourceContent => ({ multiple: false, value });
export const multiple = (values: Iterable<[number, TypedValue]>): ResourceContent => ({ multiple: true, values: new Map(values) });

export class ObjectTree {
  private readonly objects = new Map<number, ObjectEntry>();

  /** `changed` hears each path whose value changed, was added or removed (resource or instance level). */
  constructor(private readonly changed: (paths: readonly string[]) => void = () => {}) {}

  add(behaviour: ObjectBehaviour): void {
    const known = new Set(behaviour.definition.resources.map((r) => r.id));
    for (const id of behaviour.supported) {
      if (!known.has(id)) throw new Error(`object ${behaviour.definition.id} has no resource ${id} in its definition; fix the behaviour's supported list`);
    }
    this.objects.set(behaviour.definition.id, { behaviour, supported: new Set(behaviour.supported), instances: new Map() });
  }

  objectIds(): number[] {
    return [...this.objects.keys()].sort((a, b) => a - b);
  }

  behaviour(objectId: number): ObjectBehaviour | undefined {
    return this.objects.get(objectId)?.behaviour;
  }

  definitionOf(objectId: number, resourceId: number): ResourceDefinition | undefined {
    const entry = this.objects.get(objectId);
    if (entry === undefined || !entry.supported.has(resourceId)) return undefined;
    return entry.behaviour.definition.resources.find((r) => r.id === resourceId);
  }

  instanceIds(objectId: number): number[] {
    return [...(this.objects.get(objectId)?.instances.keys() ?? [])].sort((a, b) => a - b);
  }

  hasInstance(objectId: number, instanceId: number): boolean {
    return this.objects.get(objectId)?.instances.has(instanceId) ?? false;
  }

  /** Resource ids present in this instance, ascending: those holding a value (stored or computed) and the Execute ones. */
  resourceIds(objectId: number, instanceId: number): number[] {
    const entry = this.objects.get(objectId);
    const instance = entry?.instances.get(instanceId);
    if (entry === undefined || instance === undefined) return [];
    const executable = new Set(entry.behaviour.definition.resources.filter((r) => r.operations === 'E').map((r) => r.id));
    return [...entry.supported].filter((r) => executable.has(r) || this.get(objectId, instanceId, r) !== undefined).sort((a, b) => a - b);
  }

  get(objectId: number, instanceId: number, resourceId: number): ResourceContent | undefined {
    const entry = this.objects.get(objectId);
    const instance = entry?.instances.get(instanceId);
    if (entry === undefined || instance === undefined || !entry.supported.has(resourceId)) return undefined;
    const computed = entry.behaviour.computed?.(instanceId, resourceId);
    if (computed !== undefined) return single(computed);
    return instance.get(resourceId);
  }

  /** A single resource's value, when it holds one. */
  value(objectId: number, instanceId: number, resourceId: number): TypedValue | undefined {
    const content = this.get(objectId, instanceId, resourceId);
    return content !== undefined && !content.multiple ? content.value : undefined;
  }

  /** Creates an instance with its defaults and `contents` over them. Reports the instance path. */
  createInstance(objectId: number, instanceId: number, contents: ReadonlyMap<number, ResourceContent> = new Map()): void {
    const entry = this.require(objectId);
    if (entry.instances.has(instanceId)) throw new Error(`/${objectId}/${instanceId} already exists`);
    const instance = new Map(entry.behaviour.defaults?.(instanceId) ?? []);
    for (const [id, content] of contents) instance.set(id, content);
    entry.instances.set(instanceId, instance);
    this.changed([`/${objectId}/${instanceId}`]);
  }

  deleteInstance(objectId: number, instanceId: number): boolean {
    const entry = this.require(objectId);
    if (!entry.instances.delete(instanceId)) return false;
    this.changed([`/${objectId}/${instanceId}`]);
    return true;
  }

  /** Sets (or with undefined removes) one resource; reports its path only when the value changed. */
  set(objectId: number, instanceId: number, resourceId: number, content: ResourceContent | undefined): boolean {
    return this.setMany(objectId, instanceId, new Map([[resourceId, content]])).length > 0;
  }

  /** Sets several resources of one instance and reports the changed ones together. Returns their ids. */
  setMany(objectId: number, instanceId: number, contents: ReadonlyMap<number, ResourceContent | undefined>): number[] {
    const entry = this.require(objectId);
    const instance = entry.instances.get(instanceId);
    if (instance === undefined) throw new Error(`/${objectId}/${instanceId} does not exist; create it first`);
    const changedIds: number[] = [];
    for (const [resourceId, content] of contents) {
      if (!entry.supported.has(resourceId)) throw new Error(`/${objectId}/${instanceId}/${resourceId} is not a resource this device implements`);
      if (sameContent(instance.get(resourceId), content)) continue;
      if (content === undefined) instance.delete(resourceId);
      else instance.set(resourceId, content);
      changedIds.push(resourceId);
    }
    if (changedIds.length > 0) this.changed(changedIds.map((r) => `/${objectId}/${instanceId}/${r}`));
    return changedIds;
  }

  /**
   * The values under a path, flattened for the codecs: one per single resource, one per resource
   * instance. `readable` keeps only resources with R (what Read and Observe may return).
   */
  values(path: readonly number[], readable: boolean): ResourceValue[] {
    const [objectId, instanceId, resourceId, resourceInstanceId] = path;
    if (objectId === undefined) return [];
    const instances = instanceId === undefined ? this.instanceIds(objectId) : [instanceId];
    const out: ResourceValue[] = [];
    for (const i of instances) {
      const resources = resourceId === undefined ? this.resourceIds(objectId, i) : [resourceId];
      for (const r of resources) {
        const definition = this.definitionOf(objectId, r);
        if (definition === undefined || (readable && !definition.operations.includes('R'))) continue;
        const content = this.get(objectId, i, r);
        if (content === undefined) continue;
        if (!content.multiple) {
          out.push({ ...content.value, path: `/${objectId}/${i}/${r}` });
          continue;
        }
        for (const [ri, v] of [...content.values].sort(([a], [b]) => a - b)) {
          if (resourceInstanceId !== undefined && ri !== resourceInstanceId) continue;
          out.push({ ...v, path: `/${objectId}/${i}/${r}/${ri}` });
        }
      }
    }
    return out;
  }

  private require(objectId: number): ObjectEntry {
    const entry = this.objects.get(objectId);
    if (entry === undefined) throw new Error(`object ${objectId} is not on this device`);
    return entry;
  }
}
