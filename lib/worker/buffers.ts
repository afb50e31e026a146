/**
 * A free list of equally sized buffers that own their memory. Blocks of input and of tag output
 * travel between threads by transfer; reusing them keeps the main thread from allocating (and
 * garbage-collecting under external-memory pressure) hundreds of megabytes per million events.
 */
export class BufferRecycler {
  private readonly free: ArrayBuffer[] = [];

  constructor(
    readonly size: number,
    private readonly max = 32,
  ) {}

  /** A buffer of at least `min` bytes (from the free list when `min` ≤ size). */
  take(min: number): Buffer {
    if (min <= this.size) {
      const ab = this.free.pop();
      if (ab !== undefined) return Buffer.from(ab);
      return Buffer.allocUnsafeSlow(this.size);
    }
    return Buffer.allocUnsafeSlow(min);
  }

  /** Returns a buffer's memory for reuse (ignored unless it is one of ours and not detached). */
  give(buf: ArrayBufferLike | Uint8Array): void {
    const ab = buf instanceof Uint8Array ? buf.buffer : buf;
    if (!(ab instanceof ArrayBuffer) || ab.byteLength !== this.size || this.free.length >= this.max) return;
    this.free.push(ab);
  }
}
