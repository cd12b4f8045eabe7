// Webhook configuration validation: a valid configuration passes; seeded random damage to one
// (wrong types, hostile strings, missing and extra fields) never throws and, whenever a value
// is out of what upstream accepts, comes back as causes under webhooks[...].
import { expect, test } from "bun:test";
import { defaultWebhookConfiguration, type WebhookConfiguration } from "./webhook.ts";
import { validateMutatingWebhookConfiguration, validateValidatingWebhookConfiguration } from "./validation.ts";
import type { StatusCause } from "../meta.ts";

const valid = (): WebhookConfiguration =>
  ({
    apiVersion: "admissionregistration.k8s.io/v1",
    kind: "MutatingWebhookConfiguration",
    metadata: { name: "c" },
    webhooks: [
      {
        name: "a.example.com",
        clientConfig: { service: { namespace: "ns", name: "svc", path: "/mutate" }, caBundle: "Zm9v" },
        rules: [{ operations: ["CREATE"], apiGroups: ["", "apps"], apiVersions: ["v1"], resources: ["pods", "pods/status", "deployments/*"], scope: "Namespaced" }],
        namespaceSelector: { matchExpressions: [{ key: "env", operator: "In", values: ["prod"] }] },
        objectSelector: { matchLabels: { app: "web" } },
        sideEffects: "NoneOnDryRun",
        timeoutSeconds: 5,
        admissionReviewVersions: ["v1", "v1beta1"],
        reinvocationPolicy: "IfNeeded",
      },
    ],
  }) as WebhookConfiguration;

const check = (cfg: unknown, mutating = true): StatusCause[] => {
  const errs: StatusCause[] = [];
  (mutating ? validateMutatingWebhookConfiguration : validateValidatingWebhookConfiguration)(errs, cfg as Record<string, unknown>);
  return errs;
};

test("a valid configuration passes, before and after defaulting", () => {
  const cfg = valid();
  expect(check(cfg)).toEqual([]);
  defaultWebhookConfiguration(cfg, true);
  expect(check(cfg)).toEqual([]);
  expect(cfg.webhooks![0]).toMatchObject({ failurePolicy: "Fail", matchPolicy: "Equivalent", clientConfig: { service: { port: 443 } } });
});

test("reinvocationPolicy is for mutating webhooks only", () => {
  expect(check(valid(), false).map((c) => c.field)).toEqual(["webhooks[0].reinvocationPolicy"]);
});

const HOSTILE: unknown[] = [null, 0, -1, 1e9, 1.5, true, "", " ", "*", "x".repeat(5000), "\u0000", "../..", [], [""], ["*", "x"], {}, { a: 1 }, [null], [[]]];

function rng(seed: number) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Every path to a value inside `v`, as key lists. */
function paths(v: unknown, at: (string | number)[] = []): (string | number)[][] {
  if (Array.isArray(v)) return [at, ...v.flatMap((x, i) => paths(x, [...at, i]))];
  if (v && typeof v === "object") return [at, ...Object.entries(v).flatMap(([k, x]) => paths(x, [...at, k]))];
  return [at];
}

test("5,000 damaged configurations never throw, and every cause names a field under webhooks", () => {
  const next = rng(23);
  const targets = paths(valid().webhooks).filter((p) => p.length > 0);
  let refused = 0;
  for (let i = 0; i < 5000; i++) {
    const cfg = valid();
    for (let n = 1 + Math.floor(next() * 3); n > 0; n--) {
      const path = targets[Math.floor(next() * targets.length)]!;
      let parent: any = cfg.webhooks;
      for (const k of path.slice(0, -1)) parent = parent?.[k];
      if (parent && typeof parent === "object") parent[path.at(-1)!] = structuredClone(HOSTILE[Math.floor(next() * HOSTILE.length)]);
    }
    let errs: StatusCause[] = [];
    expect(() => (errs = check(cfg))).not.toThrow();
    for (const e of errs) expect(e.field).toStartWith("webhooks");
    if (errs.length) refused++;
  }
  // Most damage is refused; some is harmless (an empty selector, a path of "/").
  expect(refused).toBeGreaterThan(4000);
});
