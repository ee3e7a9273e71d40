/**
 * Measures how large a result would be as JSON, without building the JSON, and stops counting
 * past a limit: the backstop behind the cost estimate (MAX_RESPONSE_BYTES) must not itself
 * allocate a copy of an answer that is too large.
 *
 * Where it comes from: issue 7's "backstop that does not trust the estimate" — Apollo Router's
 * `limits.http_max_response_size`-style caps and Hive Gateway's response-size limits. The count is
 * the UTF-8 size of JSON.stringify's output (escapes counted as one byte less than they take, so a
 * string full of quotes may pass a little over the limit; never a lot).
 */

/** Whether `value` serialised as JSON is larger than `limit` bytes. */
export function jsonSizeExceeds(value: unknown, limit: number): boolean {
  let size = 0;
  // An explicit stack: deeply nested answers must not overflow the call stack.
  const stack: unknown[] = [value];
  while (stack.length > 0) {
    const current = stack.pop();
    if (current === null || current === undefined) size += 4;
    else if (typeof current === 'string') size += Buffer.byteLength(current) + 2;
    else if (typeof current === 'number' || typeof current === 'boolean') size += String(current).length;
    else if (Array.isArray(current)) {
      size += 2 + Math.max(0, current.length - 1);
      for (const item of current) stack.push(item);
    } else if (typeof current === 'object') {
      const entries = Object.entries(current);
      size += 2 + Math.max(0, entries.length - 1);
      for (const [key, inner] of entries) {
        size += Buffer.byteLength(key) + 3;
        stack.push(inner);
      }
    }
    if (size > limit) return true;
  }
  return false;
}

/** JSON of answers' `data`, made once by the response limit's check and reused by the respond stage. */
const serialisedData = new WeakMap<object, string>();

/**
 * Whether `data` as JSON is larger than `limit` bytes, measured on its JSON (native JSON.stringify
 * is several times faster than the walk above and the answer is serialised anyway): the text is
 * kept for `serialisedDataOf`, so an answer within the limit is serialised once in all.
 */
export function dataExceeds(data: object, limit: number): boolean {
  const json = JSON.stringify(data);
  // UTF-8 is at most 3 bytes per UTF-16 unit: most answers are decided without counting.
  if (json.length * 3 > limit && Buffer.byteLength(json) > limit) return true;
  serialisedData.set(data, json);
  return false;
}

/** The JSON `dataExceeds` made of `data`, when it made one. */
export function serialisedDataOf(data: unknown): string | undefined {
  return data !== null && typeof data === 'object' ? serialisedData.get(data) : undefined;
}
