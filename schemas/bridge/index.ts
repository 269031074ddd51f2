export * from './authenticationMessages.ts';
export * from './bootstrapMessages.ts';
export * from './bridgeEvents.ts';
export * from './commandMessages.ts';
