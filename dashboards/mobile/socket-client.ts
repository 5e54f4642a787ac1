/**
 * The Socket.IO client, built on its own to /mobile/socket.js: the page loads it only when a
 * stop is shown (live.ts), so the first load does not carry it.
 */
export { io } from 'socket.io-client';
