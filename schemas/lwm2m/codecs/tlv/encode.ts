import { CodecError } from '../../errors.ts';
import { limitsOf } from '../../limits.ts';
import type { EncodeOptions } from '../../limits.ts';
import { formatPath, isUnderPath } from '../../path.ts';
import type { ResourceValue } from '../../values.ts';
import { ByteWriter } from '../bytes.ts';
import { checkEncodedSize, checkValuesToEncode, guarded, requestedPath } from '../common.ts';
import type { CheckedValue } from '../common.ts';
import { MAX_TLV_LENGTH, tlvHeader } from './header.ts';
import type { TlvKind } from './header.ts';
import { encodeTlvValue } from './values.ts';

const CF = 11542;

/** A TLV to write: a value, or children (which are written first to learn the length). */
interface Out {
  kind: TlvKind;
  id: number;
  value?: Uint8Array;
  children?: Out[];
}

const write = (out: Out, writer: ByteWriter): void => {
  let value = out.value;
  if (out.children !== undefined) {
    const inner = new ByteWriter();
    out.children.forEach((child) => write(child, inner));
    value = inner.toBytes();
  }
  if (value!.length > MAX_TLV_LENGTH) {
    throw new CodecError('too-large', `a ${out.kind} TLV of ${value!.length} bytes; a TLV holds at most ${MAX_TLV_LENGTH} (24-bit length)`, { contentFormat: CF });
  }
  writer.bytes(Uint8Array.from(tlvHeader(out.kind, out.id, value!.length))).bytes(value!);
};

/** The deepest path every value lies under (at least the object). */
const commonPath = (values: CheckedValue[]): number[] => {
  const [first, ...rest] = values;
  let prefix = first!.ids;
  for (const { ids } of rest) {
    let n = 0;
    while (n < prefix.length && n < ids.length && prefix[n] === ids[n]) n++;
    prefix = prefix.slice(0, n);
  }
  return prefix;
};

/** Groups values by the id at `level` in their path, keeping first-seen order. */
const groupBy = (values: CheckedValue[], level: number): Map<number, CheckedValue[]> => {
  const groups = new Map<number, CheckedValue[]>();
  for (const v of values) {
    const id = v.ids[level]!;
    const group = groups.get(id);
    if (group === undefined) groups.set(id, [v]);
    else group.push(v);
  }
  return groups;
};

/** One resource: a single value, or (when its values are resource instances) a multiple resource. */
const resourceTlv = (resourceId: number, values: CheckedValue[]): Out => {
  const [first] = values;
  if (values.length === 1 && first!.ids.length === 3) return { kind: 'resource', id: resourceId, value: encodeTlvValue(first!.value) };
  if (values.some((v) => v.ids.length === 3)) {
    throw new CodecError('bad-argument', 'a resource is given both as a single value and with resource instances', { contentFormat: CF, path: formatPath(first!.ids.slice(0, 3)) });
  }
  return { kind: 'multiple-resource', id: resourceId, children: values.map((v) => ({ kind: 'resource-instance', id: v.ids[3]!, value: encodeTlvValue(v.value) })) };
};

const resourceTlvs = (values: CheckedValue[]): Out[] => [...groupBy(values, 2)].map(([id, group]) => resourceTlv(id, group));

/**
 * Encodes values as LwM2M TLV (11542) for a request about `options.path` (or, without it, the
 * deepest path all values share): object instance TLVs for "/o", resource TLVs for "/o/i", one
 * resource TLV (multiple if it has instances) for "/o/i/r", one resource instance TLV for
 * "/o/i/r/ri". Integers take the fewest of 1/2/4/8 bytes, floats 4 bytes when exact, ids and
 * lengths the shortest field. Throws only CodecError.
 */
export const encodeTlv = (values: readonly ResourceValue[], options?: EncodeOptions): Uint8Array =>
  guarded(CF, () => {
    const limits = limitsOf(options);
    const checked = checkValuesToEncode(values, CF, limits);
    if (checked.length === 0) return new Uint8Array(0);
    const base =
      options?.path === undefined
        ? commonPath(checked)
        : requestedPath(options.path, CF, ['object', 'instance', 'resource', 'resource-instance'], 'TLV is written for an object or deeper');
    if (base.length === 0) throw new CodecError('bad-argument', 'TLV carries values of one object; encode one payload per object', { contentFormat: CF });
    for (const v of checked) {
      if (!isUnderPath(v.ids, base)) throw new CodecError('bad-argument', `the value is not under ${formatPath(base)}, the path the payload is for`, { contentFormat: CF, path: v.value.path });
    }
    let top: Out[];
    switch (base.length) {
      case 1:
        top = [...groupBy(checked, 1)].map(([id, group]) => ({ kind: 'object-instance', id, children: resourceTlvs(group) }));
        break;
      case 2:
        top = resourceTlvs(checked);
        break;
      case 3:
        top = [resourceTlv(base[2]!, checked)];
        break;
      default:
        top = [{ kind: 'resource-instance', id: base[3]!, value: encodeTlvValue(checked[0]!.value) }];
    }
    const writer = new ByteWriter();
    top.forEach((out) => write(out, writer));
    return checkEncodedSize(writer.toBytes(), CF, limits);
  });
