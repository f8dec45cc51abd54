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
