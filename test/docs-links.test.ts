// The README and docs/ are read by people who cloned the repository, nothing more: every relative
// link must name a file that is in it (a link out of the tree, like ../shared/, is dead for them).
import { expect, test } from "bun:test";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";

const ROOT = resolve(import.meta.dir, "..");
const DOCS = ["README.md", ...readdirSync(join(ROOT, "docs")).filter((f) => f.endsWith(".md")).map((f) => `docs/${f}`)];

/** Relative link targets of a markdown text, without their #fragment. */
function relativeLinks(markdown: string): string[] {
  return [...markdown.matchAll(/\]\(([^)\s]+)\)/g)]
    .map((m) => m[1]!)
    .filter((target) => !/^[a-z]+:/i.test(target) && !target.startsWith("#"))
    .map((target) => target.split("#")[0]!);
}

test.each(DOCS)("%s links only files inside the repository", (doc) => {
  const broken = relativeLinks(readFileSync(join(ROOT, doc), "utf8")).filter((target) => {
    const file = resolve(dirname(join(ROOT, doc)), target);
    return relative(ROOT, file).startsWith("..") || !existsSync(file);
  });
  expect(broken).toEqual([]);
});

test("the README links the architecture document", () => {
  expect(relativeLinks(readFileSync(join(ROOT, "README.md"), "utf8"))).toContain("docs/architecture.md");
});
