// The order Kubernetes sorts strings in: Go's `<` on strings (strings.Compare), byte by byte, so
// "B" comes before "a" and no locale is consulted. JavaScript's localeCompare sorts by the ICU
// collator instead ("a" before "B"), which differs from every list, message and rule order a
// Go component would produce, and loads ICU's collation data into the process on first use.
// Comparing UTF-16 code units is byte order for every string without characters above U+FFFF
// next to ones in U+E000–U+FFFF, which Kubernetes names and keys (ASCII) never hold.

/** -1, 0 or 1, as Go's strings.Compare. */
export const compareStrings = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);
