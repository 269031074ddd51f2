export * from './projection.ts';
export * from './devices.ts';
export * from './deviceState.ts';
export * from './alarms.ts';
export * from './rejections.ts';
export * from './commandAudit.ts';
