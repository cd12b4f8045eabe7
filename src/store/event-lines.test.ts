// recentEventLines: a watch line is taken as a recent write's event only when it is exactly the
// watch handler's encoding of that write's stored object; anything else is left to JSON.parse.
import { describe, expect, test } from "bun:test";
import { recentEventLines } from "./event-lines.ts";
import { objectJson } from "./json.ts";
import { SqliteStore } from "./store.ts";
import { dbPath, obj } from "./store-testing.ts";

/** What src/api/handlers/watch.ts sends for an event (without its newline). */
const line = (type: string, text: string) => `{"type":"${type}","object":${text}}`;

describe("recentEventLines", () => {
  test("the line of a recent write is its event with the store's own object, equal to what parsing makes", async () => {
    const s = new SqliteStore(dbPath());
    const intern = recentEventLines(s)!;
    const added = await s.create("/core/configmaps/ns/a", obj("a", { k: "v" }));
    const got = intern(line("ADDED", objectJson(added.object)));
    expect(got).toEqual({ type: "ADDED", object: added.object });
    expect(got!.object).toBe(added.object);
    expect(got).toEqual(JSON.parse(line("ADDED", objectJson(added.object))));
    const modified = await s.update("/core/configmaps/ns/a", obj("a", { k: "w" }), added.revision);
    expect(intern(line("MODIFIED", objectJson(modified.object)))!.object).toBe(modified.object);
    await s.close();
  });

  test("any other line is left to the parser", async () => {
    const s = new SqliteStore(dbPath());
    const intern = recentEventLines(s)!;
    const added = await s.create("/core/configmaps/ns/a", obj("a", { k: "v" }));
    const text = objectJson(added.object);
    // Not byte for byte the stored text: another value, other spacing, another apiVersion's form.
    expect(intern(line("ADDED", text.replace('"k":"v"', '"k":"x"')))).toBeUndefined();
    expect(intern(line("ADDED", JSON.stringify(added.object, null, 1)))).toBeUndefined();
    expect(intern(line("ADDED", text) + " ")).toBeUndefined();
    expect(intern(`{"type":"ADDED","object":${text},"x":1}`)).toBeUndefined();
    // DELETED and BOOKMARK events, and other JSON, are always parsed.
    expect(intern(line("DELETED", text))).toBeUndefined();
    expect(intern(line("BOOKMARK", text))).toBeUndefined();
    expect(intern('{"kind":"Status"}')).toBeUndefined();
    // A revision that is no longer its key's current one: its object is not the store's any more.
    await s.update("/core/configmaps/ns/a", obj("a", { k: "w" }), added.revision);
    expect(intern(line("ADDED", text))).toBeUndefined();
    await s.close();
  });

  test("a write whose event has left the watch ring is parsed", async () => {
    const s = new SqliteStore(dbPath(), { ringSize: 4 });
    const intern = recentEventLines(s)!;
    const first = await s.create("/core/configmaps/ns/first", obj("first"));
    for (let i = 0; i < 10; i++) await s.create(`/core/configmaps/ns/c${i}`, obj(`c${i}`));
    expect(intern(line("ADDED", objectJson(first.object)))).toBeUndefined();
    await s.close();
  });
});
