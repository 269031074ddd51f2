import { handshakeMessage, type HandshakeFragment } from './handshakeFragment.ts';

/** A reassembled handshake message, with the epoch it arrived in and its transcript form. */
export interface HandshakeMessage {
  readonly msgType: number;
  readonly messageSeq: number;
  readonly epoch: number;
  readonly body: Buffer;
  /** Header (as one fragment) + body: what the Finished and session hashes cover. */
  readonly raw: Buffer;
}

interface Pending {
  readonly msgType: number;
  readonly epoch: number;
  readonly body: Buffer;
  /** Received byte ranges [start, end), sorted and merged. */
  ranges: Array<[number, number]>;
}

export type AddOutcome = 'buffered' | 'too_far_ahead' | 'too_long' | 'inconsistent_fragment' | 'epoch_mismatch' | 'buffer_full';

/**
 * Puts handshake messages back together and back in order (RFC 6347 §4.2.2-4.2.3): fragments may
 * overlap, repeat or arrive in any order, and later messages may arrive before earlier ones.
 * Memory is bounded: a message may not exceed maxMessageLength and at most maxAhead messages past
 * the next expected one are held.
 */
export class HandshakeReassembler {
  private readonly pending = new Map<number, Pending>();

  constructor(
    private readonly maxMessageLength: number,
    private readonly maxAhead: number,
  ) {}

  /** Adds a fragment of a message at or after `nextSeq` (the caller handles older ones as retransmissions). */
  add(fragment: HandshakeFragment, epoch: number, nextSeq: number): AddOutcome {
    if (fragment.messageSeq >= nextSeq + this.maxAhead) return 'too_far_ahead';
    if (fragment.length > this.maxMessageLength) return 'too_long';
    let p = this.pending.get(fragment.messageSeq);
    if (p === undefined) {
      if (this.pending.size >= this.maxAhead) return 'buffer_full';
      p = { msgType: fragment.msgType, epoch, body: Buffer.alloc(fragment.length), ranges: [] };
      this.pending.set(fragment.messageSeq, p);
    } else if (p.msgType !== fragment.msgType || p.body.length !== fragment.length) {
      return 'inconsistent_fragment';
    } else if (p.epoch !== epoch) {
      return 'epoch_mismatch';
    }
    fragment.body.copy(p.body, fragment.fragmentOffset);
    p.ranges = merge(p.ranges, [fragment.fragmentOffset, fragment.fragmentOffset + fragment.body.length]);
    return 'buffered';
  }

  /** The complete message with this sequence number, removed from the buffer; undefined if it is not complete yet. */
  take(seq: number): HandshakeMessage | undefined {
    const p = this.pending.get(seq);
    if (p === undefined) return undefined;
    // An empty body is complete as soon as its (only) fragment arrived.
    const first = p.ranges[0];
    const complete = p.body.length === 0 || (p.ranges.length === 1 && first![0] === 0 && first![1] === p.body.length);
    if (!complete) return undefined;
    this.pending.delete(seq);
    return { msgType: p.msgType, messageSeq: seq, epoch: p.epoch, body: p.body, raw: handshakeMessage(p.msgType, seq, p.body) };
  }

  clear() {
    this.pending.clear();
  }
}

const merge = (ranges: Array<[number, number]>, next: [number, number]): Array<[number, number]> => {
  if (next[0] === next[1]) return ranges;
  const all = [...ranges, next].sort((a, b) => a[0] - b[0]);
  const out: Array<[number, number]> = [];
  for (const r of all) {
    const last = out.at(-1);
    if (last !== undefined && r[0] <= last[1]) last[1] = Math.max(last[1], r[1]);
    else out.push([r[0], r[1]]);
  }
  return out;
};
