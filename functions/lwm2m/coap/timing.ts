/**
 * CoAP transmission parameters (RFC 7252 §4.8) and the times derived from them (§4.8.2).
 * Per server instance, not global, so one process can run a fast test server beside a real one.
 */

export interface CoapTimingInput {
  /** Initial retransmission timeout for a CON (before randomisation). Default 2000 ms. */
  readonly ackTimeoutMs?: number;
  /** The initial timeout is picked in [ackTimeout, ackTimeout * factor). Default 1.5. */
  readonly ackRandomFactor?: number;
  /** Retransmissions after the first transmission. Default 4. */
  readonly maxRetransmit?: number;
  /** Time a datagram may take end to end. Default 100 s. */
  readonly maxLatencyMs?: number;
  /** How long to wait for a separate response after the empty ACK. Default: MAX_TRANSMIT_WAIT. */
  readonly separateResponseTimeoutMs?: number;
  /** How long to wait for the answer to a NON request. Default: MAX_TRANSMIT_WAIT. */
  readonly nonResponseTimeoutMs?: number;
}

export interface CoapTiming {
  readonly ackTimeoutMs: number;
  readonly ackRandomFactor: number;
  readonly maxRetransmit: number;
  readonly maxLatencyMs: number;
  /** ACK_TIMEOUT * (2^MAX_RETRANSMIT - 1) * ACK_RANDOM_FACTOR */
  readonly maxTransmitSpanMs: number;
  /** ACK_TIMEOUT * (2^(MAX_RETRANSMIT+1) - 1) * ACK_RANDOM_FACTOR */
  readonly maxTransmitWaitMs: number;
  /** MAX_TRANSMIT_SPAN + 2 * MAX_LATENCY + PROCESSING_DELAY (= ACK_TIMEOUT): how long duplicates are remembered. */
  readonly exchangeLifetimeMs: number;
  readonly separateResponseTimeoutMs: number;
  readonly nonResponseTimeoutMs: number;
}

export const coapTiming = (input: CoapTimingInput = {}): CoapTiming => {
  const ackTimeoutMs = input.ackTimeoutMs ?? 2000;
  const ackRandomFactor = input.ackRandomFactor ?? 1.5;
  const maxRetransmit = input.maxRetransmit ?? 4;
  const maxLatencyMs = input.maxLatencyMs ?? 100_000;
  if (!(ackTimeoutMs > 0)) throw new RangeError(`ackTimeoutMs must be positive, got ${ackTimeoutMs}`);
  if (!(ackRandomFactor >= 1)) throw new RangeError(`ackRandomFactor must be at least 1 (RFC 7252 §4.8), got ${ackRandomFactor}`);
  if (!Number.isInteger(maxRetransmit) || maxRetransmit < 0 || maxRetransmit > 20) {
    throw new RangeError(`maxRetransmit must be an integer 0..20, got ${maxRetransmit}`);
  }
  const maxTransmitSpanMs = ackTimeoutMs * (2 ** maxRetransmit - 1) * ackRandomFactor;
  const maxTransmitWaitMs = ackTimeoutMs * (2 ** (maxRetransmit + 1) - 1) * ackRandomFactor;
  return {
    ackTimeoutMs,
    ackRandomFactor,
    maxRetransmit,
    maxLatencyMs,
    maxTransmitSpanMs,
    maxTransmitWaitMs,
    exchangeLifetimeMs: maxTransmitSpanMs + 2 * maxLatencyMs + ackTimeoutMs,
    separateResponseTimeoutMs: input.separateResponseTimeoutMs ?? maxTransmitWaitMs,
    nonResponseTimeoutMs: input.nonResponseTimeoutMs ?? maxTransmitWaitMs,
  };
};
