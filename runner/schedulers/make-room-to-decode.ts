import type { EngineView } from '../engine/scheduler.js';
import type { ArrivalOrderedSet } from './arrival-ordered-set.js';
import type { RequestDeque } from './request-deque.js';

/**
 * Makes room for the running request at `running.ids[i]` to decode one more token, by the rule
 * vLLM V0 and Sarathi-Serve share as Vidur models them: a running request may continue only
 * while at least one KV block is free (vLLM V0 `block_manager_v1.can_append_slots`); otherwise
 * the latest-arrived running request not yet scheduled (index > i) is evicted and put at the
 * front of the waiting queue, and when the request itself is the latest, it is the one evicted.
 * Source: Vidur `vllm_replica_scheduler.py` / `sarathi_replica_scheduler.py` (`_get_next_batch`,
 * the `while not self._can_allocate_request(request)` loop), commit 7d47513.
 *
 * @returns true when the request can decode now; false when it was evicted itself (it is then
 *   removed from `running`, and every later request was evicted before it)
 */
export function makeRoomToDecode(
  view: EngineView,
  running: ArrivalOrderedSet,
  i: number,
  waiting: RequestDeque,
): boolean {
  const ids = running.ids;
  const id = ids[i];
  while (view.freeBlocks() < Math.max(1, view.blocksToDecode(id))) {
    const victim = ids.length - 1 > i ? running.popLatest() : id;
    view.evict(victim);
    waiting.pushFront(victim);
    if (victim === id) {
      ids.splice(i, 1);
      return false;
    }
  }
  return true;
}
