import { Lwm2mError, Lwm2mResponseError } from '../lwm2m/errors.ts';
import { CodecError } from '../../schemas/lwm2m/index.ts';

/**
 * What went wrong with an operation, as a command answer or a bootstrap result reports it: the
 * device's CoAP code ("4.04") when it answered with one, otherwise a word for what happened
 * ("timeout", "reset", "device-gone" ... the LwM2M server's error kinds, and the bridge's own
 * "invalid-request" for a command it cannot turn into LwM2M, "bad-payload" for an answer it
 * cannot read, "internal" for a bug). Never a 2.xx code: the backend refuses a failure that
 * carries one.
 */
export interface Failure {
  readonly lwm2mCode: string;
  readonly message: string;
}

/** A command the bridge cannot express in LwM2M (values outside the path, a value of the wrong type). */
export class InvalidCommand extends Error {
  override name = 'InvalidCommand';
}

/** The device answered with success, but its payload does not decode. */
export class UnreadableAnswer extends Error {
  override name = 'UnreadableAnswer';
}

export const failureOf = (error: unknown): Failure => {
  if (error instanceof Lwm2mResponseError) return { lwm2mCode: error.code, message: error.message };
  if (error instanceof Lwm2mError) return { lwm2mCode: error.kind, message: error.message };
  if (error instanceof InvalidCommand) return { lwm2mCode: 'invalid-request', message: error.message };
  if (error instanceof UnreadableAnswer) return { lwm2mCode: 'bad-payload', message: error.message };
  // A codec error that escaped the places that classify it came from encoding our own input.
  if (error instanceof CodecError) return { lwm2mCode: 'invalid-request', message: error.message };
  return { lwm2mCode: 'internal', message: `the bridge failed unexpectedly: ${error instanceof Error ? error.message : String(error)}` };
};

/** Fits a message into the contracts' 500 characters. */
export const clip = (message: string, max = 500): string => (message.length <= max ? message : `${message.slice(0, max - 3)}...`);
