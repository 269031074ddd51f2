import type { SenmlProfile } from './types.ts';

// RFC 8428 section 4.5.1: letters, digits, - : . / _ ; the first character a letter or digit.
const RFC_NAME = /^[A-Za-z0-9][-:./_A-Za-z0-9]*$/;
// LwM2M Core 1.1 names are paths from the root ("/3303/0/5700"): one leading '/' is allowed
// before an otherwise RFC-conformant name.
const LWM2M_NAME = /^\/?[A-Za-z0-9][-:./_A-Za-z0-9]*$/;

/** Whether a concatenated (base name + name) SenML name is allowed under the profile. */
export const isValidSenmlName = (name: string, profile: SenmlProfile = 'rfc8428'): boolean =>
  (profile === 'lwm2m' ? LWM2M_NAME : RFC_NAME).test(name);

export const nameRuleText = (profile: SenmlProfile): string =>
  profile === 'lwm2m'
    ? 'an optional leading "/" then a letter or digit, then only letters, digits and - : . / _ (RFC 8428 section 4.5.1, LwM2M paths)'
    : 'a letter or digit first, then only letters, digits and - : . / _ (RFC 8428 section 4.5.1)';
