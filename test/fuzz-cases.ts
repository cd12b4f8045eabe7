// The hostile material test/fuzz.test.ts draws its requests from: strings, names, query
// parameters, patches, content types and Accept headers that clients get wrong or attackers try.

export const HOSTILE_STRINGS = [
  "'; DROP TABLE kv; --",
  '" OR "1"="1',
  "1; DELETE FROM kv WHERE 1=1",
  "%' OR name LIKE '%",
  "\\x00\\",
  "\u0000nul",
  "../../../etc/passwd",
  "..",
  "${jndi:ldap://x/a}",
  "<script>alert(1)</script>",
  "\ud800 lone surrogate",
  "\u202eevil",
  "🙂🙃",
  "$(rm -rf /)",
  "%s%n%x",
  "x".repeat(70_000),
  "",
  " ",
];

// Names as they appear in URL paths (already encoded where a client would encode).
export const HOSTILE_NAMES = [
  "..",
  ".",
  "..%2F..%2Fsecrets",
  "%2e%2e",
  "a%2F..%2Fb",
  "%27%3B%20DROP%20TABLE%20kv%3B--",
  "%22%20OR%201%3D1",
  "%00",
  "%ff%fe",
  "%E0%A4%A",
  "%",
  "UPPER",
  "-leading",
  "x".repeat(300),
  "%F0%9F%99%82",
  "name%3Fwatch%3D1",
];

export const BAD_QUERIES = [
  "limit=-1",
  "limit=abc",
  "limit=1e999",
  "limit=9007199254740993",
  "continue=garbage",
  "continue=eyJydiI6ImFiYyJ9",
  "continue=%00%ff",
  "limit=1&continue=eyJrZXkiOjF9",
  "resourceVersion=abc",
  "resourceVersion=-5",
  "resourceVersion=99999999999999999999",
  "resourceVersionMatch=Bogus",
  "resourceVersion=0&resourceVersionMatch=Exact",
  "timeoutSeconds=x",
  "timeoutSeconds=-1",
  "watch=1&resourceVersion=abc",
  "watch=true&timeoutSeconds=abc",
  "watch=1&allowWatchBookmarks=maybe",
  "labelSelector=a%20in%20(",
  "labelSelector=!!",
  "labelSelector=%3D",
  "labelSelector=a%3D%3Db%3D%3Dc",
  "labelSelector=x%2C",
  "labelSelector=%27%3B%20DROP%20TABLE%20kv",
  "labelSelector=a%20notin%20b",
  "labelSelector=" + "a".repeat(5000),
  "fieldSelector=spec.foo%3Dbar",
  "fieldSelector=metadata.name%3D%3D",
  "fieldSelector=%3D",
  "fieldSelector=status.phase!",
  "fieldSelector=metadata.name%20in%20(a)",
  "fieldValidation=Bogus",
  "dryRun=Some",
  "gracePeriodSeconds=x",
  "gracePeriodSeconds=1.5",
  "propagationPolicy=Bogus",
  "pretty=%00",
  "fieldManager=" + "m".repeat(300),
  "force=perhaps",
  "follow=1&container=%27%3B",
  "tailLines=-1&limitBytes=x&sinceSeconds=abc",
  "%ZZ=%ZZ",
  "a=1&a=2&a=3&" + "b=c&".repeat(500),
];

/** Query parameters a server must refuse on a create, update or patch: a write carrying one never lands. */
export const REFUSED_WRITE_QUERIES = ["dryRun=Some", "fieldValidation=Bogus"];

export const PATCH_TYPES = [
  "application/json-patch+json",
  "application/merge-patch+json",
  "application/strategic-merge-patch+json",
  "application/apply-patch+yaml",
];

