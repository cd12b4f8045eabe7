// The ranges Services allocate from: a contiguous range of integers with a bitmap of what is
// taken (kube's allocation bitmap), and the IPv4 service CIDR parsed into such a range.

/** kube-apiserver refuses service ranges wider than this many host bits. */
const MAX_HOST_BITS = 20;

/** A contiguous range of integers and which of them are taken (kube's allocation bitmap). */
export class RangeBitmap {
  private readonly taken: Uint8Array;

  constructor(
    readonly first: number,
    readonly size: number,
    /** Values random allocation never hands out; they can still be asked for by value. */
    private readonly reserved: ReadonlySet<number> = new Set(),
  ) {
    this.taken = new Uint8Array(size);
  }

  contains(v: number): boolean {
    return Number.isInteger(v) && v >= this.first && v < this.first + this.size;
  }

  has(v: number): boolean {
    return this.contains(v) && this.taken[v - this.first] === 1;
  }

  /** Takes `v`; false when it is taken already (or outside the range). */
  claim(v: number): boolean {
    if (!this.contains(v) || this.has(v)) return false;
    this.taken[v - this.first] = 1;
    return true;
  }

  /** Takes a free value, searching from a random offset; undefined when the range is full. */
  claimRandom(random: () => number): number | undefined {
    const start = Math.floor(random() * this.size);
    for (let i = 0; i < this.size; i++) {
      const v = this.first + ((start + i) % this.size);
      if (!this.reserved.has(v) && this.claim(v)) return v;
    }
    return undefined;
  }

  release(v: number): void {
    if (this.contains(v)) this.taken[v - this.first] = 0;
  }
}

export function parseIPv4(s: string): number | undefined {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(s);
  if (!m) return undefined;
  const octets = m.slice(1).map(Number);
  if (octets.some((o) => o > 255)) return undefined;
  return octets.reduce((n, o) => n * 256 + o, 0);
}

export const formatIPv4 = (n: number) => [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join(".");

/** The usable addresses of an IPv4 CIDR: without the network and broadcast addresses. */
export function parseServiceCIDR(cidr: string): { network: number; first: number; size: number } {
  const [ip, bits] = cidr.split("/");
  const network = parseIPv4(ip ?? "");
  const prefix = Number(bits);
  if (network === undefined || !Number.isInteger(prefix) || prefix < 32 - MAX_HOST_BITS || prefix > 30) {
    throw new Error(`invalid service CIDR ${cidr}: want an IPv4 range from /${32 - MAX_HOST_BITS} to /30`);
  }
  const hostBits = 32 - prefix;
  if (network % 2 ** hostBits !== 0) throw new Error(`invalid service CIDR ${cidr}: host bits set`);
  return { network, first: network + 1, size: 2 ** hostBits - 2 };
}
