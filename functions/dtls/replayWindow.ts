/**
 * The anti-replay sliding window of RFC 6347 §4.1.2.6 (the IPsec algorithm of RFC 4303 §3.4.3):
 * a record is new if its sequence number is above the highest seen, or inside the window and not
 * seen yet. Only records that authenticated are marked, so forged sequence numbers cannot move it.
 */
export class ReplayWindow {
  private highest = -1;
  private readonly bits: Uint8Array;

  constructor(private readonly size = 64) {
    if (!Number.isInteger(size) || size < 32) throw new RangeError(`replay window size must be an integer >= 32 (RFC 4303 minimum), got ${size}`);
    this.bits = new Uint8Array(size);
  }

  /** True when a record with this sequence number may be processed (check before decrypting). */
  accepts(sequence: number): boolean {
    if (sequence > this.highest) return true;
    if (this.highest - sequence >= this.size) return false;
    return this.bits[sequence % this.size] === 0;
  }

  /** Records that an authenticated record with this sequence number was processed. */
  mark(sequence: number) {
    if (sequence > this.highest) {
      // Slots for the numbers skipped over become free: clear at most one full turn.
      const gap = Math.min(sequence - this.highest, this.size);
      for (let i = 1; i <= gap; i++) this.bits[(this.highest + i + this.size) % this.size] = 0;
      this.highest = sequence;
    }
    this.bits[sequence % this.size] = 1;
  }
}
