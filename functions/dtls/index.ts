export { createDtlsServer, type DtlsServer, type DtlsServerConfig, type DtlsServerEvents, type HandshakeFailedEvent } from './server.ts';
export { DtlsSession, type DtlsSessionEvents, type RemoteAddress } from './session.ts';
export type { DtlsServerOptions } from './options.ts';
export type { CipherSuiteName } from './cipherSuites.ts';
export type { GroupName } from './ecdhe.ts';
export { CLOSE_REASONS, DROP_REASONS, HANDSHAKE_FAILURES, type CloseReason, type DropReason, type DtlsServerStats, type HandshakeFailure } from './stats.ts';
