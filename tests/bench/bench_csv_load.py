"""Loading a 1,000,000-row DETAIL_HISTORY_REPORT into PostgreSQL: the harvester's loader vs plain COPY.

Both runs load the same ZIP'd CSV into a table of the same shape, each in a fresh process
so peak RSS is its own. The harvester's run is the whole production path: open the ZIP,
plan the header, replace the window (delete + COPY, one transaction). The baseline is a
bare psycopg COPY of the unzipped CSV into a copy of the table whose account_id has a default.

    python tests/bench/bench_csv_load.py [--rows 1000000]

Uses HARVESTER_TEST_DATABASE_URL (default postgresql+psycopg://postgres@127.0.0.1:5432/test).
Goals: at least 0.5 of COPY's rate, peak RSS at most 200 MB.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

HEADER = ("nmID,dt,openCardCount,addToCartCount,ordersCount,ordersSumRub,buyoutsCount,buyoutsSumRub,"
          "cancelCount,cancelSumRub,addToCartConversion,cartToOrderConversion,buyoutPercent,addToWishlist,currency")
START = dt.date(2025, 1, 1)
DAYS = 100


def make_report(path: Path, rows: int) -> None:
    """A report ZIP like WB's: BOM, header, one row per product per day."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive, archive.open("report.csv", "w") as out:
        out.write(("\ufeff" + HEADER + "\n").encode())
        for i in range(rows):
            nm, day = 10_000_000 + i // DAYS, START + dt.timedelta(days=i % DAYS)
            out.write(f"{nm},{day},{i % 97},{i % 31},{i % 13},{i % 13 * 990}.5,{i % 11},{i % 11 * 990},"
                      f"{i % 3},{i % 3 * 990},{i % 50}.25,{i % 40}.5,{i % 100},{i % 7},RUB\n".encode())


def run_harvester(url: str, path: Path, fresh: bool) -> dict:
    """The production path; `fresh` starts from an empty table, else the window's rows are replaced."""
    from sqlmodel import Session, SQLModel

    import harvester.models  # noqa: F401
    from harvester.models.wb_csv import WbFunnelDetailHistory
    from harvester.pipeline.parse import read_report
    from harvester.pipeline.store.db import make_engine
    from harvester.pipeline.store.load import load_csv_report

    engine = make_engine(url)
    table = WbFunnelDetailHistory.__table__  # type: ignore[attr-defined]
    if fresh:
        table.drop(engine, checkfirst=True)
    SQLModel.metadata.create_all(engine)
    context = {"account_id": "bench", "window_start": START, "window_end": START + dt.timedelta(days=DAYS - 1)}
    started = time.perf_counter()
    with Session(engine) as session:
        rows = load_csv_report(session, table, read_report(path, table, "bench"), context, "date")
        session.commit()
    return {"rows": rows, "seconds": time.perf_counter() - started}


def run_copy(url: str, path: Path) -> dict:
    import psycopg

    dsn = url.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(dsn) as conn:
        conn.execute("DROP TABLE IF EXISTS bench_plain_copy")
        conn.execute("CREATE TABLE bench_plain_copy (LIKE wb_csv_detail_history INCLUDING ALL)")
        conn.execute("ALTER TABLE bench_plain_copy ALTER COLUMN account_id SET DEFAULT 'bench'")
        conn.commit()
        from harvester.models.wb_csv import WbFunnelDetailHistory

        by_source = {c.info.get("src"): c.name for c in WbFunnelDetailHistory.__table__.columns}  # type: ignore[attr-defined]
        names = ",".join(by_source[h] for h in HEADER.split(","))
        started = time.perf_counter()
        with zipfile.ZipFile(path) as archive, archive.open("report.csv") as src, conn.cursor() as cur:
            with cur.copy(f"COPY bench_plain_copy ({names}) FROM STDIN (FORMAT csv, HEADER true)") as copy:
                while chunk := src.read(1 << 20):
                    copy.write(chunk.replace(b"\xef\xbb\xbf", b"", 1) if chunk.startswith(b"\xef\xbb\xbf") else chunk)
            rows = cur.rowcount
        conn.commit()
        seconds = time.perf_counter() - started
        conn.execute("DROP TABLE bench_plain_copy")
        conn.commit()
    return {"rows": rows, "seconds": seconds}


def _child(mode: str, url: str, path: str) -> None:
    result = run_copy(url, Path(path)) if mode == "copy" else run_harvester(url, Path(path), fresh=mode == "harvester")
    result["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps(result))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--child", nargs=3, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        _child(*args.child)
        return
    url = os.environ.get("HARVESTER_TEST_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "report.zip"
        make_report(path, args.rows)
        results = {}
        for mode in ("harvester", "copy", "reload"):
            out = subprocess.run([sys.executable, __file__, "--child", mode, url, str(path)],
                                 check=True, capture_output=True, text=True).stdout
            results[mode] = json.loads(out.strip().splitlines()[-1])
    names = {"harvester": "harvester, empty table", "copy": "plain COPY",
             "reload": "harvester, replacing the same window"}
    for mode, r in results.items():
        print(f"{names[mode]:38}: {r['rows']:,} rows in {r['seconds']:.2f}s = {r['rows'] / r['seconds']:,.0f} rows/s, "
              f"peak RSS {r['peak_rss_mb']:.0f} MB")
    ratio = ((results["harvester"]["rows"] / results["harvester"]["seconds"])
             / (results["copy"]["rows"] / results["copy"]["seconds"]))
    print(f"harvester / plain COPY rate (empty table): {ratio:.2f}")


if __name__ == "__main__":
    main()