export const BAD_PATCHES: Record<string, string[]> = {
  "application/json-patch+json": [
    '[{"op":"bogus","path":"/a"}]',
    '[{"op":"replace","path":"/metadata/name","value":"other"}]',
    '{"not":"an array"}',
    '[{"op":"add","path":"/spec/containers/999999/x","value":1}]',
    '[{"op":"move","from":"/metadata","path":"/metadata/labels"}]',
    '[{"op":"test","path":"/metadata/name","value":"no"}]',
    '[{"op":"remove","path":"/"}]',
    '[{"op":"add","path":"","value":null}]',
    '[{"op":"copy","from":"/nope","path":"/x"}]',
    '[{"op":"add","path":"/metadata/labels/~2","value":"x"}]',
    '[{"op":"replace","path":"/spec/replicas","value":"many"}]',
    '[{"op":"add","path":"/metadata/finalizers/-","value":{"a":1}}]',
    '[{"op":"add","path":"/kind","value":"Other"}]',
    '[{"op":"replace","path":"/metadata/resourceVersion","value":"abc"}]',
    "[null]",
    "[1,2]",
    '[{"op":"remove","path":"/metadata/name"}]',
  ],
  "application/merge-patch+json": [
    "null",
    "[]",
    '"str"',
    '{"metadata":null}',
    '{"metadata":{"name":"other"}}',
    '{"spec":null,"status":null}',
    '{"kind":"Other"}',
    '{"apiVersion":"v2"}',
    '{"metadata":{"labels":{"\'; DROP":"x"}}}',
    '{"metadata":{"labels":"notamap"}}',
    '{"spec":{"containers":"notalist"}}',
    '{"spec":{"replicas":-1}}',
    '{"spec":{"replicas":"x"}}',
    '{"metadata":{"resourceVersion":"abc"}}',
    '{"metadata":{"resourceVersion":"1"}}',
    '{"metadata":{"namespace":"other"}}',
    '{"metadata":{"uid":5,"creationTimestamp":"yesterday"}}',
    '{"data":{"k":5},"stringData":[1]}',
    '{"spec":{"ports":[{"port":"x"}],"type":"Bogus"}}',
  ],
  "application/strategic-merge-patch+json": [
    '{"$patch":"replace"}',
    '{"$patch":"bogus"}',
    '{"spec":{"containers":[{"$patch":"delete"}]}}',
    '{"spec":{"$setElementOrder/containers":"x"}}',
    '{"spec":{"$setElementOrder/containers":[{"name":1}]}}',
    '{"spec":{"$retainKeys":5}}',
    '{"$deleteFromPrimitiveList/finalizers":"x"}',
    '{"metadata":{"finalizers":[{"$patch":"delete"}]}}',
    '{"spec":{"containers":[{"name":null}]}}',
    '{"spec":{"containers":[1,2]}}',
    '{"spec":{"template":{"spec":{"containers":[{"$patch":"merge"}]}}}}',
    '{"metadata":{"$patch":"delete"}}',
    '{"spec":{"ports":[{"port":"x","$patch":"replace"}]}}',
    '{"metadata":{"labels":{"$patch":"replace","a":{"b":1}}}}',
    '{"status":{"conditions":[{"type":null}]}}',
    '{"spec":{"containers":[{"name":"c","env":[{"$patch":"delete","name":5}]}]}}',
  ],
  "application/apply-patch+yaml": [
    "kind: Pod",
    "apiVersion: v1",
    "apiVersion: v1\nkind: Nope\nmetadata:\n  name: x",
    "- a\n- b",
    "a: &a [*a, *a]\nb: *a",
    "!!binary AAAA",
    "apiVersion: v1\nkind: ConfigMap\nmetadata: [1]",
    "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: other-name",
    "apiVersion: [v1]\nkind: {a: 1}",
    "{{{{",
    ": : :",
    "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  managedFields: 5",
    "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  labels:\n    \"'; DROP\": x",
  ],
};

