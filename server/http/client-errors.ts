// Requests Node's HTTP parser refuses before the app sees them (headers over 16 KiB, malformed request lines)
// still get our JSON error format instead of Node's bare status line.
import type { Server } from 'node:http';
import type { Socket } from 'node:net';

const REFUSALS: Record<string, { status: number; reason: string; code: string; message: string }> = {
  HPE_HEADER_OVERFLOW: { status: 431, reason: 'Request Header Fields Too Large', code: 'HEADERS_TOO_LARGE', message: 'The request headers are larger than the 16 KiB allowed' },
  ERR_HTTP_REQUEST_TIMEOUT: { status: 408, reason: 'Request Timeout', code: 'REQUEST_TIMEOUT', message: 'The request took too long to arrive' },
  HPE_URI_TOO_LONG: { status: 414, reason: 'URI Too Long', code: 'URI_TOO_LONG', message: 'The request URL is too long' },
};
const MALFORMED = { status: 400, reason: 'Bad Request', code: 'INVALID_REQUEST', message: 'The request is not valid HTTP' };

function answer(socket: Socket, refusal: typeof MALFORMED) {
  const body = JSON.stringify({ error: { code: refusal.code, message: refusal.message } });
  socket.end(
    `HTTP/1.1 ${refusal.status} ${refusal.reason}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
  );
}

export function answerClientErrorsAsJson(server: Server) {
  server.on('clientError', (err: NodeJS.ErrnoException, socket: Socket) => {
    // A reset connection has nobody left to answer.
    if (err.code === 'ECONNRESET' || !socket.writable) {
      socket.destroy();
      return;
    }
    answer(socket, REFUSALS[err.code ?? ''] ?? MALFORMED);
  });
}
