import { afterAll, describe, expect, test } from "bun:test";
import { lstatSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, readlinkSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { VolumePathError, validateVolumePath, writeVolumeAtomically, type VolumeFiles } from "./atomic-writer.ts";

const root = mkdtempSync(join(tmpdir(), "kubun-atomic-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));
let n = 0;
const freshDir = () => join(root, `v${n++}`);

const files = (entries: Record<string, string | [string, number]>): VolumeFiles =>
  new Map(Object.entries(entries).map(([k, v]) => [k, typeof v === "string" ? { data: Buffer.from(v) } : { data: Buffer.from(v[0]), mode: v[1] }]));

const read = (dir: string, path: string) => readFileSync(join(dir, path), "utf8");
const hidden = (dir: string) => readdirSync(dir).filter((e) => e.startsWith("..")).sort();

describe("atomic volume writer", () => {
  test("files live in a timestamped folder behind ..data; top-level names are symlinks through it", () => {
    const dir = freshDir();
    expect(writeVolumeAtomically(dir, files({ a: "1", "sub/b": ["2", 0o600] }), 0o644, new Date(Date.UTC(2024, 0, 2, 3, 4, 5)))).toBe(true);
    expect(readlinkSync(join(dir, "..data"))).toStartWith("..2024_01_02_03_04_05.");
    expect(readlinkSync(join(dir, "a"))).toBe("..data/a");
    expect(readlinkSync(join(dir, "sub"))).toBe("..data/sub");
    expect(read(dir, "a")).toBe("1");
    expect(read(dir, "sub/b")).toBe("2");
    expect(statSync(join(dir, "a")).mode & 0o777).toBe(0o644);
    expect(statSync(join(dir, "sub/b")).mode & 0o777).toBe(0o600);
  });

  test("the same payload writes nothing", () => {
    const dir = freshDir();
    writeVolumeAtomically(dir, files({ a: "1" }), 0o644);
    const before = readlinkSync(join(dir, "..data"));
    expect(writeVolumeAtomically(dir, files({ a: "1" }), 0o644)).toBe(false);
    expect(readlinkSync(join(dir, "..data"))).toBe(before);
  });

  test.each([
    ["content", { a: "2" }, 0o644],
    ["mode", { a: "1" }, 0o600],
    ["a new key", { a: "1", b: "x" }, 0o644],
    ["a removed key", {}, 0o644],
  ])("a change of %s swaps ..data and leaves no stale entry", (_what, next, mode) => {
    const dir = freshDir();
    writeVolumeAtomically(dir, files({ a: "1", gone: "z" }), 0o644);
    const before = readlinkSync(join(dir, "..data"));
    expect(writeVolumeAtomically(dir, files(next), mode)).toBe(true);
    const after = readlinkSync(join(dir, "..data"));
    expect(after).not.toBe(before);
    expect(hidden(dir)).toEqual([after, "..data"].sort());
    expect(readdirSync(dir).filter((e) => !e.startsWith("..")).sort()).toEqual(Object.keys(next).sort());
    for (const [k, v] of Object.entries(next)) expect(read(dir, k)).toBe(v);
  });

  test("files an earlier agent wrote in place give way to the links", () => {
    const dir = freshDir();
    mkdirSync(join(dir, "nested"), { recursive: true });
    writeFileSync(join(dir, "a"), "old");
    writeFileSync(join(dir, "nested/x"), "old");
    writeFileSync(join(dir, "stray"), "old");
    writeVolumeAtomically(dir, files({ a: "new", "nested/x": "new" }), 0o644);
    expect(lstatSync(join(dir, "a")).isSymbolicLink()).toBe(true);
    expect(read(dir, "a")).toBe("new");
    expect(read(dir, "nested/x")).toBe("new");
    expect(readdirSync(dir).filter((e) => !e.startsWith("..")).sort()).toEqual(["a", "nested"]);
  });

  test.each(["", "/abs", "../up", "a/../../b", "..hidden", "..data"])("rejects the path %j", (path) => {
    expect(() => validateVolumePath(path)).toThrow(VolumePathError);
    expect(() => writeVolumeAtomically(freshDir(), files({ [path]: "x" }), 0o644)).toThrow(VolumePathError);
  });

  test.each(["a", "a/b", "a..b", "a/.b"])("accepts the path %j", (path) => {
    expect(() => validateVolumePath(path)).not.toThrow();
  });
});
