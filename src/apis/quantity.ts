// Kubernetes resource quantities ("100m", "1Gi", "1e3", "0.5"), after
// k8s.io/apimachinery/pkg/api/resource: the one parser of the API server, scheduler and agent.
// Values are kept as exact rationals (BigInt) so that "0.1" cpu is exactly 100 millicores and
// request/limit comparisons never suffer float error. As resource.ParseQuantity: no surrounding
// whitespace, negatives parse (validation rejects them where they are not allowed), and
// Value()/MilliValue() round away from zero.

export const QUANTITY_FORMAT_MESSAGE =
  "quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'";

export class QuantityError extends Error {
  constructor(readonly input: unknown) {
    super(QUANTITY_FORMAT_MESSAGE);
  }
}

/** An exact quantity num/den (den > 0), plus the suffix family it was written in. */
export interface ParsedQuantity {
  num: bigint;
  den: bigint;
  format: "DecimalSI" | "BinarySI" | "DecimalExponent";
}

export type QuantityInput = string | number;

const pow = (base: bigint, exp: number) => base ** BigInt(exp);

const binarySI: Record<string, bigint> = {
  Ki: pow(2n, 10),
  Mi: pow(2n, 20),
  Gi: pow(2n, 30),
  Ti: pow(2n, 40),
  Pi: pow(2n, 50),
  Ei: pow(2n, 60),
};
const decimalSI: Record<string, number> = { n: -9, u: -6, m: -3, "": 0, k: 3, M: 6, G: 9, T: 12, P: 15, E: 18 };

const numberPattern = /^([+-]?)(\d+\.?\d*|\.\d+)(.*)$/;

function scaleBy10(num: bigint, den: bigint, exp: number): [bigint, bigint] {
  return exp >= 0 ? [num * pow(10n, exp), den] : [num, den * pow(10n, -exp)];
}

/**
 * Quantities already parsed, by their text: a cluster writes the same few ("100m", "128Mi")
 * into every pod, and each write parses them for defaults, validation and accounting. Parsed
 * quantities are frozen, so one can be handed to every caller. Bounded: emptied when full.
 */
const parsed = new Map<string, ParsedQuantity>();
const PARSED_MAX = 4096;

/** Parses a quantity; throws QuantityError when it isn't one. */
export function parseQuantity(input: QuantityInput): ParsedQuantity {
  const key = typeof input === "number" ? `#${input}` : input;
  if (typeof key === "string") {
    const hit = parsed.get(key);
    if (hit) return hit;
  }
  const q = Object.freeze(parseUncached(input));
  if (typeof key === "string") {
    if (parsed.size >= PARSED_MAX) parsed.clear();
    parsed.set(key, q);
  }
  return q;
}

function parseUncached(input: QuantityInput): ParsedQuantity {
  if (typeof input === "number") {
    if (!Number.isFinite(input)) throw new QuantityError(input);
    input = String(input); // JSON numbers are quantities too ("cpu: 2")
  }
  if (typeof input !== "string") throw new QuantityError(input);
  const m = numberPattern.exec(input.trim() === input ? input : "");
  if (!m) throw new QuantityError(input);
  const [, sign, digits, suffix] = m as unknown as [string, string, string, string];
  const [whole, frac = ""] = digits.split(".");
  let num = BigInt(`${whole || "0"}${frac}`);
  let den = pow(10n, frac.length);
  let format: ParsedQuantity["format"] = "DecimalSI";
  if (suffix in binarySI) {
    num *= binarySI[suffix]!;
    format = "BinarySI";
  } else if (suffix in decimalSI) {
    [num, den] = scaleBy10(num, den, decimalSI[suffix]!);
  } else if (/^[eE][+-]?\d+$/.test(suffix)) {
    const exp = Number(suffix.slice(1));
    if (Math.abs(exp) > 1000) throw new QuantityError(input); // beyond any real resource; keeps BigInt sane
    [num, den] = scaleBy10(num, den, exp);
    format = "DecimalExponent";
  } else {
    throw new QuantityError(input);
  }
  return { num: sign === "-" ? -num : num, den, format };
}

