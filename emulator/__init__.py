"""An HTTP emulator of the Wildberries seller API and the Yandex Market partner API for tests,
benchmarks and the demo (the harvester has no internet). Routes, limits, error bodies and data
shapes follow shared/reference/wb-api.md, yandex-market-api.md and the marketplaces' OpenAPI
files; data is synthetic and seeded.

Layout: `server` (the HTTP server, which joins every route table), `common` (router, clock,
faults, parameter helpers, seeded randomness, control routes, the `Host` protocol handlers are
typed against), and per marketplace `wb` / `ym`: auth, the request pipeline (`http`), `host`,
then `routes`, `data` (the ground truth tests import) and `state`. The emulator imports nothing
of the harvester."""

from emulator.common.faults import Faults
from emulator.server import Emulator, serve
from emulator.wb.auth import make_wb_token, seller_id
from emulator.wb.data.seller import big_seller
from emulator.ym.auth import make_ym_key, ym_business_id, ym_campaign_ids

__all__ = [
    "Emulator", "Faults", "big_seller", "make_wb_token", "make_ym_key", "seller_id", "serve", "ym_business_id",
    "ym_campaign_ids",
]
