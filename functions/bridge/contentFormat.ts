import type { Registration } from '../lwm2m/registrations.ts';
import { CONTENT_FORMAT } from '../../schemas/lwm2m/index.ts';

/**
 * The content format the bridge uses for a device's values (Read/Observe Accept, Write and Create
 * payloads): SenML CBOR for LwM2M 1.1 and later, TLV for 1.0, where TLV is the only multi-value
 * format every client must support (LwM2M 1.0 §6.4; 1.1 §7.4 makes SenML the recommended one).
 *
 * A client that announced its formats (`ct` on its root link) is taken at its word: when the
 * version's choice is not in its list, the first of its formats the codecs can write is used.
 */
const BY_PREFERENCE = [CONTENT_FORMAT.SENML_CBOR, CONTENT_FORMAT.SENML_JSON, CONTENT_FORMAT.LWM2M_CBOR, CONTENT_FORMAT.LWM2M_TLV] as const;

export const contentFormatFor = (registration: Pick<Registration, 'lwm2mVersion' | 'objectLinks'>): number => {
  const byVersion = registration.lwm2mVersion === '1.0' ? CONTENT_FORMAT.LWM2M_TLV : CONTENT_FORMAT.SENML_CBOR;
  const announced = registration.objectLinks.contentFormats;
  if (announced.length === 0 || announced.includes(byVersion)) return byVersion;
  return BY_PREFERENCE.find((cf) => announced.includes(cf)) ?? byVersion;
};
