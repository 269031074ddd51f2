import { Code } from './message.ts';
import { blockSize, type BlockValue } from './block.ts';

/**
 * Reassembles request bodies a peer sends in Block1 blocks (RFC 7959 §2.3, §2.5 atomic mode).
 * Blocks must arrive in order starting at 0; a gap is 4.08 Request Entity Incomplete, a body over
 * the limit is 4.13 Request Entity Too Large (with Size1 = the limit, §4). Memory is bounded by
 * `maxAssemblies` bodies of at most `maxBodyBytes`; the oldest unfinished body makes room.
 */

export type AssemblyStep =
  | { readonly kind: 'continue'; readonly block: BlockValue }
  | { readonly kind: 'complete'; readonly payload: Buffer; readonly block: BlockValue }
  | { readonly kind: 'reject'; readonly code: number; readonly reason: string; readonly size1?: number };

interface Assembly {
  readonly chunks: Buffer[];
  total: number;
  expiresAt: number;
}

export interface BlockAssemblyLimits {
  readonly maxBodyBytes: number;
  readonly maxAssemblies: number;
  /** An unfinished body is dropped this long after its last block. */
  readonly lifetimeMs: number;
  /** The largest block size exponent we ask peers to use (6 = 1024 bytes). */
  readonly preferredSzx: number;
}

export class BlockAssembler {
  private readonly assemblies = new Map<string, Assembly>();

  constructor(
    private readonly limits: BlockAssemblyLimits,
    private readonly now: () => number,
  ) {}

  get inProgress(): number {
    return this.assemblies.size;
  }

  /** `key` names one body: the peer plus the method and URI the blocks are for. */
  receive(key: string, block: BlockValue, payload: Buffer, size1: number | undefined): AssemblyStep {
    this.prune();
    const size = blockSize(block.szx);
    if (block.more && payload.length !== size) {
      this.assemblies.delete(key);
      return reject(Code.BAD_REQUEST, `block ${block.num} has M=1 but ${payload.length} bytes instead of its block size ${size}`);
    }
    if (payload.length > size) {
      this.assemblies.delete(key);
      return reject(Code.BAD_REQUEST, `block ${block.num} carries ${payload.length} bytes, more than its block size ${size}`);
    }
    if (block.num === 0) {
      this.assemblies.delete(key);
      if (size1 !== undefined && size1 > this.limits.maxBodyBytes) return this.tooLarge(size1);
      if (!block.more) return { kind: 'complete', payload, block };
      this.assemblies.set(key, { chunks: [payload], total: payload.length, expiresAt: this.now() + this.limits.lifetimeMs });
      this.evictOverflow();
      return { kind: 'continue', block: { num: 0, more: true, szx: Math.min(block.szx, this.limits.preferredSzx) } };
    }
    const assembly = this.assemblies.get(key);
    if (assembly === undefined || block.num * size !== assembly.total) {
      this.assemblies.delete(key);
      return reject(
        Code.REQUEST_ENTITY_INCOMPLETE,
        assembly === undefined
          ? `block ${block.num} arrived with no block 0 before it (or after the body expired)`
          : `block ${block.num} starts at byte ${block.num * size} but ${assembly.total} bytes were received`,
      );
    }
    assembly.total += payload.length;
    if (assembly.total > this.limits.maxBodyBytes) {
      this.assemblies.delete(key);
      return this.tooLarge(assembly.total);
    }
    assembly.chunks.push(payload);
    if (block.more) {
      assembly.expiresAt = this.now() + this.limits.lifetimeMs;
      // Refresh its place in the eviction order: the oldest *idle* body goes first.
      this.assemblies.delete(key);
      this.assemblies.set(key, assembly);
      return { kind: 'continue', block: { num: block.num, more: true, szx: block.szx } };
    }
    this.assemblies.delete(key);
    return { kind: 'complete', payload: Buffer.concat(assembly.chunks), block };
  }

  clear(): void {
    this.assemblies.clear();
  }

  private tooLarge(size: number): AssemblyStep {
    return {
      kind: 'reject',
      code: Code.REQUEST_ENTITY_TOO_LARGE,
      reason: `a body of ${size} bytes is over the limit of ${this.limits.maxBodyBytes}`,
      size1: this.limits.maxBodyBytes,
    };
  }

  private evictOverflow(): void {
    while (this.assemblies.size > this.limits.maxAssemblies) {
      const oldest = this.assemblies.keys().next().value;
      if (oldest === undefined) break;
      this.assemblies.delete(oldest);
    }
  }

  private prune(): void {
    const now = this.now();
    for (const [key, assembly] of this.assemblies) {
      if (assembly.expiresAt > now) break;
      this.assemblies.delete(key);
    }
  }
}

const reject = (code: number, reason: string): AssemblyStep => ({ kind: 'reject', code, reason });
