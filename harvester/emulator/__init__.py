"""An HTTP emulator of the Wildberries seller API for tests, benchmarks and the demo (the
harvester has no internet). Routes, limits, error bodies and data shapes follow
shared/reference/wb-api.md and WB's 2025-12 OpenAPI files; data is synthetic and seeded."""

from harvester.emulator.faults import Faults
from harvester.emulator.server import Emulator, serve
from harvester.emulator.tokens import make_wb_token, seller_id

__all__ = ["Emulator", "Faults", "make_wb_token", "seller_id", "serve"]
