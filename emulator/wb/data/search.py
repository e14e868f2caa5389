"""Search-queries report data (wb-api.md §6) as pure functions of (seed, seller sid, request body).

Built on the rows of the SEARCH_QUERIES_PREMIUM_REPORT_* CSV files (csv_rows), so a seller's
JSON report and CSV report agree: the same products found in search, the same positions,
texts and conversions for the same period. Tests import these functions as ground truth.

Emulator choices the docs leave open (UNVERIFIED): `dynamics` is sent only when the request
has a `pastPeriod` (there is nothing to compare with otherwise); a group row of the main page
and of /table/groups carries its first GROUP_ITEMS products, /table/details pages through all;
emulated sellers have no tags (tagId 0, tagName "").
"""

from __future__ import annotations

import json
import statistics
from datetime import date

from emulator.common.seeded import keyed_rng
from emulator.wb.data import csv_rows, seller
from emulator.wb.data.csv_rows import bucket, combine, days, period

# JSON metric name -> the CSV column holding it
METRICS = {
    "avgPosition": "AveragePosition",
    "openCard": "OpenCard",
    "addToCart": "AddToCart",
    "openToCart": "OpenToCart",
    "orders": "Orders",
    "cartToOrder": "CartToOrder",
    "visibility": "Visibility",
}
PERCENTILED = ("openCard", "addToCart", "openToCart", "orders", "cartToOrder")
CLUSTERS = ("firstHundred", "secondHundred", "below")
GROUP_ITEMS = 5
ALL_TEXTS = 100  # more than any product has (csv_rows._texts): every text of a product


def metric(current: int, past: int | None) -> dict:
    """{current, dynamics}: dynamics is the % change against the past period, if one was asked."""
    if past is None:
        return {"current": current}
    return {"current": current, "dynamics": round(100 * (current - past) / past) if past else 0}


def _metrics(row: dict) -> dict:
    return {name: metric(row[column], row[f"{column}Past"]) for name, column in METRICS.items()}


def _card(row: dict) -> dict:
    """Card fields shared by product and search-text items (an unrated card has rating 0)."""
    return {
        "vendorCode": row["VendorCode"],
        "name": row["Name"],
        "subjectName": row["SubjectName"],
        "brandName": row["BrandName"],
        "isCardRated": row["IsRated"],
        "rating": float(row["Rating"]) if row["IsRated"] else 0.0,
        "feedbackRating": float(row["FeedbackRating"]),
        "price": {"minPrice": row["MinPrice"], "maxPrice": row["MaxPrice"]},
    }


def products(seed: int, sid: str, body: dict, rows: list[dict] | None = None) -> list[dict]:
    """TableProductItem of every product found in search, filtered and sorted as the body asks
    (/table/details before paging), from its CSV product `rows` if they are made already.
    isSubstitutedSKU only when the body has an include flag."""
    flagged = "includeSubstitutedSKUs" in body or "includeSearchTexts" in body
    catalogue = seller.products(seed, sid)
    items = []
    for row in csv_rows.product_rows(seed, sid, body) if rows is None else rows:
        item = {"nmId": row["NmID"], **_card(row), "mainPhoto": catalogue.by_nm(row["NmID"])["mainPhoto"]}
        item["isAdvertised"] = row["IsAdvertised"]
        if flagged:
            item["isSubstitutedSKU"] = row["IsSubstitutedSKU"]
        items.append(item | _metrics(row))
    return items


def groups(seed: int, sid: str, body: dict, rows: list[dict] | None = None) -> list[dict]:
    """TableGroupItem per (subject, brand), sorted as the body asks, each with its first products
    (see `products` for `rows`)."""
    members: dict[tuple[str, str], list[dict]] = {}
    for item in products(seed, sid, body, rows):
        members.setdefault((item["subjectName"], item["brandName"]), []).append(item)
    return [
        {
            "subjectName": row["SubjectName"],
            "subjectId": row["SubjectID"],
            "brandName": row["BrandName"],
            "tagName": "",
            "tagId": row["TagID"],
            "metrics": _metrics(row),
            "items": members[(row["SubjectName"], row["BrandName"])][:GROUP_ITEMS],
        }
        for row in csv_rows.group_rows(seed, sid, body)
    ]


def _one_day(body: dict, day: date) -> dict:
    """The body narrowed to one day, no comparison, every position."""
    narrowed = {k: v for k, v in body.items() if k != "pastPeriod"}
    return narrowed | {"currentPeriod": {"start": day.isoformat(), "end": day.isoformat()}, "positionCluster": "all"}


def _summary(rows: list[dict]) -> dict:
    """Shop-level figures of a list of found products (CSV rows)."""
    if not rows:
        return {"average": 0, "median": 0, "visibility": 0, "open": 0, "advertised": 0, "total": 0}
    total = combine(rows)
    clusters = {
        name: sum(low <= r["AveragePosition"] <= high for r in rows)
        for name, (low, high) in csv_rows.CLUSTERS.items()
        if name in CLUSTERS
    }
    return {
        "average": total["AveragePosition"],
        "median": statistics.median_low(r["AveragePosition"] for r in rows),
        "visibility": total["Visibility"],
        "open": total["OpenCard"],
        "advertised": sum(r["IsAdvertised"] for r in rows),
        "total": len(rows),
        **clusters,
    }


