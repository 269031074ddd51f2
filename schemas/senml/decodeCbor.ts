import { Decoder } from 'cbor-x';
import { SenmlError } from './errors.ts';
import { guard } from './guard.ts';
import { checkVersions, readRecord } from './readRecord.ts';
import { scanSenmlCbor } from './cborScan.ts';
import { limitsOf, profileOf } from './types.ts';
import type { SenmlOptions, SenmlPack } from './types.ts';

// Maps stay Maps so integer labels stay integers; records extension off (plain CBOR only);
// 64-bit integers become doubles, which is what RFC 8428 section 6 says a number means.
// (int64AsNumber is a cbor-x option its type declarations do not list.)
const options = { mapsAsObjects: false, useRecords: false, int64AsNumber: true };
const decoder = new Decoder(options);

/**
 * Decodes application/senml+cbor (CoAP content format 112) into records. Everything a single
 * record can get wrong is checked here; `resolve` checks names and values across the pack.
 * Throws only SenmlError.
 */
export const decodeSenmlCbor = (bytes: Uint8Array, options?: SenmlOptions): SenmlPack =>
  guard('not-cbor', 'the CBOR could not be decoded', () => {
    if (!(bytes instanceof Uint8Array)) throw new SenmlError('bad-argument', 'decodeSenmlCbor takes the payload bytes as a Uint8Array');
    scanSenmlCbor(bytes, limitsOf(options));
    // The scan has already refused everything cbor-x would treat specially (tags other than 4,
    // simple values, indefinite strings), so what is decoded here is plain CBOR.
    const decoded: unknown = decoder.decode(bytes);
    if (!Array.isArray(decoded)) throw new SenmlError('not-an-array', 'a SenML pack is a CBOR array of maps (RFC 8428 section 6)');
    const profile = profileOf(options);
    const pack = decoded.map((item: unknown, i) => {
      if (!(item instanceof Map)) throw new SenmlError('not-a-record', 'is not a CBOR map', i);
      return readRecord((item as Map<string | number, unknown>).entries(), 'cbor', profile, i);
    });
    checkVersions(pack);
    return pack;
  });
