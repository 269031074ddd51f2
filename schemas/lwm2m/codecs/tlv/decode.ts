import { CodecError } from '../../errors.ts';
import { limitsOf } from '../../limits.ts';
import type { CodecLimits, DecodeOptions } from '../../limits.ts';
import { DEFAULT_OBJECT_MODEL } from '../../objects/model.ts';
import type { ObjectModel } from '../../objects/model.ts';
import { formatPath } from '../../path.ts';
import type { Lwm2mPath } from '../../path.ts';
import type { ResourceValue } from '../../values.ts';
import { checkPayloadBytes, checkRecordCount, checkUnder, guarded, requestedPath, resourceAt } from '../common.ts';
import { KIND_OF_BITS } from './header.ts';
import type { TlvKind } from './header.ts';
import { decodeTlvValue } from './values.ts';

const CF = 11542;

interface TlvNode {
  kind: TlvKind;
  id: number;
  /** Offset of the TLV's type byte, for error messages. */
  offset: number;
  /** Offset of the value and the value itself (a container's children are parsed from it). */
  valueOffset: number;
  value: Uint8Array;
  children: TlvNode[];
}

/** What may sit inside what: object instances hold resources, multiple resources hold instances. */
const CHILD_KINDS: Record<TlvKind, readonly TlvKind[]> = {
  'object-instance': ['resource', 'multiple-resource'],
  'multiple-resource': ['resource-instance'],
  resource: [],
  'resource-instance': [],
};

interface Walk {
  bytes: Uint8Array;
  limits: CodecLimits;
  values: number;
}

/** Parses the TLVs in bytes[start, end) into nodes, containers recursively. */
const parse = (walk: Walk, start: number, end: number, depth: number, parent: TlvKind | undefined): TlvNode[] => {
  if (depth > walk.limits.maxDepth) throw new CodecError('too-deep', `TLVs nested deeper than ${walk.limits.maxDepth} (limits.maxDepth)`, { contentFormat: CF, offset: start });
  const { bytes } = walk;
  const nodes: TlvNode[] = [];
  const overrun = (offset: number, what: string): never => {
    if (parent === undefined) throw new CodecError('truncated', `the payload ends inside a TLV's ${what}`, { contentFormat: CF, offset });
    throw new CodecError('malformed', `a TLV's ${what} runs past the end of its parent ${parent} TLV`, { contentFormat: CF, offset });
  };
  let pos = start;
  while (pos < end) {
    const offset = pos;
    const type = bytes[pos++]!;
    const kind = KIND_OF_BITS[type >>> 6]!;
    const idSize = type & 0x20 ? 2 : 1;
    const lengthSize = (type >>> 3) & 0x03;
    if (pos + idSize + lengthSize > end) overrun(offset, 'identifier or length');
    const id = idSize === 2 ? (bytes[pos]! << 8) | bytes[pos + 1]! : bytes[pos]!;
    pos += idSize;
    let length = lengthSize === 0 ? type & 0x07 : 0;
    for (let i = 0; i < lengthSize; i++) length = length * 256 + bytes[pos++]!;
    if (pos + length > end) overrun(offset, 'value');
    const allowed = parent === undefined ? undefined : CHILD_KINDS[parent];
    if (allowed !== undefined && !allowed.includes(kind)) {
      throw new CodecError('malformed', `a ${kind} TLV cannot sit inside a ${parent} TLV`, { contentFormat: CF, offset });
    }
    if (nodes.some((n) => n.id === id)) throw new CodecError('malformed', `${kind} ${id} appears twice at one level`, { contentFormat: CF, offset });
    const value = bytes.subarray(pos, pos + length);
    const isContainer = kind === 'object-instance' || kind === 'multiple-resource';
    const children = isContainer ? parse(walk, pos, pos + length, depth + 1, kind) : [];
    if (!isContainer) checkRecordCount(++walk.values, CF, walk.limits);
    nodes.push({ kind, id, offset, valueOffset: pos, value, children });
    pos += length;
  }
  return nodes;
};

/** Resource (or resource instance) TLVs, with the full path each one is for. */
interface Leaf {
  path: number[];
  node: TlvNode;
}

