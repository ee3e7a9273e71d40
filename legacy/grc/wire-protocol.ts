/**
 * Just enough of the PostgreSQL frontend/backend protocol (v3) for the GRC's proxy: message
 * framing in both directions, the SQL text carried by Query/Parse messages, and the two messages
 * the proxy writes itself (ErrorResponse, ReadyForQuery).
 * https://www.postgresql.org/docs/current/protocol-message-formats.html
 */

/** Codes of the untyped packets a client may send before (or instead of) its StartupMessage. */
export const SSL_REQUEST = 80877103;
export const GSSENC_REQUEST = 80877104;
export const CANCEL_REQUEST = 80877102;

/** A complete message: `type` is '' for the untyped start-up packets. */
export interface WireMessage {
  type: string;
  bytes: Buffer;
}

/**
 * Splits a byte stream into messages across TCP chunks. A frontend stream (`startup: true`) opens
 * with untyped packets (length first, no type byte: SSLRequest, CancelRequest, StartupMessage);
 * everything after the StartupMessage is typed.
 */
export class MessageReader {
  private buffer: Buffer = Buffer.alloc(0);
  private untyped: boolean;

  constructor(options: { startup: boolean }) {
    this.untyped = options.startup;
  }

  push(chunk: Buffer): WireMessage[] {
    this.buffer = this.buffer.length === 0 ? chunk : Buffer.concat([this.buffer, chunk]);
    const messages: WireMessage[] = [];
    for (;;) {
      const header = this.untyped ? 8 : 5;
      if (this.buffer.length < header) break;
      const length = this.untyped ? this.buffer.readInt32BE(0) : 1 + this.buffer.readInt32BE(1);
      if (length < header) throw new Error(`malformed PostgreSQL message (length ${length})`);
      if (this.buffer.length < length) break;
      const bytes = this.buffer.subarray(0, length);
      this.buffer = this.buffer.subarray(length);
      const message = { type: this.untyped ? '' : String.fromCharCode(bytes[0]!), bytes };
      // Protocol 3.x in the code field: this was the StartupMessage.
      if (this.untyped && startupCode(message) >>> 16 === 3) this.untyped = false;
      messages.push(message);
    }
    return messages;
  }
}

/** The request code of an untyped start-up packet (the protocol version for a StartupMessage). */
export function startupCode(message: WireMessage): number {
  return message.bytes.length >= 8 ? message.bytes.readInt32BE(4) : 0;
}

function cstring(bytes: Buffer, offset: number): [value: string, next: number] {
  const end = bytes.indexOf(0, offset);
  const stop = end === -1 ? bytes.length : end;
  return [bytes.toString('utf8', offset, stop), stop + 1];
}

/** Query ('Q'): the SQL text. */
export function querySql(message: WireMessage): string {
  return cstring(message.bytes, 5)[0];
}

/** Parse ('P'): the statement name and its SQL text. */
export function parseMessage(message: WireMessage): { statement: string; sql: string } {
  const [statement, next] = cstring(message.bytes, 5);
  return { statement, sql: cstring(message.bytes, next)[0] };
}

/** Bind ('B'): the portal it creates and the statement it binds. */
export function bindMessage(message: WireMessage): { portal: string; statement: string } {
  const [portal, next] = cstring(message.bytes, 5);
  return { portal, statement: cstring(message.bytes, next)[0] };
}

/** Execute ('E'): the portal it runs. */
export function executePortal(message: WireMessage): string {
  return cstring(message.bytes, 5)[0];
}

/** ReadyForQuery ('Z'): the transaction status, 'I' idle, 'T' in a transaction, 'E' failed one. */
export function readyStatus(message: WireMessage): string {
  return String.fromCharCode(message.bytes[5] ?? 73);
}

export function errorResponse(sqlstate: string, text: string): Buffer {
  const fields = [['S', 'ERROR'], ['V', 'ERROR'], ['C', sqlstate], ['M', text]] as const;
  const body = Buffer.concat([...fields.map(([key, value]) => Buffer.from(`${key}${value}\0`, 'utf8')), Buffer.from([0])]);
  const header = Buffer.alloc(5);
  header.write('E', 0, 'latin1');
  header.writeInt32BE(body.length + 4, 1);
  return Buffer.concat([header, body]);
}

export function readyForQuery(status: string): Buffer {
  const message = Buffer.alloc(6);
  message.write('Z', 0, 'latin1');
  message.writeInt32BE(5, 1);
  message.write(status, 5, 'latin1');
  return message;
}

/**
 * The name calls are counted under: the SQL's leading comment when it has one
 * (`/* communeStats *\/ SELECT …` → "communeStats", as query-tagging tools do), else its first
 * keyword ("SELECT", "INSERT"…).
 */
export function callLabel(sql: string): string {
  const tagged = /^\s*\/\*\s*([^*]+?)\s*\*\//.exec(sql);
  if (tagged) return tagged[1]!;
  const verb = /^\s*([A-Za-z]+)/.exec(sql);
  return verb ? verb[1]!.toUpperCase() : 'UNKNOWN';
}
