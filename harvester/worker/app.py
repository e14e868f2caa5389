"""The Celery application; its configuration is the top-level `celeryconfig.py`."""

from celery import Celery

from harvester.worker import signals

app = Celery("harvester")
app.config_from_object("celeryconfig")
signals.connect()
