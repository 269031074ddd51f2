import type { TypedValue } from '../../../schemas/lwm2m/index.ts';

/** Typed values as the codecs want them, without spelling the type out at every use. */
export const text = (value: string): TypedValue => ({ type: 'String', value });
export const integer = (value: number): TypedValue => ({ type: 'Integer', value });
export const unsigned = (value: number): TypedValue => ({ type: 'Unsigned Integer', value });
export const float = (value: number): TypedValue => ({ type: 'Float', value });
export const boolean = (value: boolean): TypedValue => ({ type: 'Boolean', value });
export const time = (seconds: number): TypedValue => ({ type: 'Time', value: Math.floor(seconds) });
export const opaque = (value: Uint8Array): TypedValue => ({ type: 'Opaque', value });

/** A number from an Integer, Unsigned Integer, Time or Float value; undefined for anything else. */
export const numberOf = (value: TypedValue | undefined): number | undefined =>
  value === undefined ? undefined : typeof value.value === 'number' ? value.value : typeof value.value === 'bigint' ? Number(value.value) : undefined;

export const stringOf = (value: TypedValue | undefined): string | undefined => (value !== undefined && typeof value.value === 'string' ? value.value : undefined);

export const bytesOf = (value: TypedValue | undefined): Uint8Array | undefined => (value !== undefined && value.value instanceof Uint8Array ? value.value : undefined);

export const booleanOf = (value: TypedValue | undefined): boolean | undefined => (value !== undefined && typeof value.value === 'boolean' ? value.value : undefined);
