import { describe, expect, test } from "bun:test";
import {
  isConfigMapKey,
  isDNS1035Label,
  isDNS1123Label,
  isDNS1123Subdomain,
  isEnvVarName,
  isNonSpecialIP,
  isQualifiedName,
  isResourceQuantity,
  isValidCIDR,
  isValidIP,
  isValidLabelValue,
  isValidPortName,
  isValidPortNum,
  nameIsDNSSubdomain,
  regexError,
} from "./validation.ts";

describe("name syntax", () => {
  test.each([
    ["web", true, true, true],
    ["web-1", true, true, true],
    ["1web", true, true, false],
    ["web.example.com", false, true, false],
    ["Web", false, false, false],
    ["web-", false, false, false],
    ["-web", false, false, false],
    ["web_1", false, false, false],
    ["", false, false, false],
    ["a".repeat(63), true, true, true],
    ["a".repeat(64), false, true, false],
  ])("%p: label %p, subdomain %p, dns-1035 %p", (name, label, subdomain, dns1035) => {
    expect(isDNS1123Label(name).length === 0).toBe(label);
    expect(isDNS1123Subdomain(name).length === 0).toBe(subdomain);
    expect(isDNS1035Label(name).length === 0).toBe(dns1035);
  });

  test("subdomains are at most 253 characters", () => {
    expect(isDNS1123Subdomain(`${"a".repeat(63)}.`.repeat(4).slice(0, 253))).toEqual([]);
    expect(isDNS1123Subdomain("a".repeat(254))).toContain("must be no more than 253 characters");
  });

  test("a dotted name is reported as a label with dots", () => {
    expect(isDNS1123Label("a.b")).toEqual(["must not contain dots"]);
  });

  test("messages are Kubernetes' own", () => {
    expect(isDNS1123Label("A")).toEqual([
      "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')",
    ]);
    expect(regexError("m", "f")).toBe("m (regex used for validation is 'f')");
  });

  test("generateName may end in a dash", () => {
    expect(nameIsDNSSubdomain("web-", true)).toEqual([]);
    expect(nameIsDNSSubdomain("web-", false)).not.toEqual([]);
  });
});

describe("qualified names and label values", () => {
  test.each([
    ["app", []],
    ["app.kubernetes.io/name", []],
    ["example.com/My_Name.1", []],
    ["/name", ["prefix part must be non-empty"]],
    ["example.com/", ["name part must be non-empty", expect.stringContaining("name part must consist of")]],
    ["Example.com/x", [expect.stringContaining("prefix part a lowercase RFC 1123 subdomain")]],
    ["a/b/c", [expect.stringContaining("a qualified name must consist of")]],
    ["-app", [expect.stringContaining("name part must consist of")]],
    ["a".repeat(64), ["name part must be no more than 63 characters"]],
  ])("qualified name %p", (name, want) => {
    expect(isQualifiedName(name)).toEqual(want as string[]);
  });

  test.each([
    ["", true],
    ["v1.2_3-x", true],
    ["-x", false],
    ["a b", false],
    ["a".repeat(64), false],
  ])("label value %p valid: %p", (v, ok) => {
    expect(isValidLabelValue(v).length === 0).toBe(ok);
  });
});

describe("keys, ports, addresses", () => {
  test.each([
    ["config.yaml", true],
    ["KEY_NAME-1", true],
    [".hidden", true],
    [".", false],
    ["..", false],
    ["..data", false],
    ["a/b", false],
  ])("config key %p valid: %p", (k, ok) => {
    expect(isConfigMapKey(k).length === 0).toBe(ok);
  });

  test.each([
    [1, true],
    [65535, true],
    [0, false],
    [65536, false],
    [80.5, false],
  ])("port %p valid: %p", (p, ok) => {
    expect(isValidPortNum(p).length === 0).toBe(ok);
  });

  test.each([
    ["http", []],
    ["web-8080", []],
    ["8080", ["must contain at least one letter (a-z)"]],
    ["a--b", ["must not contain consecutive hyphens"]],
    ["-http", ["must not begin or end with a hyphen"]],
    ["HTTP", ["must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)", "must contain at least one letter (a-z)"]],
    ["a-very-long-port-name", ["must be no more than 15 characters"]],
  ])("port name %p", (name, want) => {
    expect(isValidPortName(name)).toEqual(want);
  });

  test.each([
    ["10.0.0.1", true],
    ["2001:db8::1", true],
    ["10.0.0", false],
    ["256.1.1.1", false],
    ["", false],
  ])("ip %p valid: %p", (ip, ok) => {
    expect(isValidIP(ip).length === 0).toBe(ok);
  });

  test.each([
    ["10.42.0.0/24", true],
    ["2001:db8::/64", true],
    ["10.42.0.0/33", false],
    ["10.42.0.0", false],
    ["x/8", false],
  ])("cidr %p valid: %p", (c, ok) => {
    expect(isValidCIDR(c).length === 0).toBe(ok);
  });

  test.each([
    ["10.42.0.5", []],
    ["127.0.0.1", ["may not be in the loopback range (127.0.0.0/8, ::1/128)"]],
    ["0.0.0.0", ["may not be unspecified (0.0.0.0)"]],
    ["169.254.1.1", ["may not be in the link-local range (169.254.0.0/16, fe80::/10)"]],
  ])("endpoint ip %p", (ip, want) => {
    expect(isNonSpecialIP(ip)).toEqual(want);
  });

  test.each([
    ["PATH", true],
    ["my.var-1", true],
    ["1ST", true],
    ["A=B", false],
    ["tab\there", false],
  ])("env var name %p valid: %p", (n, ok) => {
    expect(isEnvVarName(n).length === 0).toBe(ok);
  });
});

test.each<[unknown, string[]]>([
  ["100m", []],
  [2, []],
  ["1Gi", []],
  ["-1", ["must be greater than or equal to 0"]],
  ["1 Gi", [expect.stringContaining("quantities must match the regular expression")]],
  [{}, [expect.stringContaining("quantities must match the regular expression")]],
])("resource quantity %p", (q, want) => {
  expect(isResourceQuantity(q)).toEqual(want as string[]);
});
