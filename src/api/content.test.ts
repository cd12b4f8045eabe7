import { describe, expect, test } from "bun:test";
import { StatusError } from "../apis/errors.ts";
import { decodeBody } from "./content.ts";

const utf8 = (s: string) => new TextEncoder().encode(s);
/** `depth` levels of nesting, alternating objects and lists, around a string. */
function nested(depth: number): string {
  let s = '"leaf"';
  for (let i = 0; i < depth; i++) s = i % 2 ? `[${s}]` : `{"k":${s}}`;
  return s;
}

describe("decodeBody nesting limit", () => {
  test("100 levels are accepted, 101 are a 400 naming the limit, in JSON and YAML", () => {
    expect(decodeBody(utf8(nested(100)), "application/json")).toBeDefined();
    for (const type of ["application/json", "application/yaml"]) {
      let err: unknown;
      try {
        decodeBody(utf8(nested(101)), type);
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(StatusError);
      expect((err as StatusError).code).toBe(400);
      expect((err as StatusError).message).toContain("nested deeper than 100 levels");
    }
  });
});
