// Requests Node's HTTP parser refuses before the app sees them (headers over 16 KiB, malformed request lines)
// still get our JSON error format instead of Node's bare status line.
import { STATUS_CODES, type Server } from 'node:http';
import type { Socket } from 'node:net';
import { ERRORS, statusOf, type ApiErrorCode } from '../../media/errors.ts';

/** Node's error code → ours (its status and message from the catalogue). */
const REFUSALS: Record<string, ApiErrorCode> = {
  HPE_HEADER_OVERFLOW: 'HEADERS_TOO_LARGE',
  ERR_HTTP_REQUEST_TIMEOUT: 'REQUEST_TIMEOUT',
  HPE_URI_TOO_LONG: 'URI_TOO_LONG',
};

function answer(socket: Socket, code: ApiErrorCode, message: string = ERRORS[code].message) {
  const status = statusOf(code);
  const body = JSON.stringify({ error: { code, message } });
  socket.end(
    `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
  );
}

export function answerClientErrorsAsJson(server: Server) {
  server.on('clientError', (err: NodeJS.ErrnoException, socket: Socket) => {
    // A reset connection has nobody left to answer.
    if (err.code === 'ECONNRESET' || !socket.writable) {
      socket.destroy();
      return;
    }
    const refusal = REFUSALS[err.code ?? ''];
    if (refusal) answer(socket, refusal);
    else answer(socket, 'INVALID_REQUEST', 'The request is not valid HTTP');
  });
}
