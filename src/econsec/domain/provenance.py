"""Provenance: where a figure comes from."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Source:
    """A cited document or dataset (DESIGN.md principle 8: provenance everywhere)."""

    source_id: str
    title: str
    publisher: str
    url: str
    published: str = ""
    accessed: str = ""

    def citation(self) -> str:
        """``Publisher (published): Title. URL``"""
        year = f" ({self.published})" if self.published else ""
        return f"{self.publisher}{year}: {self.title}. {self.url}"
