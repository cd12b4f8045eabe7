// IPv4 addresses as u32 (host order), the form the routing table compares.

/** a.b.c.d -> a<<24 | b<<16 | c<<8 | d, undefined when not a dotted quad. */
export function parseIPv4(s: string): number | undefined {
  let value = 0;
  let octet = -1;
  let dots = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 46) {
      if (octet < 0 || ++dots > 3) return undefined;
      value = value * 256 + octet;
      octet = -1;
    } else if (c >= 48 && c <= 57) {
      // No leading zeros: "010" is octal to some parsers and decimal to others.
      if (octet === 0) return undefined;
      octet = (octet < 0 ? 0 : octet * 10) + (c - 48);
      if (octet > 255) return undefined;
    } else return undefined;
  }
  if (octet < 0 || dots !== 3) return undefined;
  return value * 256 + octet;
}

export function formatIPv4(n: number): string {
  return `${n >>> 24}.${(n >>> 16) & 255}.${(n >>> 8) & 255}.${n & 255}`;
}

const MAPPED_PREFIX = "::ffff:";

/**
 * The u32 a client is pinned by: its IPv4 address (also when written IPv4-mapped, as dual-stack
 * listeners report it), otherwise a 32-bit FNV-1a hash of the address text, so IPv6 clients still
 * get their own pins (up to hash collisions).
 */
export function clientKey(address: string): number {
  const v4 = parseIPv4(address.startsWith(MAPPED_PREFIX) ? address.slice(MAPPED_PREFIX.length) : address);
  if (v4 !== undefined) return v4;
  let h = 0x811c9dc5;
  for (let i = 0; i < address.length; i++) h = Math.imul(h ^ address.charCodeAt(i), 0x01000193);
  return h >>> 0;
}
