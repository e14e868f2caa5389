"""harvester: Wildberries and Yandex Market seller analytics, harvested by Celery into SQL.

The public surface is small on purpose: the catalog, the settings and the emulator. Workers
run `harvester.worker.app`; everything else is reached through the `harvester` command.
"""

__version__ = "0.1.0"

__all__ = ["__version__"]
