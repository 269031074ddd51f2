/** CoAP messages as RFC 7252 §3 lays them out, plus the codes LwM2M uses. */

export type MessageType = 'CON' | 'NON' | 'ACK' | 'RST';
export const MESSAGE_TYPES: readonly MessageType[] = ['CON', 'NON', 'ACK', 'RST'];

export interface CoapOption {
  readonly number: number;
  readonly value: Buffer;
}

export interface CoapMessage {
  readonly type: MessageType;
  /** class << 5 | detail, e.g. 0x45 for 2.05. */
  readonly code: number;
  readonly messageId: number;
  /** 0 to 8 bytes. */
  readonly token: Buffer;
  /** In ascending option-number order (the encoder sorts; the decoder yields them as sent). */
  readonly options: readonly CoapOption[];
  readonly payload: Buffer;
}

export const code = (cls: number, detail: number): number => (cls << 5) | detail;
export const codeClass = (c: number): number => c >> 5;
/** '2.05' for 0x45: the form LwM2M and every CoAP tool print. */
export const formatCode = (c: number): string => `${codeClass(c)}.${String(c & 0x1f).padStart(2, '0')}`;

export const Method = { GET: 1, POST: 2, PUT: 3, DELETE: 4, FETCH: 5, PATCH: 6, IPATCH: 7 } as const;

export const Code = {
  EMPTY: 0,
  CREATED: code(2, 1),
  DELETED: code(2, 2),
  VALID: code(2, 3),
  CHANGED: code(2, 4),
  CONTENT: code(2, 5),
  CONTINUE: code(2, 31),
  BAD_REQUEST: code(4, 0),
  UNAUTHORIZED: code(4, 1),
  BAD_OPTION: code(4, 2),
  FORBIDDEN: code(4, 3),
  NOT_FOUND: code(4, 4),
  METHOD_NOT_ALLOWED: code(4, 5),
  NOT_ACCEPTABLE: code(4, 6),
  REQUEST_ENTITY_INCOMPLETE: code(4, 8),
  CONFLICT: code(4, 9),
  PRECONDITION_FAILED: code(4, 12),
  REQUEST_ENTITY_TOO_LARGE: code(4, 13),
  UNSUPPORTED_CONTENT_FORMAT: code(4, 15),
  INTERNAL_SERVER_ERROR: code(5, 0),
  NOT_IMPLEMENTED: code(5, 1),
  SERVICE_UNAVAILABLE: code(5, 3),
  GATEWAY_TIMEOUT: code(5, 4),
  PROXYING_NOT_SUPPORTED: code(5, 5),
} as const;

const CODE_NAMES: Record<number, string> = {
  [Code.CREATED]: 'Created',
  [Code.DELETED]: 'Deleted',
  [Code.VALID]: 'Valid',
  [Code.CHANGED]: 'Changed',
  [Code.CONTENT]: 'Content',
  [Code.CONTINUE]: 'Continue',
  [Code.BAD_REQUEST]: 'Bad Request',
  [Code.UNAUTHORIZED]: 'Unauthorized',
  [Code.BAD_OPTION]: 'Bad Option',
  [Code.FORBIDDEN]: 'Forbidden',
  [Code.NOT_FOUND]: 'Not Found',
  [Code.METHOD_NOT_ALLOWED]: 'Method Not Allowed',
  [Code.NOT_ACCEPTABLE]: 'Not Acceptable',
  [Code.REQUEST_ENTITY_INCOMPLETE]: 'Request Entity Incomplete',
  [Code.CONFLICT]: 'Conflict',
  [Code.PRECONDITION_FAILED]: 'Precondition Failed',
  [Code.REQUEST_ENTITY_TOO_LARGE]: 'Request Entity Too Large',
  [Code.UNSUPPORTED_CONTENT_FORMAT]: 'Unsupported Content-Format',
  [Code.INTERNAL_SERVER_ERROR]: 'Internal Server Error',
  [Code.NOT_IMPLEMENTED]: 'Not Implemented',
  [Code.SERVICE_UNAVAILABLE]: 'Service Unavailable',
  [Code.GATEWAY_TIMEOUT]: 'Gateway Timeout',
  [Code.PROXYING_NOT_SUPPORTED]: 'Proxying Not Supported',
};

export const codeName = (c: number): string => CODE_NAMES[c] ?? 'Unknown';

export type CodeKind = 'empty' | 'request' | 'response' | 'reserved';

/** RFC 7252 §3: class 0 is requests (0.00 is Empty), 2/4/5 are responses, 1/3/6/7 are reserved. */
export const kindOfCode = (c: number): CodeKind => {
  if (c === 0) return 'empty';
  const cls = codeClass(c);
  if (cls === 0) return 'request';
  if (cls === 2 || cls === 4 || cls === 5) return 'response';
  return 'reserved';
};

export const isSuccess = (c: number): boolean => codeClass(c) === 2;