def _supplier_rating(seed: int, sid: str, end: date) -> float:
    return round(keyed_rng(seed, sid, "supplier-rating", end).uniform(4.0, 5.0), 1)


def _by(level: str, daily: list[tuple[date, dict]], start: date) -> list[dict]:
    """Visibility (mean) and card opens (sum) per week or month, dated by the bucket's first day."""
    buckets: dict[date, list[dict]] = {}
    for day, s in daily:
        buckets.setdefault(bucket(day, level, start), []).append(s)
    return [
        {"dt": dt.isoformat(), "visibility": round(statistics.mean(s["visibility"] for s in found)),
         "open": sum(s["open"] for s in found)}
        for dt, found in sorted(buckets.items())
    ]


def main_page(seed: int, sid: str, body: dict) -> dict:
    """The `data` of /report: shop figures over every position, then the groups table
    (positionCluster, orderBy, limit and offset apply to the table only)."""
    start, end = period(body)
    made: dict[str, list[dict]] = {}

    def rows(params: dict) -> list[dict]:
        """The CSV product rows of `params`, made once per answer: for a one-day period the shop
        figures, the day's and the groups' are the same rows (a whole catalogue's, each time)."""
        key = json.dumps(params, sort_keys=True)
        if key not in made:
            made[key] = csv_rows.product_rows(seed, sid, params)
        return made[key]

    everything = body | {"positionCluster": "all"}
    now = _summary(rows(everything))
    past: dict | None = None
    if body.get("pastPeriod"):
        past_body = {k: v for k, v in everything.items() if k != "pastPeriod"} | {"currentPeriod": body["pastPeriod"]}
        past = _summary(rows(past_body))

    def figure(key: str) -> dict:
        return metric(now[key], past[key] if past else None)

    daily = [(day, _summary(rows(_one_day(body, day)))) for day in days(start, end)]
    rating = {"current": _supplier_rating(seed, sid, end)}
    if body.get("pastPeriod"):
        before = _supplier_rating(seed, sid, period(body, "pastPeriod")[1])
        rating["dynamics"] = round(100 * (rating["current"] - before) / before, 1)
    offset = body["offset"]
    return {
        "commonInfo": {
            "supplierRating": rating,
            "advertisedProducts": figure("advertised"),
            "totalProducts": now["total"],
        },
        "positionInfo": {
            "average": figure("average"),
            "median": figure("median"),
            "chartItems": [{"dt": d.isoformat(), "average": s["average"], "median": s["median"]} for d, s in daily],
            "clusters": {name: metric(now.get(name, 0), past.get(name, 0) if past else None) for name in CLUSTERS},
        },
        "visibilityInfo": {
            "visibility": figure("visibility"),
            "openCard": figure("open"),
            "byDay": [{"dt": d.isoformat(), "visibility": s["visibility"], "open": s["open"]} for d, s in daily],
            "byWeek": _by("week", daily, start),
            "byMonth": _by("month", daily, start),
        },
        "groups": groups(seed, sid, body, rows(body))[offset : offset + body["limit"]],
    }


def search_texts(seed: int, sid: str, body: dict) -> list[dict]:
    """TableSearchTextItem: each product's top `limit` texts by topOrderBy, sorted by orderBy."""
    span_days = (period(body)[1] - period(body)[0]).days + 1
    items = []
    for row in csv_rows.text_rows(seed, sid, body):
        item = {"text": row["Text"], "nmId": row["NmID"], **_card(row)}
        item["frequency"] = metric(row["Frequency"], row["FrequencyPast"])
        item["weekFrequency"] = round(row["Frequency"] * 7 / span_days)
        item["medianPosition"] = metric(row["MedianPosition"], row["MedianPositionPast"])
        item |= _metrics(row)
        for name in PERCENTILED:
            item[name]["percentile"] = row[f"{METRICS[name]}Percentile"]
        items.append(item)
    return items


def _texts_of(seed: int, sid: str, nm_id: int, start: date, end: date) -> dict[str, dict]:
    """Every search text of one product over a period: text -> its CSV row."""
    params = {"currentPeriod": {"start": start.isoformat(), "end": end.isoformat()}, "nmIds": [nm_id],
              "topOrderBy": "openCard", "limit": ALL_TEXTS}
    return {row["Text"]: row for row in csv_rows.text_rows(seed, sid, params)}


def product_orders(seed: int, sid: str, body: dict) -> dict:
    """The `data` of /product/orders: per text and day, the position and orders the one-day
    search-texts report shows for it; `total` combines the asked texts per day."""
    start, end = period(body, "period")
    texts = list(dict.fromkeys(body["searchTexts"]))
    whole = _texts_of(seed, sid, body["nmId"], start, end)
    by_day = [(day, _texts_of(seed, sid, body["nmId"], day, day)) for day in days(start, end)]
    items = [
        {
            "text": text,
            "frequency": whole[text]["Frequency"] if text in whole else 0,
            "dateItems": [
                {"dt": day.isoformat(), "avgPosition": rows[text]["AveragePosition"], "orders": rows[text]["Orders"]}
                for day, rows in by_day
                if text in rows
            ],
        }
        for text in texts
    ]
    total = []
    for day, rows in by_day:
        found = [rows[t] for t in texts if t in rows]
        if found:
            both = combine(found)
            total.append({"dt": day.isoformat(), "avgPosition": both["AveragePosition"], "orders": both["Orders"]})
    return {"total": total, "items": items}
