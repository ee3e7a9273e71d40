import type { IncomingMessage } from 'node:http';
import { passerelleError } from '../../common/errors.ts';

/**
 * Reads a request body, refusing it as soon as it passes `maxBytes` (the Content-Length header is
 * checked first, then the bytes actually received, since a chunked body announces no length).
 */
export async function readBody(req: IncomingMessage, maxBytes: number): Promise<string> {
  const declared = Number(req.headers['content-length'] ?? 0);
  if (declared > maxBytes) throw tooLarge(maxBytes);
  const chunks: Buffer[] = [];
  let received = 0;
  for await (const chunk of req) {
    received += (chunk as Buffer).length;
    if (received > maxBytes) throw tooLarge(maxBytes);
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

function tooLarge(maxBytes: number) {
  return passerelleError('PAYLOAD_TOO_LARGE', `Request body is larger than ${maxBytes} bytes.`, { limit: maxBytes });
}
