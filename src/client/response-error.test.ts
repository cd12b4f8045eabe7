import { expect, test } from "bun:test";
import { notFound } from "../apis/errors.ts";
import { responseError } from "./response-error.ts";

test("a Status body is the error's Status", () => {
  const status = notFound({ resource: "pods" }, "web").status;
  const err = responseError(404, JSON.stringify(status));
  expect(err.status).toEqual(status);
  expect(err.reason).toBe("NotFound");
});

test.each([
  [502, "Bad Gateway", "InternalError", "Bad Gateway"],
  [403, "", "Forbidden", "the server responded with HTTP 403"],
  [410, "{}", "Expired", "{}"],
  [418, "teapot", "Unknown", "teapot"],
])("HTTP %d with body %j becomes reason %s", (code, body, reason, message) => {
  const err = responseError(code, body);
  expect(err.status).toMatchObject({ kind: "Status", status: "Failure", code, reason, message });
});
