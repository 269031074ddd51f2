import { AlertDescription, type AlertName } from './protocol.ts';

/**
 * Bad input from a peer, with the alert RFC 5246 §7.2.2 names for it. Parsers throw it; the
 * handshake turns it into that fatal alert, the record layer into a silent drop (RFC 6347 §4.1.2.7).
 */
export class DtlsAlertError extends Error {
  readonly alert: AlertName;
  constructor(alert: AlertName, message: string) {
    super(message);
    this.name = 'DtlsAlertError';
    this.alert = alert;
  }

  get code(): number {
    return AlertDescription[this.alert];
  }
}

export const decodeError = (message: string) => new DtlsAlertError('decode_error', message);
