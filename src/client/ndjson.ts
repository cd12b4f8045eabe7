// Splits a watch response body into its newline-delimited JSON values. Chunks arrive cut
// anywhere — mid-line, mid-character — so bytes are decoded as a stream and a line is parsed
// only once its newline has arrived. A chunk's complete lines are parsed in one pass and handed
// over together (ndjsonBatches): a busy watch (a scheduler's pods at thousands of events a second)
// then pays one await per chunk rather than one per event, and no string is re-sliced per line.

/**
 * The value of a line this process already holds (the API server's own stored object, for its
 * in-process informers), or undefined: the line is then parsed. It must only answer with a value
 * exactly equal to what JSON.parse would make of the line.
 */
export type LineInterner = (line: string) => unknown;

export async function* ndjsonBatches(chunks: AsyncIterable<Uint8Array>, intern?: LineInterner): AsyncGenerator<unknown[]> {
  const decoder = new TextDecoder();
  let rest = "";
  for await (const chunk of chunks) {
    const text = rest + decoder.decode(chunk, { stream: true });
    let start = 0;
    let newline = text.indexOf("\n");
    if (newline < 0) {
      rest = text;
      continue;
    }
    const values: unknown[] = [];
    while (newline >= 0) {
      const line = text.slice(start, newline);
      // JSON.parse allows the whitespace around a value; only blank lines are skipped.
      if (line.length > 2 || line.trim()) {
        let value: unknown;
        try {
          value = intern?.(line) ?? JSON.parse(line);
        } catch (err) {
          // The values before a malformed line still happened.
          if (values.length) yield values;
          throw err;
        }
        values.push(value);
      }
      start = newline + 1;
      newline = text.indexOf("\n", start);
    }
    rest = text.slice(start);
    if (values.length) yield values;
  }
  // A server that closes without a final newline still meant its last value.
  const last = (rest + decoder.decode()).trim();
  if (last) yield [JSON.parse(last)];
}

export async function* ndjson(chunks: AsyncIterable<Uint8Array>): AsyncGenerator<unknown> {
  for await (const values of ndjsonBatches(chunks)) yield* values;
}
