"""The catalog: every harvestable endpoint, found by walking this package's modules.

There is no list to keep in step: an `Endpoint` defined at module level in `wb.py` or
`ym.py` is in the catalog.
"""

from __future__ import annotations

import importlib
import pkgutil
from functools import lru_cache

from harvester.catalog.model import Endpoint


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


def endpoints_for(marketplace: str, generation: str) -> list[Endpoint]:
    """The endpoints an account of this marketplace and API generation harvests."""
    return [
        e for e in endpoints().values()
        if e.marketplace == marketplace and e.generation in ("any", generation)
    ]
