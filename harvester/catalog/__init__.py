"""The catalog: every harvestable endpoint, found by walking this package's modules.

There is no list to keep in step: an `Endpoint` defined at module level in any module of
this package (`wb.py`, `wb_funnel.py`, `ym.py`, ...) is in the catalog.
"""

from __future__ import annotations

import importlib
import pkgutil
from dataclasses import replace
from functools import lru_cache

from sqlalchemy import Table

from harvester.catalog.model import CADENCE_NAMES, PRIORITIES, Endpoint, Ids
from harvester.core.settings import Settings, SettingsError
from harvester.models.tables import table_of


@lru_cache(maxsize=1)
def endpoints() -> dict[str, Endpoint]:
    """Every endpoint by name."""
    found: dict[str, Endpoint] = {}
    for info in pkgutil.iter_modules(__path__):
        module = importlib.import_module(f"{__name__}.{info.name}")
        for value in vars(module).values():
            if isinstance(value, Endpoint):
                if found.get(value.name, value) is not value:
                    raise ValueError(f"two catalog entries are named {value.name}")
                found[value.name] = value
    return found


def get_endpoint(name: str) -> Endpoint:
    """One endpoint by name; a clear error naming the known ones otherwise."""
    try:
        return endpoints()[name]
    except KeyError:
        raise KeyError(f"unknown endpoint {name!r}; known: {', '.join(sorted(endpoints()))}") from None


def source_table(ids: Ids) -> Table:
    """The table a dependent fetch reads its ids from: its source's main table or a named child table."""
    model = get_endpoint(ids.source).model
    return model.metadata.tables[ids.table] if ids.table else table_of(model)


def endpoints_for(marketplace: str, generation: str, settings: Settings | None = None) -> list[Endpoint]:
    """The endpoints an account of this marketplace and API generation harvests (tuned by `settings`)."""
    return [
        tuned(e, settings) if settings else e for e in endpoints().values()
        if e.marketplace == marketplace and e.generation in ("any", generation)
    ]


def check_overrides(settings: Settings) -> None:
    """Refuse cadence, lookback or priority overrides that name no endpoint, cadence or priority."""
    known = endpoints()
    for name in [*settings.cadences, *settings.lookback_days, *settings.priorities]:
        if name not in known:
            raise SettingsError(f"HARVESTER_CADENCES / HARVESTER_LOOKBACK_DAYS / HARVESTER_PRIORITIES name an "
                                f"unknown endpoint {name!r}; `harvester catalog` lists them")
    for name, cadence in settings.cadences.items():
        if cadence not in CADENCE_NAMES:
            raise SettingsError(f"HARVESTER_CADENCES: {name} = {cadence!r} is not one of {', '.join(CADENCE_NAMES)}")
    for name, priority in settings.priorities.items():
        if not 0 <= priority < PRIORITIES:
            raise SettingsError(f"HARVESTER_PRIORITIES: {name} = {priority} is not within 0-{PRIORITIES - 1}")


def tuned(endpoint: Endpoint, settings: Settings) -> Endpoint:
    """The endpoint with this deployment's cadence, lookback and priority overrides."""
    cadence = settings.cadences.get(endpoint.name, endpoint.cadence)
    lookback = settings.lookback_days.get(endpoint.name, endpoint.window.lookback_days)
    priority = settings.priorities.get(endpoint.name, endpoint.priority)
    if (cadence, lookback, priority) == (endpoint.cadence, endpoint.window.lookback_days, endpoint.priority):
        return endpoint
    return replace(endpoint, cadence=cadence, window=replace(endpoint.window, lookback_days=lookback),
                   priority=priority)
