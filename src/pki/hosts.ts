// Which host names and addresses a certificate covers (its subjectAltName), read with node:crypto
// rather than the x509 library that issues certificates (certificates.ts): the agent only ever
// reads its serving certificate, and that library with its ASN.1 and DI dependencies is ~700 kB
// of source it would otherwise load and keep compiled. Addresses come back as written (IPv6 in
// RFC 5952's short form), so they compare equal to the hosts a certificate was issued for.
import { X509Certificate } from "node:crypto";

/** RFC 5952: lowercase hex, no leading zeros, the longest run of two or more zero groups as `::`. */
function shortIPv6(groups: string[]): string {
  const hex = groups.map((g) => Number.parseInt(g, 16).toString(16));
  let best = -1;
  let bestLen = 1;
  for (let i = 0; i < hex.length; ) {
    if (hex[i] !== "0") {
      i++;
      continue;
    }
    let j = i;
    while (j < hex.length && hex[j] === "0") j++;
    if (j - i > bestLen) [best, bestLen] = [i, j - i];
    i = j;
  }
  if (best < 0) return hex.join(":");
  return `${hex.slice(0, best).join(":")}::${hex.slice(best + bestLen).join(":")}`;
}

/** Host names and addresses a certificate covers, to decide whether it must be reissued. */
export function certificateHosts(certPem: string): string[] {
  const san = new X509Certificate(certPem).subjectAltName;
  if (!san) return [];
  return san.split(", ").map((entry) => {
    const colon = entry.indexOf(":");
    const value = entry.slice(colon + 1);
    if (entry.startsWith("IP Address:") && value.includes(":")) return shortIPv6(value.split(":"));
    return value;
  });
}