const leavesOfResource = (node: TlvNode, instancePath: readonly number[]): Leaf[] =>
  node.kind === 'resource'
    ? [{ path: [...instancePath, node.id], node }]
    : node.children.map((child) => ({ path: [...instancePath, node.id, child.id], node: child }));

const leavesOfInstance = (node: TlvNode, objectPath: readonly number[]): Leaf[] =>
  node.children.flatMap((child) => leavesOfResource(child, [...objectPath, node.id]));

const wrongShape = (requested: Lwm2mPath, expected: string, got: TlvNode): never => {
  throw new CodecError('malformed', `an answer about ${formatPath(requested)} carries ${expected}, not a ${got.kind} TLV`, { contentFormat: CF, offset: got.offset });
};

/**
 * Places the top-level TLVs under the requested path (TLV ids are relative to it). Tolerated,
 * because clients send them: an object instance wrapper around a single instance's resources,
 * and bare resource instances for a multiple resource.
 */
const leavesFor = (requested: number[], top: TlvNode[]): Leaf[] => {
  switch (requested.length) {
    case 1:
      return top.flatMap((node) => (node.kind === 'object-instance' ? leavesOfInstance(node, requested) : wrongShape(requested, 'object instance TLVs', node)));
    case 2: {
      const [only] = top;
      if (top.length === 1 && only!.kind === 'object-instance') return leavesOfInstance(only!, requested.slice(0, 1));
      return top.flatMap((node) =>
        node.kind === 'resource' || node.kind === 'multiple-resource' ? leavesOfResource(node, requested) : wrongShape(requested, 'resource TLVs', node),
      );
    }
    case 3: {
      const instancePath = requested.slice(0, 2);
      if (top.every((node) => node.kind === 'resource-instance')) {
        return top.map((node) => ({ path: [...requested, node.id], node }));
      }
      if (top.length > 1) throw new CodecError('malformed', `an answer about the resource ${formatPath(requested)} carries one resource TLV, not ${top.length}`, { contentFormat: CF });
      return top.flatMap((node) =>
        node.kind === 'resource' || node.kind === 'multiple-resource' ? leavesOfResource(node, instancePath) : wrongShape(requested, 'one resource TLV', node),
      );
    }
    default:
      if (top.length > 1) throw new CodecError('malformed', `an answer about the resource instance ${formatPath(requested)} carries one TLV, not ${top.length}`, { contentFormat: CF });
      return top.map((node) =>
        node.kind === 'resource-instance' ? { path: [...requested.slice(0, 3), node.id], node } : wrongShape(requested, 'one resource instance TLV', node),
      );
  }
};

/**
 * Decodes LwM2M TLV (11542) for a request about `requestedPath` (an object, instance, resource
 * or resource instance: TLV ids are relative to it). Types come from the object model; values
 * of resources it does not know are returned as Opaque. Throws only CodecError.
 */
export const decodeTlv = (bytes: Uint8Array, requestedPathIn: string | Lwm2mPath, model: ObjectModel = DEFAULT_OBJECT_MODEL, options?: DecodeOptions): ResourceValue[] =>
  guarded(CF, () => {
    const limits = limitsOf(options);
    checkPayloadBytes(bytes, CF, limits);
    const requested = requestedPath(requestedPathIn, CF, ['object', 'instance', 'resource', 'resource-instance'], 'TLV ids are relative to an object or deeper');
    const top = parse({ bytes, limits, values: 0 }, 0, bytes.length, 1, undefined);
    return leavesFor(requested, top).map(({ path, node }): ResourceValue => {
      checkUnder(path, requested, CF);
      const definition = resourceAt(model, path, CF);
      const text = formatPath(path);
      if (definition !== undefined) {
        const expected = definition.multiple ? 'resource-instance' : 'resource';
        if (node.kind !== expected) {
          throw new CodecError('model-mismatch', `"${definition.name}" is a ${definition.multiple ? 'multiple' : 'single'} resource, but came as a ${node.kind} TLV`, {
            contentFormat: CF,
            path: text,
            offset: node.offset,
          });
        }
      }
      const typed = decodeTlvValue(definition === undefined ? 'Opaque' : (definition.type as Exclude<typeof definition.type, 'none'>), node.value, text, node.valueOffset);
      return { path: text, ...typed };
    });
  });