export const WRONG_CONTENT_TYPES = [
  "text/plain",
  "application/xml",
  "multipart/form-data; boundary=x",
  "application/json; charset=utf-16",
  "application/vnd.kubernetes.protobuf",
  "application/x-www-form-urlencoded",
  "application/yaml",
  "",
];

/** Media types no write accepts a JSON body in. */
export const UNSUPPORTED_CONTENT_TYPES = WRONG_CONTENT_TYPES.filter((t) => t !== "application/yaml" && t !== "" && !t.startsWith("application/json"));

export const ACCEPTS = [
  "application/json",
  "application/json;as=Table;g=meta.k8s.io;v=v1",
  "application/json;as=Table;g=meta.k8s.io;v=v1beta1, application/json",
  "application/vnd.kubernetes.protobuf",
  "application/vnd.kubernetes.protobuf;as=Table;g=meta.k8s.io;v=v1",
  "application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1",
  "text/html",
  "*/*;q=abc",
  ";;;,,,",
  "x".repeat(20_000),
];

/** NetworkPolicy specs the API must refuse with 422 naming the field (never a 500): [spec, field]. */
export const BAD_NETWORK_POLICIES: [unknown, string][] = [
  [{ podSelector: { matchExpressions: [{ key: "a", operator: "Bogus" }] } }, "spec.podSelector.matchExpressions[0].operator"],
  [{ podSelector: "x" }, "spec.podSelector"],
  [{ podSelector: {}, policyTypes: ["Ingress", "Sideways"] }, "spec.policyTypes[1]"],
  [{ podSelector: {}, policyTypes: ["Ingress", "Egress", "Ingress"] }, "spec.policyTypes"],
  [{ podSelector: {}, ingress: [{ ports: [{ protocol: "ICMP", port: 80 }] }] }, "spec.ingress[0].ports[0].protocol"],
  [{ podSelector: {}, ingress: [{ ports: [{ port: 0 }] }] }, "spec.ingress[0].ports[0].port"],
  [{ podSelector: {}, ingress: [{ ports: [{ port: 70000 }] }] }, "spec.ingress[0].ports[0].port"],
  [{ podSelector: {}, ingress: [{ ports: [{ port: "Not_A_Name" }] }] }, "spec.ingress[0].ports[0].port"],
  [{ podSelector: {}, ingress: [{ ports: [{ port: 80, endPort: 79 }] }] }, "spec.ingress[0].ports[0].endPort"],
  [{ podSelector: {}, ingress: [{ ports: [{ port: "http", endPort: 90 }] }] }, "spec.ingress[0].ports[0].endPort"],
  [{ podSelector: {}, egress: [{ ports: [{ endPort: 90 }] }] }, "spec.egress[0].ports[0].endPort"],
  [{ podSelector: {}, egress: [{ ports: [{ port: 80, endPort: "x" }] }] }, "spec.egress[0].ports[0].endPort"],
  [{ podSelector: {}, ingress: [{ from: [{}] }] }, "spec.ingress[0].from[0]"],
  [{ podSelector: {}, ingress: [{ from: [{ ipBlock: { cidr: "10.0.0.0/8" }, podSelector: {} }] }] }, "spec.ingress[0].from[0]"],
  [{ podSelector: {}, egress: [{ to: [{ ipBlock: { cidr: "10.0.0.0/33" } }] }] }, "spec.egress[0].to[0].ipBlock.cidr"],
  [{ podSelector: {}, egress: [{ to: [{ ipBlock: { cidr: "" } }] }] }, "spec.egress[0].to[0].ipBlock.cidr"],
  [{ podSelector: {}, egress: [{ to: [{ ipBlock: { cidr: "10.0.0.0/8", except: ["11.0.0.0/16"] } }] }] }, "spec.egress[0].to[0].ipBlock.except[0]"],
  [{ podSelector: {}, egress: [{ to: [{ ipBlock: { cidr: "10.0.0.0/8", except: ["10.0.0.0/8"] } }] }] }, "spec.egress[0].to[0].ipBlock.except[0]"],
  [{ podSelector: {}, egress: [{ to: [{ ipBlock: { cidr: "10.0.0.0/8", except: ["nope"] } }] }] }, "spec.egress[0].to[0].ipBlock.except[0]"],
  [{ podSelector: {}, egress: [{ to: [{ namespaceSelector: { matchLabels: { "bad key!": "x" } } }] }] }, "spec.egress[0].to[0].namespaceSelector.matchLabels"],
  [{ podSelector: {}, ingress: "all" }, "spec.ingress"],
  [{ podSelector: {}, ingress: [{ from: [{ podSelector: { matchExpressions: [{ key: "a", operator: "In" }] } }] }] }, "spec.ingress[0].from[0].podSelector.matchExpressions[0].values"],
];

