/**
 * OMA LwM2M TLV (content format 11542), LwM2M Core 1.0 6.4.3 / 1.1 7.4.3. One TLV is:
 *
 *   type (1 byte) | identifier (1 or 2 bytes) | length (0 to 3 bytes) | value
 *
 * Type bits 7-6: what the identifier names; bit 5: identifier is 16-bit; bits 4-3: the length
 * field is 0, 8, 16 or 24 bits; bits 2-0: the value length itself when that field is absent.
 */
export type TlvKind = 'object-instance' | 'resource-instance' | 'multiple-resource' | 'resource';

export const KIND_BITS: Record<TlvKind, number> = {
  'object-instance': 0b00,
  'resource-instance': 0b01,
  'multiple-resource': 0b10,
  resource: 0b11,
};

export const KIND_OF_BITS: readonly TlvKind[] = ['object-instance', 'resource-instance', 'multiple-resource', 'resource'];

/** 24 bits of length: the largest value one TLV can hold (about 16.7 MB). */
export const MAX_TLV_LENGTH = 0xffffff;

/** The header bytes for a TLV of `kind`, `id` and value `length`, each field as short as it can be. */
export const tlvHeader = (kind: TlvKind, id: number, length: number): number[] => {
  const wideId = id > 0xff;
  let lengthType: number;
  let lengthBytes: number[];
  if (length <= 7) {
    lengthType = 0;
    lengthBytes = [];
  } else if (length <= 0xff) {
    lengthType = 1;
    lengthBytes = [length];
  } else if (length <= 0xffff) {
    lengthType = 2;
    lengthBytes = [length >>> 8, length & 0xff];
  } else {
    lengthType = 3;
    lengthBytes = [length >>> 16, (length >>> 8) & 0xff, length & 0xff];
  }
  const type = (KIND_BITS[kind] << 6) | (wideId ? 0x20 : 0) | (lengthType << 3) | (lengthType === 0 ? length : 0);
  return [type, ...(wideId ? [id >>> 8, id & 0xff] : [id]), ...lengthBytes];
};
