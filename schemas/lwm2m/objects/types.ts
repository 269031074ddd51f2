/** Data types of LwM2M Core 1.1 Appendix C (1.2 adds none). `none` is an Execute resource's. */
export type ResourceType =
  | 'String'
  | 'Integer'
  | 'Unsigned Integer'
  | 'Float'
  | 'Boolean'
  | 'Opaque'
  | 'Time'
  | 'Objlnk'
  | 'Corelnk'
  | 'none';

/** The value-carrying types (everything but `none`). */
export type ValueType = Exclude<ResourceType, 'none'>;

/**
 * What the LwM2M Server may do with a resource through the Device Management interface, as the
 * registry writes it. '' means nothing: the Security object's resources, which only the
 * Bootstrap-Server writes.
 */
export type Operations = 'R' | 'W' | 'RW' | 'E' | '';

export interface ResourceDefinition {
  readonly id: number;
  readonly name: string;
  readonly type: ResourceType;
  readonly operations: Operations;
  /** Multiple-instance resource: its values live at /o/i/r/ri. */
  readonly multiple: boolean;
  readonly mandatory: boolean;
  /** Inclusive numeric range, for number types. */
  readonly range?: { readonly min: number; readonly max: number };
  /** Inclusive length in bytes (UTF-8 for strings), for String and Opaque; `oneOf` when only some lengths are allowed. */
  readonly length?: { readonly min: number; readonly max: number; readonly oneOf?: readonly number[] };
  readonly units?: string;
  /**
   * Key material or a secret: the server writes it and never reads it back, and nothing logs
   * or stores its value in clear. Such resources never carry 'R'.
   */
  readonly credential?: true;
}

export interface ObjectDefinition {
  readonly id: number;
  readonly name: string;
  /** The object's own version ("1.2"); instances report it in the registration's link format. */
  readonly objectVersion: string;
  /** The LwM2M enabler version the definition was written for. */
  readonly lwm2mVersion: string;
  readonly multiple: boolean;
  readonly mandatory: boolean;
  readonly resources: readonly ResourceDefinition[];
  /** Where the definition comes from, for the reader who doubts it. */
  readonly source: string;
}
