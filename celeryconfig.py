"""Celery configuration, as ops read it. Every value comes from `harvester.core.settings` (HARVESTER_* env)."""

from harvester.catalog import check_overrides
from harvester.core.settings import SettingsError, get_settings
from harvester.pipeline.schedule import beat_schedule
from harvester.worker.routing import TASK_QUEUES

_settings = get_settings()
check_overrides(_settings)  # an unknown endpoint in HARVESTER_CADENCES stops every process at start, not each dispatch
if not _settings.broker_url:
    raise SettingsError(
        "HARVESTER_BROKER_URL is not set; point it at Redis (redis://host:6379/0), or run "
        "`harvester demo`, which starts an embedded one"
    )

broker_url = _settings.broker_url
broker_connection_retry_on_startup = True
# Countdowns stay under `max_countdown`, far below this, so a waiting task is never redelivered twice.
broker_transport_options = {"visibility_timeout": _settings.visibility_timeout}

imports = ("harvester.worker.tasks",)
task_queues = TASK_QUEUES
task_default_queue = "control"
task_routes = ("harvester.worker.routing.route",)

# A killed worker's task is redelivered; safe because every step is idempotent.
task_acks_late = True
task_reject_on_worker_lost = True
worker_prefetch_multiplier = 1
task_ignore_result = True
result_expires = None  # no results kept: no daily `celery.backend_cleanup` in beat
task_serializer = "json"
accept_content = ["json"]

# Flower sees every task and its (token-free) arguments, from the worker's events; a task-sent
# event for every wake-up would cost one more message per API request and show Flower nothing new.
worker_send_task_events = True
worker_consumer = "harvester.worker.consumer:Consumer"  # those events sent in batches, ten times a second

worker_hijack_root_logger = False
beat_schedule = beat_schedule(_settings)
# Beat's longest sleep (Celery's default 300 s), scaled: a simulated calendar's crontabs fire on time.
beat_max_loop_interval = max(1.0, _settings.scaled(300))
timezone = "Europe/Moscow"
enable_utc = True
