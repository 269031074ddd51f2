export * from './projection.ts';
export * from './devices.ts';
export * from './deviceState.ts';
