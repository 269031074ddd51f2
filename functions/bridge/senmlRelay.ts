import type { Payload } from '../lwm2m/payload.ts';
import { CONTENT_FORMAT, decodePayload, encodePayload, type ObjectModel, type ResourceValue } from '../../schemas/lwm2m/index.ts';

/**
 * Device data the bridge relays (an observation's notification, a Send) as SenML CBOR named by
 * LwM2M path: the pack a device would publish on `dt/lwm2m/<thing>/state`, so ingestion decodes it
 * unchanged whatever the device spoke (TLV, text, CBOR, SenML JSON, LwM2M CBOR). Records without a
 * time of their own get the time the LwM2M server received them: the bridge and the broker may add
 * delay the backend should not mistake for the device's.
 *
 * Throws CodecError when the payload does not decode or cannot be SenML (an integer beyond 2^53).
 */
export const toSenmlCbor = (payload: Payload, path: string, receivedAt: string, model?: ObjectModel): Uint8Array => {
  const nowSeconds = Math.floor(Date.parse(receivedAt) / 1000);
  const values = decodePayload(payload.contentFormat, payload.bytes, path, { nowSeconds, ...(model !== undefined ? { model } : {}) });
  const timed: ResourceValue[] = values.map((v) => (v.time === undefined ? { ...v, time: nowSeconds } : v));
  return encodePayload(CONTENT_FORMAT.SENML_CBOR, timed);
};
