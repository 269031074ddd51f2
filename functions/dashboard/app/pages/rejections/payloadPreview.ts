/**
 * A rejected message's bytes as people can look at them: hexadecimal, and the printable ASCII
 * beside it, for the first bytes only (a kept payload may be 128 KiB).
 */

/** Standard or URL-safe base64 to bytes; undefined when it is not base64. */
export const bytesFromBase64 = (text: string): Uint8Array | undefined => {
  const normal = text.replace(/-/g, '+').replace(/_/g, '/').replace(/\s+/g, '');
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(normal) || normal.replace(/=+$/, '').length % 4 === 1) return undefined;
  const padded = normal.padEnd(Math.ceil(normal.length / 4) * 4, '=');
  const binary = atob(padded);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
};

export interface Preview {
  /** "de ad be ef", the first `max` bytes. */
  readonly hex: string;
  /** The same bytes as text, "." for anything not printable ASCII. */
  readonly ascii: string;
  /** Bytes not shown. */
  readonly more: number;
}

export const previewBytes = (bytes: Uint8Array, max = 48): Preview => {
  const shown = bytes.subarray(0, max);
  const hex = Array.from(shown, (b) => b.toString(16).padStart(2, '0')).join(' ');
  const ascii = Array.from(shown, (b) => (b >= 0x20 && b < 0x7f ? String.fromCharCode(b) : '.')).join('');
  return { hex, ascii, more: bytes.length - shown.length };
};
