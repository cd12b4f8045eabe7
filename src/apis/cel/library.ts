// Kubernetes' CEL extension libraries (k8s.io/apiserver/pkg/cel/library) on top of
// @bufbuild/cel's standard functions and strings extension: the ones CRD authors reach for —
// lists (isSorted, sum, min, max, indexOf, lastIndexOf), regex (find, findAll). Each is a
// plain function over CEL values, registered once; admission (matchConditions,
// ValidatingAdmissionPolicy) takes the same set from here.
import { type CelFunc, CelScalar, celMethod, listType } from "@bufbuild/cel";
import { strings } from "@bufbuild/cel/ext";
import { RE2JS } from "@bufbuild/re2";

const LIST = listType(CelScalar.DYN);
type Comparable = bigint | number | string | boolean;

function items(list: Iterable<unknown>): Comparable[] {
  return [...list] as Comparable[];
}

const cmp = (a: Comparable, b: Comparable) => (a < b ? -1 : a > b ? 1 : 0);

const lists: CelFunc[] = [
  celMethod("isSorted", LIST, [], CelScalar.BOOL, function () {
    const a = items(this);
    return a.every((v, i) => i === 0 || cmp(a[i - 1]!, v) <= 0);
  }),
  celMethod("sum", LIST, [], CelScalar.DYN, function () {
    const a = items(this);
    if (!a.length) return 0n;
    return a.reduce((x, y) => (x as number) + (y as number)) as bigint | number;
  }),
  celMethod("min", LIST, [], CelScalar.DYN, function () {
    const a = items(this);
    if (!a.length) throw new Error("min called on empty list");
    return a.reduce((x, y) => (cmp(y, x) < 0 ? y : x));
  }),
  celMethod("max", LIST, [], CelScalar.DYN, function () {
    const a = items(this);
    if (!a.length) throw new Error("max called on empty list");
    return a.reduce((x, y) => (cmp(y, x) > 0 ? y : x));
  }),
  celMethod("indexOf", LIST, [CelScalar.DYN], CelScalar.INT, function (v) {
    return BigInt(items(this).findIndex((x) => x === v));
  }),
  celMethod("lastIndexOf", LIST, [CelScalar.DYN], CelScalar.INT, function (v) {
    return BigInt(items(this).lastIndexOf(v as Comparable));
  }),
];

// Regexes of rules are RE2 in Kubernetes; the `matches` of @bufbuild/cel already is (@bufbuild/re2).
// find/findAll need match positions, which that engine does not expose: they run JavaScript's
// engine on patterns that are valid RE2 (no backreferences, no lookarounds) and hold no quantified
// group that itself repeats, the shape that makes a backtracking engine blow up.
const NESTED_QUANTIFIER = /\([^)]*[+*}][^)]*\)\s*[+*{]/;
const regex = (p: string) => {
  RE2JS.compile(p);
  if (NESTED_QUANTIFIER.test(p)) throw new Error(`regex ${JSON.stringify(p)} repeats a repeated group: not supported by find and findAll`);
  return new RegExp(p, "gu");
};

const regexes: CelFunc[] = [
  celMethod("find", CelScalar.STRING, [CelScalar.STRING], CelScalar.STRING, function (p) {
    return regex(p).exec(this)?.[0] ?? "";
  }),
  celMethod("findAll", CelScalar.STRING, [CelScalar.STRING], listType(CelScalar.STRING), function (p) {
    return [...this.matchAll(regex(p))].map((m) => m[0]);
  }),
];

/** The functions every Kubernetes CEL environment has, besides CEL's standard ones. */
export const KUBERNETES_FUNCS: CelFunc[] = [...strings, ...lists, ...regexes];
