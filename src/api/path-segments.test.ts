import { expect, test } from "bun:test";
import { pathSegments } from "./path-segments.ts";

test.each(["", "/", "//", "/api", "/api/", "/api/v1/namespaces/default/pods/p", "//api//v1/", "api/v1", "/apis/apps/v1/deployments/", "/a/%2F/b", "///x"])(
  "%p splits as split-and-filter does",
  (path) => {
    expect(pathSegments(path)).toEqual(path.split("/").filter((p) => p !== ""));
  },
);
