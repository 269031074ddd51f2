import type { Operations, ResourceDefinition, ResourceType } from './types.ts';

type Extra = Pick<ResourceDefinition, 'range' | 'length' | 'units' | 'credential'>;

/** One resource, written in the registry's column order so a definition reads like its table. */
export const res = (
  id: number,
  name: string,
  type: ResourceType,
  operations: Operations,
  instances: 'single' | 'multiple',
  mandatory: 'mandatory' | 'optional',
  extra: Extra = {},
): ResourceDefinition => Object.freeze({ id, name, type, operations, multiple: instances === 'multiple', mandatory: mandatory === 'mandatory', ...extra });
