"""Documented tables: every table and column says what it is, in the database and in
`harvester schema` (Markdown and a dbt sources file)."""

from __future__ import annotations

import yaml
from sqlmodel import SQLModel
from typer.testing import CliRunner

from harvester.catalog import endpoints
from harvester.ops.cli import app

runner = CliRunner()
DATA_TABLES = {table.name: table for endpoint in endpoints().values() for table in endpoint.tables}


def test_every_data_table_and_column_carries_a_comment_from_its_model() -> None:
    undocumented = [name for name, table in DATA_TABLES.items() if not table.comment]
    undocumented += [f"{name}.{column.name}" for name, table in DATA_TABLES.items() for column in table.columns
                     if not column.comment]
    assert undocumented == []
    orders = DATA_TABLES["wb_csv_detail_history"].columns["order_count"].comment
    assert orders == "Orders placed (count). From source field `ordersCount`"
    assert DATA_TABLES["wb_csv_detail_history"].columns["date"].comment.endswith("From source field `dt`")


def test_schema_prints_every_table_as_markdown_with_its_writers() -> None:
    result = runner.invoke(app, ["schema"])
    assert result.exit_code == 0, result.output
    assert {line[3:] for line in result.output.splitlines() if line.startswith("## ")} == {
        *DATA_TABLES, "wb_product_day", "ym_sku_day"}
    assert "Written by `wb.csv.detail_history` (POST /api/v2/nm-report/downloads)." in result.output
    assert "| nm_id * | bigint | WB product card id (nmID) (id). From source field `nmID` |" in result.output


def test_schema_dbt_is_a_sources_file_with_not_null_keys() -> None:
    result = runner.invoke(app, ["schema", "--format", "dbt", "--source", "marketplaces"])
    assert result.exit_code == 0, result.output
    [source] = yaml.safe_load(result.output)["sources"]
    tables = {t["name"]: t for t in source["tables"]}
    assert source["name"] == "marketplaces" and set(tables) == {*DATA_TABLES, "wb_product_day", "ym_sku_day"}
    columns = {c["name"]: c for c in tables["wb_funnel_products"]["columns"]}
    assert columns["nm_id"]["data_tests"] == ["not_null"] and "data_tests" not in columns["order_count"]
    assert columns["order_count"]["description"].startswith("Orders placed (count)")


def test_every_table_starts_with_its_natural_key_in_key_order() -> None:
    leading = {table.name: [c.name for c in table.columns][:len(table.primary_key.columns)]
               for table in SQLModel.metadata.sorted_tables}
    keys = {table.name: [c.name for c in table.primary_key.columns] for table in SQLModel.metadata.sorted_tables}
    assert leading == keys