export function isQuantity(input: unknown): input is QuantityInput {
  if (typeof input !== "string" && typeof input !== "number") return false;
  if (typeof input === "string" && parsed.has(input)) return true;
  try {
    parseQuantity(input);
    return true;
  } catch {
    return false;
  }
}

const toQuantity = (q: ParsedQuantity | QuantityInput): ParsedQuantity => (typeof q === "object" ? q : parseQuantity(q));

// Kubernetes' Value()/MilliValue() round up (away from zero), so "1.5m" cpu is 2 millicores.
function ceilDiv(num: bigint, den: bigint): bigint {
  const q = num / den;
  if (num % den === 0n) return q;
  return num > 0n ? q + 1n : q - 1n;
}

const MAX = BigInt(Number.MAX_SAFE_INTEGER);

/**
 * A whole value as a number, capped at ±2^53−1: as resource.ParseQuantity caps at int64 ("the
 * max is just a simple cap"), a number past what a double holds exactly is no resource anyone has.
 */
const capped = (v: bigint): number => Number(v > MAX ? MAX : v < -MAX ? -MAX : v);

/**
 * Values by input text: every pod of a workload names the same few quantities, and the scheduler
 * converts each pod it sees, so the BigInt division is done once per text. Bounded: emptied when full.
 */
function memoized(convert: (q: ParsedQuantity) => number): (q: ParsedQuantity | QuantityInput) => number {
  const known = new Map<QuantityInput, number>();
  return (q) => {
    if (typeof q === "object") return convert(q);
    let v = known.get(q);
    if (v === undefined) {
      v = convert(parseQuantity(q));
      if (known.size >= PARSED_MAX) known.clear();
      known.set(q, v);
    }
    return v;
  };
}

/** The value in whole units, rounded up: bytes for memory, cores for cpu, a count of pods. */
export const quantityValue = memoized((x) => capped(ceilDiv(x.num, x.den)));

/** The value in thousandths, rounded up: millicores for cpu. */
export const quantityMilliValue = memoized((x) => capped(ceilDiv(x.num * 1000n, x.den)));

export function compareQuantities(a: ParsedQuantity | QuantityInput, b: ParsedQuantity | QuantityInput): -1 | 0 | 1 {
  const x = toQuantity(a);
  const y = toQuantity(b);
  const l = x.num * y.den;
  const r = y.num * x.den;
  return l < r ? -1 : l > r ? 1 : 0;
}

export const isNegativeQuantity = (q: ParsedQuantity | QuantityInput) => toQuantity(q).num < 0n;

/** Millicores of a cpu quantity; 0 when absent (the scheduler's convention). */
export const cpuMillis = (q: QuantityInput | undefined): number => (q === undefined ? 0 : quantityMilliValue(q));

/** Bytes of a memory or storage quantity; 0 when absent. */
export const bytesOf = (q: QuantityInput | undefined): number => (q === undefined ? 0 : quantityValue(q));

const binaryOut: [string, bigint][] = Object.entries(binarySI).reverse();
const decimalOut: [string, number][] = [["E", 18], ["P", 15], ["T", 12], ["G", 9], ["M", 6], ["k", 3], ["", 0], ["m", -3], ["u", -6], ["n", -9]];

/**
 * The canonical string Kubernetes prints ("500m", "1Gi", "1500Mi"): the largest suffix that
 * keeps an integer mantissa, in the family the quantity was written in.
 */
export function formatQuantity(q: ParsedQuantity | QuantityInput): string {
  const x = toQuantity(q);
  if (x.num === 0n) return "0";
  const sign = x.num < 0n ? "-" : "";
  const num = x.num < 0n ? -x.num : x.num;
  if (x.format === "BinarySI" && num % x.den === 0n) {
    const whole = num / x.den;
    for (const [suffix, mult] of binaryOut) if (whole % mult === 0n) return `${sign}${whole / mult}${suffix}`;
    if (whole < 1024n) return `${sign}${whole}`;
  }
  for (const [suffix, exp] of decimalOut) {
    const [n, d] = scaleBy10(num, x.den, -exp);
    if (n % d === 0n) return `${sign}${n / d}${suffix}`;
  }
  // Below a nanounit Kubernetes rounds up to 1n.
  return `${sign}${ceilDiv(num * pow(10n, 9), x.den)}n`;
}
