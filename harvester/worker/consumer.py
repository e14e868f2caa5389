"""The worker's consumer: Celery's own, with the task events Flower reads sent in batches.

Celery buffers a worker's task events (received, started, succeeded or failed) and sends what
the buffer holds at the next turn of its event loop. A task that arrives alone, as a wake-up
released at its token's time does, so paid for a publish of each of its events (90 for 30
no-op tasks sent 20 ms apart). Here they wait up to `EVENT_BATCH_SECONDS` to leave together;
Flower shows a task that much later.
"""

from __future__ import annotations

import time

from celery.worker.consumer import Consumer as CeleryConsumer

EVENT_BATCH_SECONDS = 0.1


class Consumer(CeleryConsumer):
    _flush_at = 0.0  # when the batch now waiting is sent (monotonic seconds); past: none is

    def on_send_event_buffered(self) -> None:
        """One send per batch, not per event. A batch whose timer was lost (the loop restarted
        with a new connection) is past its time, so the next event starts another."""
        now = time.monotonic()
        if self.hub is not None and now >= self._flush_at:
            self._flush_at = now + EVENT_BATCH_SECONDS
            self.hub.call_later(EVENT_BATCH_SECONDS, self._flush_events)
