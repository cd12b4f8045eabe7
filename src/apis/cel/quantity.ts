// Kubernetes' CEL quantity library (k8s.io/apiserver/pkg/cel/library/quantity.go) on
// src/apis/quantity.ts: isQuantity(s), quantity(s) and its methods — compareTo, isGreaterThan,
// isLessThan, add, sub, sign, isInteger, asInteger, asApproximateFloat. CEL here has no opaque
// types, so a quantity is carried as a one-entry map ({"quantity": "<canonical form>"}); rules
// use it exactly as upstream's (`quantity(self.memory).isLessThan(quantity('2Gi'))`).
import { type CelFunc, CelScalar, celFunc, celMethod, mapType } from "@bufbuild/cel";
import { compareQuantities, formatQuantity, isQuantity, parseQuantity, type ParsedQuantity } from "../quantity.ts";

const QUANTITY = mapType(CelScalar.STRING, CelScalar.STRING);
const KEY = "quantity";

type CelMapLike = { get(key: unknown): unknown };
const of = (q: CelMapLike): ParsedQuantity => {
  const s = q.get(KEY);
  if (typeof s !== "string") throw new Error("not a quantity");
  return parseQuantity(s);
};
const wrap = (q: ParsedQuantity | string) => new Map([[KEY, formatQuantity(q)]]);
const fromNumber = (n: ParsedQuantity, sign: 1n | -1n, other: ParsedQuantity): ParsedQuantity => ({ ...n, num: n.num * other.den + sign * other.num * n.den, den: n.den * other.den });

export const QUANTITY_FUNCS: CelFunc[] = [
  celFunc("isQuantity", [CelScalar.STRING], CelScalar.BOOL, (s) => isQuantity(s)),
  celFunc("quantity", [CelScalar.STRING], QUANTITY, (s) => {
    if (!isQuantity(s)) throw new Error(`invalid quantity ${JSON.stringify(s)}`);
    return wrap(s);
  }),
  celMethod("compareTo", QUANTITY, [QUANTITY], CelScalar.INT, function (o) {
    return BigInt(compareQuantities(of(this), of(o)));
  }),
  celMethod("isGreaterThan", QUANTITY, [QUANTITY], CelScalar.BOOL, function (o) {
    return compareQuantities(of(this), of(o)) > 0;
  }),
  celMethod("isLessThan", QUANTITY, [QUANTITY], CelScalar.BOOL, function (o) {
    return compareQuantities(of(this), of(o)) < 0;
  }),
  celMethod("add", QUANTITY, [QUANTITY], QUANTITY, function (o) {
    return wrap(fromNumber(of(this), 1n, of(o)));
  }),
  celMethod("sub", QUANTITY, [QUANTITY], QUANTITY, function (o) {
    return wrap(fromNumber(of(this), -1n, of(o)));
  }),
  celMethod("sign", QUANTITY, [], CelScalar.INT, function () {
    const q = of(this);
    return q.num === 0n ? 0n : q.num > 0n ? 1n : -1n;
  }),
  celMethod("isInteger", QUANTITY, [], CelScalar.BOOL, function () {
    const q = of(this);
    return q.num % q.den === 0n;
  }),
  celMethod("asInteger", QUANTITY, [], CelScalar.INT, function () {
    const q = of(this);
    if (q.num % q.den !== 0n) throw new Error("cannot convert value to integer");
    return q.num / q.den;
  }),
  celMethod("asApproximateFloat", QUANTITY, [], CelScalar.DOUBLE, function () {
    const q = of(this);
    return Number(q.num) / Number(q.den);
  }),
];
