import { CodecError } from '../../errors.ts';
import { limitsOf } from '../../limits.ts';
import type { CodecLimits, DecodeOptions, EncodeOptions } from '../../limits.ts';
import { DEFAULT_OBJECT_MODEL } from '../../objects/model.ts';
import type { ObjectModel } from '../../objects/model.ts';
import type { ValueType } from '../../objects/types.ts';
import { formatPath, MAX_ID } from '../../path.ts';
import type { Lwm2mPath } from '../../path.ts';
import type { ResourceValue } from '../../values.ts';
import { checkEncodedSize, checkPayloadBytes, checkRecordCount, checkUnder, checkValuesToEncode, guarded, requestedPath, resourceAt } from '../common.ts';
import { describeItem } from './item.ts';
import type { CborItem } from './item.ts';
import { readCbor } from './read.ts';
import { itemToValue, valueToItem } from './values.ts';
import { writeCbor } from './write.ts';

const CF = 11544;

const keyIds = (key: CborItem, prefix: readonly number[]): number[] => {
  const at = { contentFormat: CF, path: prefix.length === 0 ? '/' : formatPath(prefix) };
  const id = (item: CborItem): number => {
    if (item.kind !== 'int' || item.value < 0n || item.value > BigInt(MAX_ID)) {
      throw new CodecError('invalid-path', `a map key must be an id 0..${MAX_ID} or an array of them, not ${item.kind === 'int' ? String(item.value) : describeItem(item)}`, at);
    }
    return Number(item.value);
  };
  if (key.kind === 'array') {
    if (key.items.length === 0) throw new CodecError('invalid-path', 'a map key that is an array lists at least one id', at);
    return key.items.map(id);
  }
  return [id(key)];
};

interface Walk {
  requested: number[];
  model: ObjectModel;
  limits: CodecLimits;
  seen: Set<string>;
  out: ResourceValue[];
}

const walkMap = (walk: Walk, map: Extract<CborItem, { kind: 'map' }>, prefix: number[]): void => {
  for (const [key, value] of map.entries) {
    const path = [...prefix, ...keyIds(key, prefix)];
    if (path.length > 4) throw new CodecError('invalid-path', `keys add up to ${path.length} ids; LwM2M paths have at most 4`, { contentFormat: CF, path: `/${path.join('/')}` });
    if (value.kind === 'map') {
      if (path.length === 4) throw new CodecError('invalid-path', 'a map under a resource instance: there is nothing deeper', { contentFormat: CF, path: formatPath(path) });
      walkMap(walk, value, path);
      continue;
    }
    const text = formatPath(path);
    checkUnder(path, walk.requested, CF);
    const definition = resourceAt(walk.model, path, CF);
    if (walk.seen.has(text)) throw new CodecError('malformed', 'the same path is given twice', { contentFormat: CF, path: text });
    walk.seen.add(text);
    checkRecordCount(walk.out.length + 1, CF, walk.limits);
    walk.out.push({ path: text, ...itemToValue(definition?.type as ValueType | undefined, value, text, CF) });
  }
};

/**
 * Decodes LwM2M CBOR (11544, LwM2M Core 1.2 7.4.7): nested maps from the root, keyed by ids,
 * where a key may be an array of ids that stands for several levels ({[3, 0]: {0: "ACME"}}).
 * Every value must lie under the requested path (the root for composite operations).
 * Throws only CodecError.
 */
export const decodeLwm2mCbor = (bytes: Uint8Array, requestedPathIn: string | Lwm2mPath, model: ObjectModel = DEFAULT_OBJECT_MODEL, options?: DecodeOptions): ResourceValue[] =>
  guarded(CF, () => {
    const limits = limitsOf(options);
    checkPayloadBytes(bytes, CF, limits);
    const requested = requestedPath(requestedPathIn, CF, ['root', 'object', 'instance', 'resource', 'resource-instance'], '');
    const top = readCbor(bytes, limits, CF);
    if (top.kind !== 'map') throw new CodecError('malformed', `LwM2M CBOR is a map keyed by ids, not ${describeItem(top)}`, { contentFormat: CF });
    const walk: Walk = { requested, model, limits, seen: new Set(), out: [] };
    walkMap(walk, top, []);
    return walk.out;
  });

type Tree = Map<number, Tree | CborItem>;

/**
 * Encodes values as LwM2M CBOR (11544): one map level per id from the root, keys in the order
 * the values come. Throws only CodecError.
 */
export const encodeLwm2mCbor = (values: readonly ResourceValue[], options?: EncodeOptions): Uint8Array =>
  guarded(CF, () => {
    const limits = limitsOf(options);
    const root: Tree = new Map();
    for (const { ids, value } of checkValuesToEncode(values, CF, limits)) {
      let node = root;
      ids.slice(0, -1).forEach((id, level) => {
        let next = node.get(id);
        if (next === undefined) node.set(id, (next = new Map()));
        if (!(next instanceof Map)) {
          throw new CodecError('bad-argument', 'a resource is given both as a single value and with resource instances', { contentFormat: CF, path: formatPath(ids.slice(0, level + 1)) });
        }
        node = next;
      });
      if (node.has(ids.at(-1)!)) throw new CodecError('bad-argument', 'a resource is given both as a single value and with resource instances', { contentFormat: CF, path: value.path });
      node.set(ids.at(-1)!, valueToItem(value));
    }
    const toItem = (tree: Tree): CborItem => ({
      kind: 'map',
      entries: [...tree].map(([id, child]) => [{ kind: 'int', value: BigInt(id) }, child instanceof Map ? toItem(child) : child]),
    });
    return checkEncodedSize(writeCbor(toItem(root)), CF, limits);
  });
