"""The world build: published datasets + the curated layer -> a world folder.

``econsec world build --data DIR --out FOLDER`` (:func:`econsec.data.build.assemble.build_world`).
Steps: :mod:`~econsec.data.build.spec` (the curated derivation tables),
:mod:`~econsec.data.build.minerals` (USGS MCS world shares per year),
:mod:`~econsec.data.build.trade` (import shares per importer, good and year),
:mod:`~econsec.data.build.assemble` (precedence, writing, validation). See
docs/world-format.md, "The world build".
"""
