// Image references as containerd's CRI normalises them: "busybox" is
// docker.io/library/busybox:latest, "local/x:1" is docker.io/local/x:1.

/** The fully qualified form of an image reference (domain, path, tag or digest). */
export function normalizeImageName(ref: string): string {
  let name = ref;
  const slash = name.indexOf("/");
  const first = slash < 0 ? "" : name.slice(0, slash);
  const hasDomain = slash >= 0 && (first.includes(".") || first.includes(":") || first === "localhost");
  if (!hasDomain) name = slash < 0 ? `docker.io/library/${name}` : `docker.io/${name}`;
  const lastSlash = name.lastIndexOf("/");
  const tail = name.slice(lastSlash + 1);
  if (!tail.includes(":") && !tail.includes("@")) name += ":latest";
  return name;
}

/** The tag part of a normalised reference ("latest" for "x"), or "" for digest references. */
export function imageTagOf(ref: string): string {
  const normalized = normalizeImageName(ref);
  const tail = normalized.slice(normalized.lastIndexOf("/") + 1);
  if (tail.includes("@")) return "";
  return tail.slice(tail.indexOf(":") + 1);
}