// PodDisruptionBudget specs that must be refused: [what, spec, the field the 422 names].
export const BAD_PDBS: [string, unknown, string][] = [
  ["minAvailable and maxUnavailable both", { minAvailable: 1, maxUnavailable: 1, selector: { matchLabels: { a: "b" } } }, "spec"],
  ["a negative minAvailable", { minAvailable: -3 }, "spec.minAvailable"],
  ["a negative maxUnavailable", { maxUnavailable: -1 }, "spec.maxUnavailable"],
  ["a percent over 100", { minAvailable: "101%" }, "spec.minAvailable"],
  ["a string that is no percent", { maxUnavailable: "one" }, "spec.maxUnavailable"],
  ["a fraction", { minAvailable: 1.5 }, "spec.minAvailable"],
  ["an object for minAvailable", { minAvailable: { x: 1 } }, "spec.minAvailable"],
  ["a hostile percent", { minAvailable: "'; DROP TABLE kv; --%" }, "spec.minAvailable"],
  ["an unknown unhealthyPodEvictionPolicy", { minAvailable: 1, unhealthyPodEvictionPolicy: "Never" }, "spec.unhealthyPodEvictionPolicy"],
  ["a selector operator that does not exist", { minAvailable: 1, selector: { matchExpressions: [{ key: "a", operator: "Like", values: ["x"] }] } }, "spec.selector.matchExpressions[0].operator"],
  ["In without values", { minAvailable: 1, selector: { matchExpressions: [{ key: "a", operator: "In" }] } }, "spec.selector.matchExpressions[0].values"],
  ["a bad label value in the selector", { minAvailable: 1, selector: { matchLabels: { a: "not a value!" } } }, "spec.selector.matchLabels"],
  ["a spec that is a list", [], "spec"],
];

