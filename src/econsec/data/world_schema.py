"""Column declarations of the built-in world's files (see docs/world-format.md)."""

from __future__ import annotations

from econsec.data.tablefile import Column

SHARE_SUM_TOLERANCE = 0.02
"""Shares of one group may sum to at most 1 + this (published shares are rounded)."""

SOURCES = (
    Column("source_id", "id"),
    Column("title"),
    Column("publisher"),
    Column("url"),
    Column("published", required=False),
    Column("accessed", required=False),
)

ECONOMIES = (Column("code", "code"), Column("name"))

GOODS = (
    Column("good_id", "id"),
    Column("name"),
    Column("stage"),
    Column("hs6", "hs6list", required=False),
    Column("market_usd_bn", "float", required=False),
    Column("market_year", "year", required=False),
    Column("source", "id", required=False),
    Column("description", required=False),
    Column("note", required=False),
)

EDGES = (
    Column("input", "id"),
    Column("output", "id"),
    Column("weight", "fraction"),
    Column("substitutability", "fraction"),
    Column("essential", "bool"),
    Column("year", "year"),
    Column("source", "id"),
    Column("note", required=False),
)

WORLD_SHARES = (
    Column("good", "id"),
    Column("economy", "code"),
    Column("share", "fraction"),
    Column("year", "year"),
    Column("basis", required=False),
    Column("source", "id"),
    Column("note", required=False),
)

BILATERAL = (
    Column("importer", "code"),
    Column("good", "id"),
    Column("supplier", "code"),
    Column("share", "fraction"),
    Column("year", "year"),
    Column("period", required=False),
    Column("basis", required=False),
    Column("source", "id"),
    Column("note", required=False),
)

PROVENANCE = (
    Column("dataset", "id", required=False),
    Column("edition", required=False),
    Column("file", required=False),
    Column("cell", required=False),
)
"""Where a derived row came from (``econsec world build``): the dataset folder, its
edition, the file inside it and the row/cell (lines and columns) the figure was computed
from. Empty for curated rows."""

PRECEDENCE = (
    Column("overrides", required=False),
    Column("observed_after", "id", required=False),
)
"""``overrides``: ``derived: <reason>`` on a curated row that must win over a figure the
build derives for the same key (docs/world-format.md, "Precedence"); ``observed_after``:
the id of the measure a post-shock figure follows (kept as a fact, never a model's
starting point)."""

OPTIONAL_COLUMNS = frozenset(c.name for c in (*PROVENANCE, *PRECEDENCE))
"""Columns a share table may leave out of its header (older world folders, fixtures)."""

WORLD_SHARES_FULL = (*WORLD_SHARES, *PROVENANCE, *PRECEDENCE)
BILATERAL_FULL = (*BILATERAL, *PROVENANCE, *PRECEDENCE)

OVERRIDE_PREFIX = "derived:"

DOMESTIC_SHARES = (
    Column("economy", "code"),
    Column("good", "id"),
    Column("share", "fraction"),
    Column("year", "year"),
    Column("basis", required=False),
    Column("source", "id"),
    Column("note", required=False),
)
"""Optional ``domestic_shares.csv``: share of an economy's use of a good met by its own
output, including recycling (overrides the world-share proxy for the domestic share)."""

UNIT_VALUES = (
    Column("good", "id"),
    Column("year", "year"),
    Column("usd_per_t", "float"),
    Column("value_usd", "float"),
    Column("quantity_t", "float"),
    Column("hs6", "hs6list"),
    Column("basis"),
    Column("source", "id"),
    Column("note", required=False),
    *PROVENANCE,
)
"""Optional ``unit_values.csv`` (built, never curated): USD per tonne of a good in a year,
value over quantity of the trade in its HS6 codes (:mod:`econsec.data.build.unit_values`)."""

MEASURE_KEYS_REQUIRED = (
    "id", "name", "type", "imposer", "targets", "goods", "announced", "intensity", "source", "year",
)
MEASURE_KEYS_OPTIONAL = (
    "effective", "lifted", "description", "licence_delay_days", "amount_usd_bn",
)

INVESTMENT_KEYS_REQUIRED = (
    "id", "name", "firm", "economy", "good", "announced", "status", "source", "year",
)
INVESTMENT_KEYS_OPTIONAL = ("capacity_share", "capacity_note", "amount_usd_bn", "operational")
INVESTMENT_STATUSES = frozenset(
    {"announced", "under_construction", "operating", "cancelled", "delayed"}
)
