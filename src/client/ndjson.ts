// Splits a watch response body into its newline-delimited JSON values. Chunks arrive cut
// anywhere — mid-line, mid-character — so bytes are decoded as a stream and a line is parsed
// only once its newline has arrived.

export async function* ndjson(chunks: AsyncIterable<Uint8Array>): AsyncGenerator<unknown> {
  const decoder = new TextDecoder();
  let buffered = "";
  for await (const chunk of chunks) {
    buffered += decoder.decode(chunk, { stream: true });
    let newline = buffered.indexOf("\n");
    while (newline >= 0) {
      const line = buffered.slice(0, newline).trim();
      buffered = buffered.slice(newline + 1);
      if (line) yield JSON.parse(line);
      newline = buffered.indexOf("\n");
    }
  }
  // A server that closes without a final newline still meant its last value.
  const rest = (buffered + decoder.decode()).trim();
  if (rest) yield JSON.parse(rest);
}
