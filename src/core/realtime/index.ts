export { formatEvent, openSse, type SseCloseReason, type SseEvent, type SseOptions, type SseStream } from './sse.ts';
export { Broadcaster, wrapSocket, type ClientChannel, type ClientChannelOptions } from './ws.ts';
