/**
 * A minimal Server-Sent Events reader (the subset chat-completion streams use): `data:` fields joined per event,
 * events ended by a blank line, comments (`:`) and other fields ignored. Each event carries the 1-based body line of
 * its first `data:` line so that a malformed payload can be named.
 */

/** One SSE event's data and the body line where it starts. */
export interface SseEvent {
  data: string;
  line: number;
}

/**
 * Yields the events of a byte stream. `onChunk` runs on every chunk read (the provider restarts its idle timer).
 * A final event not followed by a blank line is still yielded when its `data:` lines were complete (ended by a
 * newline); a half-received last line is dropped, so a cut stream never yields a partial payload.
 */
export async function* readSseEvents(body: ReadableStream<Uint8Array>, onChunk: () => void = () => {}): AsyncGenerator<SseEvent> {
  const reader = body.getReader();
  const decoder = new TextDecoder();
  let buffer = '';
  let lineNumber = 0;
  let data: string[] = [];
  let firstLine = 0;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      onChunk();
      buffer += decoder.decode(value, { stream: true });
      let newline: number;
      while ((newline = buffer.indexOf('\n')) >= 0) {
        let line = buffer.slice(0, newline);
        buffer = buffer.slice(newline + 1);
        if (line.endsWith('\r')) line = line.slice(0, -1);
        lineNumber++;
        if (line === '') {
          if (data.length > 0) {
            yield { data: data.join('\n'), line: firstLine };
            data = [];
          }
          continue;
        }
        if (line.startsWith(':')) continue;
        const colon = line.indexOf(':');
        const field = colon < 0 ? line : line.slice(0, colon);
        let value = colon < 0 ? '' : line.slice(colon + 1);
        if (value.startsWith(' ')) value = value.slice(1);
        if (field === 'data') {
          if (data.length === 0) firstLine = lineNumber;
          data.push(value);
        }
      }
    }
    if (data.length > 0) yield { data: data.join('\n'), line: firstLine };
  } finally {
    reader.cancel().catch(() => {});
    reader.releaseLock();
  }
}
