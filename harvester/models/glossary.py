"""The analysts' vocabulary: one column name per concept, in every table of both marketplaces.

Sources spell one figure many ways (`ordersCount`, `orders`, `OrdersCount`, `orders_count`);
a table keeps the source's field in its column's `src`, and names the column by the term. A
term's `spellings` are the names it must never go by; `tests/test_glossary.py` fails on any
column so named, with `_past` (the previous period of a search report) or `_percentile`
(the share of competitors below) after it as well. `docs/glossary.md` is `markdown()`.
"""

from __future__ import annotations

from dataclasses import dataclass

SUFFIXES = ("", "_past", "_percentile")  # a term of the period, of the previous one, its percentile

# The SQL type (PostgreSQL spelling) of a unit, so one concept has one type in every table.
# RUB: exact, with kopecks as the APIs give them (every other RUB amount, a tariff or a
# discount, has this type too). Percents stay double precision: WB computes them (33.3333…),
# nobody books or sums them, and an exact type would only fix a rounding the API already made.
SQL_TYPES: dict[str, str] = {
    "RUB": "NUMERIC(18, 2)",
    "percent": "FLOAT",
    "JSON object": "JSONB",
    "timestamp, UTC": "TIMESTAMP WITH TIME ZONE",
}


@dataclass(frozen=True)
class Term:
    column: str
    meaning: str
    unit: str
    spellings: tuple[str, ...] = ()

    @property
    def sql_type(self) -> str | None:
        """The column type every table gives this term (None: it varies, as ids do)."""
        return SQL_TYPES.get(self.unit)


TERMS: tuple[Term, ...] = (
    Term("account_id", "the harvester's account (an entry of the accounts file)", "id"),
    Term("date", "the calendar day the figures are for (Moscow time for WB)", "date", ("dt",)),
    Term("unit_id", "the unit of work (work_unit.id): of a data row, the one that last changed it (its run is the "
         "harvest_run of this unit_id whose started_at … finished_at holds loaded_at); of a run, its unit", "id"),
    Term("loaded_at", "when the harvester last changed the row (a re-read finding it as stored leaves it)",
         "timestamp, UTC"),
    Term("period_start", "first day of the period a report covers", "date"),
    Term("period_end", "last day of the period a report covers", "date"),
    Term("nm_id", "WB product card id (nmID)", "id"),
    Term("chrt_id", "WB size id (chrtID)", "id"),
    Term("shop_sku", "the seller's own SKU on Yandex Market (shopSku, offerId)", "id"),
    Term("open_count", "product card opens", "count", ("open_card", "open_card_count", "opens")),
    Term("cart_count", "additions to cart", "count", ("add_to_cart", "add_to_cart_count", "atbs")),
    Term("order_count", "orders placed", "count", ("orders", "orders_count")),
    Term("order_sum", "value of the orders placed (of an advert: the orders it brought)", "RUB",
         ("orders_sum", "orders_sum_rub", "sum_price")),
    Term("buyout_count", "orders bought out (received and kept)", "count", ("buyouts", "buyouts_count")),
    Term("buyout_sum", "value of the orders bought out", "RUB", ("buyouts_sum", "buyouts_sum_rub")),
    Term("cancel_count", "orders cancelled", "count", ("canceled", "cancels")),
    Term("cancel_sum", "value of the orders cancelled", "RUB", ("cancel_sum_rub", "cancels_sum")),
    Term("wishlist_count", "additions to the wishlist", "count", ("add_to_wishlist", "add_to_wishlist_count")),
    Term("add_to_cart_percent", "card opens that led to a cart addition", "percent",
         ("add_to_cart_conversion", "open_to_cart")),
    Term("cart_to_order_percent", "cart additions that led to an order", "percent",
         ("cart_to_order_conversion", "cart_to_order")),
    Term("buyout_percent", "orders bought out", "percent", ("buyouts_percent",)),
    Term("avg_position", "average position in search results", "position", ("average_position", "avg_pos")),
    Term("median_position", "median position in search results", "position"),
    Term("stock_count", "units in stock", "count"),
    Term("stock_sum", "value of the units in stock at retail price", "RUB", ("stock_balance_sum",)),
    Term("views", "impressions of an advert", "count"),
    Term("clicks", "clicks on an advert", "count"),
    Term("spend", "what the seller paid for advertising", "RUB", ("sum", "expenses", "spent")),
    Term("cpc", "advertising cost per click", "RUB"),
    Term("cpm", "advertising cost per thousand impressions", "RUB"),
    Term("price", "the price of one unit", "RUB"),
    Term("amount", "the money of a charge, deduction or tariff row (the table says which)", "RUB"),
    Term("visibility", "share of searches the product was seen in", "percent"),
    Term("currency", "currency of the money columns of the row", "ISO 4217 code"),
    Term("extras", "source columns the model does not know yet, kept rather than dropped", "JSON object"),
)

# Every wrong spelling, with each suffix, and the name it should have.
RENAMES: dict[str, str] = {
    f"{wrong}{suffix}": f"{term.column}{suffix}"
    for term in TERMS for wrong in term.spellings for suffix in SUFFIXES
}


# Every column name a term goes by, with each suffix: `term_of` runs for every column at import.
_BY_COLUMN: dict[str, Term] = {f"{term.column}{suffix}": term for term in TERMS for suffix in SUFFIXES}


def term_of(column: str) -> Term | None:
    """The term a column name is, with any suffix."""
    return _BY_COLUMN.get(column)


def markdown() -> str:
    """The glossary as docs/glossary.md holds it."""
    lines = ["# Glossary", "",
             "One name per concept in every table of both marketplaces (`harvester/models/glossary.py`).",
             "A column may end in `_past` (the previous period of a search report) or `_percentile`",
             "(the share of competing products below this one).", "",
             "Every RUB amount is `NUMERIC(18, 2)` (roubles with kopecks, read as `Decimal`), named in the",
             "glossary or not (tariffs, discounts); percents are double precision (`FLOAT`):",
             "WB computes them and they are not summed; JSON is `jsonb` on PostgreSQL; timestamps are",
             "`timestamp with time zone`, in UTC.", "",
             "| column | meaning | unit | type | never called |", "|---|---|---|---|---|"]
    for term in TERMS:
        never = ", ".join(f"`{s}`" for s in term.spellings)
        lines.append(f"| `{term.column}` | {term.meaning} | {term.unit} | {term.sql_type or ''} | {never} |")
    return "\n".join(lines) + "\n"
