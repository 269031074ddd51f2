import { describe, expect, it } from 'vitest';
import { bytesFromBase64, previewBytes } from '../../../functions/dashboard/app/pages/rejections/payloadPreview.ts';

describe('the preview of a rejected payload', () => {
  it('reads standard and URL-safe base64, padded or not', () => {
    expect(bytesFromBase64('3q2+7w==')).toEqual(new Uint8Array([0xde, 0xad, 0xbe, 0xef]));
    expect(bytesFromBase64('3q2-7w')).toEqual(new Uint8Array([0xde, 0xad, 0xbe, 0xef]));
    expect(bytesFromBase64('')).toEqual(new Uint8Array([]));
  });

  it('refuses what is not base64 instead of throwing', () => {
    expect(bytesFromBase64('not base64!')).toBeUndefined();
    expect(bytesFromBase64('abcde')).toBeUndefined();
  });

  it('shows hex and printable ASCII of the first bytes and counts the rest', () => {
    expect(previewBytes(new Uint8Array([0xde, 0xad, 0x41, 0x0a]))).toEqual({ hex: 'de ad 41 0a', ascii: '..A.', more: 0 });
    const big = previewBytes(new Uint8Array(100).fill(0x61), 4);
    expect(big).toEqual({ hex: '61 61 61 61', ascii: 'aaaa', more: 96 });
  });
});