// A CustomResourceDefinition whose schema exercises what pruning, defaulting and validation
// walk (nested objects, typed maps, map lists, int-or-string, preserved and embedded fields):
// the fuzz creates it, then sends hostile bodies to both the CRD and its custom resource.
export const FUZZ_CRD = {
  apiVersion: "apiextensions.k8s.io/v1",
  kind: "CustomResourceDefinition",
  metadata: { name: "fuzzes.fuzz.example.com" },
  spec: {
    group: "fuzz.example.com",
    scope: "Namespaced",
    names: { plural: "fuzzes", singular: "fuzz", kind: "Fuzz", shortNames: ["fz"], categories: ["all"] },
    versions: [
      {
        name: "v1",
        served: true,
        storage: true,
        subresources: { status: {}, scale: { specReplicasPath: ".spec.replicas", statusReplicasPath: ".status.replicas" } },
        additionalPrinterColumns: [{ name: "Replicas", type: "integer", jsonPath: ".spec.replicas" }, { name: "Ready", type: "string", jsonPath: '.status.conditions[?(@.type=="Ready")].status' }],
        selectableFields: [{ jsonPath: ".spec.color" }],
        schema: {
          openAPIV3Schema: {
            type: "object",
            properties: {
              spec: {
                type: "object",
                required: ["color"],
                "x-kubernetes-validations": [
                  { rule: "!has(self.name) || self.name.size() <= 10", messageExpression: "'name ' + self.name + ' is too long'", fieldPath: ".name" },
                  { rule: "!has(self.ports) || self.ports.all(p, p.name != '')" },
                  { rule: "self.color == oldSelf.color", message: "color is immutable" },
                ],
                properties: {
                  color: { type: "string", enum: ["red", "blue"], default: "red" },
                  replicas: { type: "integer", minimum: 0, maximum: 5, default: 1 },
                  name: { type: "string", pattern: "^[a-z]{1,10}$", maxLength: 10 },
                  port: { "x-kubernetes-int-or-string": true },
                  labels: { type: "object", additionalProperties: { type: "string" } },
                  ports: { type: "array", "x-kubernetes-list-type": "map", "x-kubernetes-list-map-keys": ["name"], items: { type: "object", required: ["name"], properties: { name: { type: "string" }, port: { type: "integer", default: 80 } } } },
                  raw: { type: "object", "x-kubernetes-preserve-unknown-fields": true },
                  template: { type: "object", "x-kubernetes-embedded-resource": true, "x-kubernetes-preserve-unknown-fields": true },
                  when: { type: "string", format: "date-time" },
                  deep: { type: "array", items: { type: "array", items: { type: "object", properties: { x: { type: "number", multipleOf: 0.5 } } } } },
                },
              },
              status: { type: "object", properties: { replicas: { type: "integer" }, conditions: { type: "array", items: { type: "object", properties: { type: { type: "string" }, status: { type: "string" } } } } } },
            },
          },
        },
      },
    ],
  },
};

/** A custom resource of FUZZ_CRD that validates. */
export const FUZZ_CR_SPEC = {
  spec: { color: "blue", replicas: 2, name: "abc", port: "http", labels: { a: "b" }, ports: [{ name: "web" }], raw: { any: ["thing"] }, template: { apiVersion: "v1", kind: "Pod", metadata: { name: "p" } }, when: "2026-01-01T00:00:00Z", deep: [[{ x: 1.5 }]] },
  status: { replicas: 1, conditions: [{ type: "Ready", status: "True" }] },
};

// A ValidatingAdmissionPolicy and a binding whose every expression compiles (variables,
// messageExpression, auditAnnotations, matchConditions): the fuzz poisons their strings, so
// the CEL compiler sees hostile expressions at write time.
export const FUZZ_POLICY_SPEC = {
  spec: {
    failurePolicy: "Fail",
    paramKind: { apiVersion: "v1", kind: "ConfigMap" },
    matchConstraints: {
      resourceRules: [{ apiGroups: ["apps"], apiVersions: ["v1"], operations: ["CREATE", "UPDATE"], resources: ["deployments"], resourceNames: ["a"] }],
      excludeResourceRules: [{ apiGroups: [""], apiVersions: ["v1"], operations: ["*"], resources: ["pods/*"] }],
      namespaceSelector: { matchLabels: { fuzz: "yes" } },
    },
    variables: [{ name: "replicas", expression: "object.spec.replicas" }],
    matchConditions: [{ name: "not-system", expression: "!request.userInfo.username.startsWith('system:')" }],
    validations: [{ expression: "variables.replicas <= 5", messageExpression: "'too many: ' + string(variables.replicas)", reason: "Forbidden" }],
    auditAnnotations: [{ key: "replicas", valueExpression: "string(variables.replicas)" }],
  },
};
export const FUZZ_BINDING_SPEC = {
  spec: { policyName: "fuzz-policy", validationActions: ["Warn", "Audit"], paramRef: { selector: { matchLabels: { p: "x" } }, namespace: "default", parameterNotFoundAction: "Allow" }, matchResources: { objectSelector: { matchExpressions: [{ key: "a", operator: "Exists" }] } } },
};
