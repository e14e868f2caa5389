"""Worker plumbing: the Celery app, its tasks and queues, and the per-process runtime."""
