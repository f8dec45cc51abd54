"""Goods: the nodes of the supply network."""

from __future__ import annotations

import enum


class Stage(enum.StrEnum):
    """Stage of a good in the supply chain, upstream first."""

    mineral = "mineral"
    material = "material"
    equipment = "equipment"
    design = "design"
    chip = "chip"
    battery = "battery"
    end_product = "end_product"
