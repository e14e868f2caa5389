"""The Celery application; its configuration is the top-level `celeryconfig.py`."""

from celery import Celery

app = Celery("harvester")
app.config_from_object("celeryconfig")
