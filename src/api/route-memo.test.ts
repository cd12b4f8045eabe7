// RouteMemo answers as the router it remembers for: the same handlers and params for every
// method and path, asked once or again, before and after its bound lets the memo go.
import { describe, expect, test } from "bun:test";
import { RegExpRouter } from "hono/router/reg-exp-router";
import { SmartRouter } from "hono/router/smart-router";
import { TrieRouter } from "hono/router/trie-router";
import { RouteMemo } from "./route-memo.ts";

// The shapes of the API server's routes, the literal metrics paths beside the parameters included.
const ROUTES: [string, string][] = [
  ["ALL", "/*"],
  ["GET", "/healthz"],
  ["GET", "/healthz/*"],
  ["GET", "/api"],
  ["GET", "/apis"],
  ["GET", "/api/:version"],
  ["GET", "/apis/:group"],
  ["GET", "/apis/:group/:version"],
  ["GET", "/openapi/v3/*"],
  ["POST", "/apis/authorization.k8s.io/v1/selfsubjectaccessreviews"],
  ["GET", "/apis/metrics.k8s.io/v1beta1/nodes"],
  ["GET", "/apis/metrics.k8s.io/v1beta1/nodes/:name"],
  ["GET", "/apis/metrics.k8s.io/v1beta1/namespaces/:namespace/pods/:name"],
  ["ALL", "/api/:version/*"],
  ["ALL", "/apis/:group/:version/*"],
];

const ASKED: [string, string][] = [
  ["POST", "/api/v1/namespaces/default/configmaps"],
  ["GET", "/api/v1/namespaces/default/configmaps"],
  ["GET", "/api/v1/namespaces/default/configmaps/cm-1"],
  ["PUT", "/apis/apps/v1/namespaces/x/deployments/web/status"],
  ["GET", "/apis/metrics.k8s.io/v1beta1/nodes"],
  ["DELETE", "/apis/metrics.k8s.io/v1beta1/nodes"],
  ["GET", "/apis/metrics.k8s.io/v1beta1/nodes/n%2F1"],
  ["GET", "/apis/metrics.k8s.io/v1beta1/namespaces/a/pods/b"],
  ["POST", "/apis/authorization.k8s.io/v1/selfsubjectaccessreviews"],
  ["GET", "/apis/apps"],
  ["GET", "/apis/apps/v1"],
  ["GET", "/healthz"],
  ["GET", "/healthz/etcd"],
  ["GET", "/openapi/v3/apis/apps/v1"],
  ["GET", "/nowhere"],
  ["GET", "/"],
];

function routers(): [Router, Router] {
  const plain = new SmartRouter<number>({ routers: [new RegExpRouter<number>(), new TrieRouter<number>()] });
  const memo = new RouteMemo<number>();
  ROUTES.forEach(([method, path], i) => {
    plain.add(method, path, i);
    memo.add(method, path, i);
  });
  return [plain, memo];
}
type Router = { match(method: string, path: string): unknown };

describe("RouteMemo", () => {
  test("answers every method and path as the router, asked once and again", () => {
    const [plain, memo] = routers();
    for (let round = 0; round < 3; round++) {
      for (const [method, path] of ASKED) expect(memo.match(method, path)).toEqual(plain.match(method, path) as never);
    }
  });

  test("one path asked by several methods keeps each method's answer apart", () => {
    const [plain, memo] = routers();
    const path = "/apis/metrics.k8s.io/v1beta1/nodes";
    for (const method of ["GET", "POST", "GET", "DELETE", "POST"]) expect(memo.match(method, path)).toEqual(plain.match(method, path) as never);
  });

  test("past its bound the memo starts over and still answers as the router", () => {
    const [plain, memo] = routers();
    for (let i = 0; i < 3000; i++) {
      const path = `/api/v1/namespaces/ns-${i % 2500}/pods/p-${i}`;
      expect(memo.match("GET", path)).toEqual(plain.match("GET", path) as never);
    }
    for (const [method, path] of ASKED) expect(memo.match(method, path)).toEqual(plain.match(method, path) as never);
  });
});
