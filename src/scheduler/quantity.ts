// Kubernetes resource quantities ("100m", "1Gi", "1.5", "2k", "1e3") parsed exactly with BigInt,
// then rounded up like resource.Quantity's Value()/MilliValue() so "0.5m" cpu still counts.

const BINARY: Record<string, bigint> = {
  Ki: 1n << 10n, Mi: 1n << 20n, Gi: 1n << 30n, Ti: 1n << 40n, Pi: 1n << 50n, Ei: 1n << 60n,
};
const DECIMAL: Record<string, number> = { n: -9, u: -6, m: -3, "": 0, k: 3, M: 6, G: 9, T: 12, P: 15, E: 18 };

const QUANTITY = /^([+-]?)(\d*)(?:\.(\d*))?(?:([eE][+-]?\d+)|(Ki|Mi|Gi|Ti|Pi|Ei|[numkMGTPE]))?$/;

/** The exact value as a fraction num/den (den > 0). */
export function parseQuantity(input: string | number): { num: bigint; den: bigint } {
  const s = String(input).trim();
  const m = QUANTITY.exec(s);
  if (!m || (m[2] === "" && (m[3] ?? "") === "")) throw new Error(`invalid quantity ${JSON.stringify(input)}`);
  const [, sign, whole, frac = "", exponent, suffix = ""] = m;
  let num = BigInt((whole || "0") + frac) * (sign === "-" ? -1n : 1n);
  let den = 10n ** BigInt(frac.length);
  let power = exponent ? Number(exponent.slice(1)) : DECIMAL[suffix] ?? 0;
  if (suffix in BINARY) num *= BINARY[suffix]!;
  if (power >= 0) num *= 10n ** BigInt(power);
  else den *= 10n ** BigInt(-power);
  return { num, den };
}

function ceilDiv(num: bigint, den: bigint): bigint {
  const q = num / den;
  return num % den > 0n ? q + 1n : q;
}

function toSafeNumber(v: bigint, input: string | number): number {
  if (v > BigInt(Number.MAX_SAFE_INTEGER) || v < -BigInt(Number.MAX_SAFE_INTEGER)) {
    throw new Error(`quantity ${JSON.stringify(input)} is too large`);
  }
  return Number(v);
}

/**
 * Results by input: every pod of a workload names the same few quantities, and the scheduler
 * converts each pod it sees. Bounded: emptied when full.
 */
function memoized(convert: (input: string | number) => number): (input: string | number) => number {
  const known = new Map<string | number, number>();
  return (input) => {
    let v = known.get(input);
    if (v === undefined) {
      v = convert(input);
      if (known.size >= 4096) known.clear();
      known.set(input, v);
    }
    return v;
  };
}

/** Value rounded up to a whole unit (bytes, pods). */
export const quantityValue = memoized((input) => {
  const { num, den } = parseQuantity(input);
  return toSafeNumber(ceilDiv(num, den), input);
});

/** Value in thousandths rounded up (cpu millicores). */
export const quantityMilli = memoized((input) => {
  const { num, den } = parseQuantity(input);
  return toSafeNumber(ceilDiv(num * 1000n, den), input);
});
