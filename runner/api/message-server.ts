import type { ApiHandler } from './api-service.js';

/** A request to the runner over a message channel: one operation, answered by the same `id`. */
export interface ApiRequestMessage {
  id: number;
  op: string;
  input?: unknown;
}

/** Messages the runner sends: a call's result, or a pushed event. */
export type ApiReplyMessage =
  { id: number; result: Awaited<ReturnType<ApiHandler['call']>> } | { event: string; data: unknown };

/** A bidirectional message channel: Electron's utilityProcess port, a Node IPC channel, or JSON lines. */
export interface MessageChannelLike {
  send(message: ApiReplyMessage): void;
  onMessage(listener: (message: unknown) => void): void;
}

/**
 * Serves the API over a message channel (electron main <-> runner, the same protocol as the CLI
 * uses; docs/architecture.md): each `{id, op, input}` request gets exactly one
 * `{id, result}` reply (ApiResult: the output, or an ApiErrorOut), in completion order; every
 * API event is pushed as `{event, data}`. A message that is not a request gets a `bad-input`
 * reply when it has a numeric id, and is otherwise ignored.
 * @returns a function that stops pushing events
 */
export function serveApiOverMessages(api: ApiHandler, channel: MessageChannelLike): () => void {
  const unsubscribe = api.subscribe((event, data) => channel.send({ event, data }));
  channel.onMessage((raw) => {
    const message = raw as Partial<ApiRequestMessage> | null;
    const id = typeof message?.id === 'number' ? message.id : undefined;
    if (id === undefined) return;
    if (typeof message?.op !== 'string') {
      channel.send({
        id,
        result: { ok: false, error: { code: 'bad-input', message: 'a request needs a string "op"' } },
      });
      return;
    }
    void api.call(message.op, message.input ?? {}).then((result) => channel.send({ id, result }));
  });
  return unsubscribe;
}
