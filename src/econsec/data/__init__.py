"""Data layer: the built-in world, importers for public datasets, the DuckDB store."""
