"""The Celery application; its configuration is the top-level `celeryconfig.py`."""

from celery import Celery

from harvester.worker import signals
from harvester.worker.releaser import Releaser

app = Celery("harvester")
app.config_from_object("celeryconfig")
app.steps["worker"].add(Releaser)
signals.connect()
