// Memory owned by the TypeScript side inside the routing table module's linear memory. Blocks
// come in power-of-two sizes with a free list per size, so the regions that are replaced as
// services come and go and tables grow (slot arrays, affinity tables, the service directory)
// are reused instead of piling up.

const PAGE = 65536;
const MIN_BLOCK = 64;

export class WasmArena {
  private top: number;
  private readonly free = new Map<number, number[]>();

  constructor(readonly memory: WebAssembly.Memory, base: number) {
    this.top = Math.ceil(base / MIN_BLOCK) * MIN_BLOCK;
  }

  /** The size of the block alloc(bytes) hands out. */
  static blockSize(bytes: number): number {
    let size = MIN_BLOCK;
    while (size < bytes) size *= 2;
    return size;
  }

  /** A block of at least `bytes` bytes, 64-byte aligned; its contents are unspecified. */
  alloc(bytes: number): number {
    const size = WasmArena.blockSize(bytes);
    const reused = this.free.get(size)?.pop();
    if (reused !== undefined) return reused;
    const ptr = this.top;
    this.top += size;
    const missing = this.top - this.memory.buffer.byteLength;
    if (missing > 0) this.memory.grow(Math.ceil(missing / PAGE));
    return ptr;
  }

  /** Gives back a block from alloc(bytes), with the same `bytes`. */
  release(ptr: number, bytes: number): void {
    if (ptr === 0) return;
    const size = WasmArena.blockSize(bytes);
    let list = this.free.get(size);
    if (!list) this.free.set(size, (list = []));
    list.push(ptr);
  }
}
