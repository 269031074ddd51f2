import { expect } from 'vitest';
import { CodecError, DEFAULT_OBJECT_MODEL, extendObjectModel } from '../../../schemas/lwm2m/index.ts';
import type { CodecErrorReason, ObjectDefinition, ResourceDefinition } from '../../../schemas/lwm2m/index.ts';

/** "C8 00 14 ..." (spaces and newlines ignored) to bytes. */
export const hex = (text: string): Uint8Array => Uint8Array.from(Buffer.from(text.replace(/\s+/g, ''), 'hex'));

export const toHex = (bytes: Uint8Array): string => Buffer.from(bytes).toString('hex');

/** Runs `fn`, asserts it throws a CodecError with `reason`, returns it for more assertions. */
export const expectCodecError = (fn: () => unknown, reason: CodecErrorReason): CodecError => {
  let thrown: unknown;
  try {
    fn();
  } catch (e) {
    thrown = e;
  }
  expect(thrown, 'expected a CodecError').toBeInstanceOf(CodecError);
  const error = thrown as CodecError;
  expect({ reason: error.reason, message: error.message }).toMatchObject({ reason });
  return error;
};

const r = (id: number, name: string, type: ResourceDefinition['type'], operations: ResourceDefinition['operations'], multiple = false): ResourceDefinition => ({
  id,
  name,
  type,
  operations,
  multiple,
  mandatory: false,
});

/** A test object with one resource of every type, so round trips cover them all. */
export const TYPES_OBJECT: ObjectDefinition = {
  id: 32769,
  name: 'Every Type',
  objectVersion: '1.0',
  lwm2mVersion: '1.1',
  multiple: true,
  mandatory: false,
  source: 'test fixture',
  resources: [
    r(0, 'A String', 'String', 'RW'),
    r(1, 'An Integer', 'Integer', 'RW'),
    r(2, 'An Unsigned Integer', 'Unsigned Integer', 'RW'),
    r(3, 'A Float', 'Float', 'RW'),
    r(4, 'A Boolean', 'Boolean', 'RW'),
    r(5, 'An Opaque', 'Opaque', 'RW'),
    r(6, 'A Time', 'Time', 'RW'),
    r(7, 'An Objlnk', 'Objlnk', 'RW'),
    r(8, 'A Corelnk', 'Corelnk', 'RW'),
    r(9, 'Integers', 'Integer', 'RW', true),
    r(10, 'Do It', 'none', 'E'),
  ],
};

/**
 * LwM2M Access Control (object 2), enough of it for the spec's TLV example: it is not one of the
 * objects we ship, which also shows a caller adding definitions.
 */
export const ACCESS_CONTROL: ObjectDefinition = {
  id: 2,
  name: 'LwM2M Access Control',
  objectVersion: '1.0',
  lwm2mVersion: '1.0',
  multiple: true,
  mandatory: false,
  source: 'test fixture from LwM2M Core 1.0 object 2',
  resources: [r(0, 'Object ID', 'Integer', 'R'), r(1, 'Object Instance ID', 'Integer', 'R'), r(2, 'ACL', 'Integer', 'RW', true), r(3, 'Access Control Owner', 'Integer', 'RW')],
};

export const TEST_MODEL = extendObjectModel(DEFAULT_OBJECT_MODEL, [TYPES_OBJECT, ACCESS_CONTROL]);
