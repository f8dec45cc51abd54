"""Per-run records on disk: each finished chunk's records are written to Parquet, and
quantiles over runs are formed from the stored records block by block, so the memory of
the process that collects them is bounded whatever the number of runs.

Layout of a run's folder: one subfolder per field (:func:`field_cells`), one file
``chunk-<i>.parquet`` per chunk holding a single float column ``v``: the chunk's
``[cells, r]`` array in C order (cell-major, the chunk's runs inside), written with row
groups of whole cell blocks, so that block ``k`` of every chunk file is row group ``k``.
A block holds ``max(1, budget // (8 runs))`` cells, i.e. at most *budget* bytes once all
runs of the block are read as float64. Each file is written under a ``.part`` name and
renamed when complete; ``records.json`` is written last, so a folder without it is an
unfinished run. Values are stored bit for bit (float32 series and trade, float64
accumulators and shares).
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
import weakref
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from econsec.simulation.recorder import SERIES, Recorder

F64 = npt.NDArray[np.float64]
Array = npt.NDArray[Any]

#: accumulators, [run, node] in the recorder
ACCUMULATORS = ("loss", "min_avail", "last_below", "inv0", "min_inv")
#: default memory for one block of values read back (bytes, as float64)
BLOCK_BUDGET = 64 * 2**20


def field_cells(n_rec: int, n_tracked: int, n_nodes: int, n_flows: int, n_goods: int, *,
                departures: bool = False) -> dict[str, tuple[int, str]]:
    """Each stored field's cell count and dtype: ``series/<metric>`` (recorded step x
    tracked node, float32), ``trade`` (recorded step x diversion flow, float32),
    ``departed`` (as ``trade``, departures, only with shipments in transit:
    :mod:`econsec.simulation.transit`), ``prices`` (recorded step x market x good, float32:
    the international then the home index, :mod:`econsec.simulation.prices`), the
    accumulators (node, float64) and ``share_start``/``share_end`` (diversion flow)."""
    cells = {f"series/{m}": (n_rec * n_tracked, "float32") for m in SERIES}
    cells["trade"] = (n_rec * n_flows, "float32")
    if departures:
        cells["departed"] = (n_rec * n_flows, "float32")
    cells["prices"] = (n_rec * 2 * n_goods, "float32")
    cells.update({a: (n_nodes, "float64") for a in ACCUMULATORS})
    cells["share_start"] = (n_flows, "float64")
    cells["share_end"] = (n_flows, "float64")
    return cells


def chunk_arrays(rec: Recorder, start: F64, end: F64) -> dict[str, Any]:
    """A finished chunk's records as ``{field: [cells, r] array}`` plus ``days``."""
    out: dict[str, Any] = {"days": list(rec.days)}
    for m in SERIES:
        s = rec.series[m]  # [T, r, n]
        out[f"series/{m}"] = np.ascontiguousarray(s.transpose(0, 2, 1)).reshape(-1, s.shape[1])
    t = rec.trade  # [T, r, K]
    out["trade"] = np.ascontiguousarray(t.transpose(0, 2, 1)).reshape(-1, t.shape[1])
    # departures: the arrivals when this chunk has no shipments in transit
    d = rec.trade if rec.departed is None else rec.departed
    out["departed"] = np.ascontiguousarray(d.transpose(0, 2, 1)).reshape(-1, d.shape[1])
    p = rec.prices  # [T, r, 2G]
    out["prices"] = np.ascontiguousarray(p.transpose(0, 2, 1)).reshape(-1, p.shape[1])
    for a in ACCUMULATORS:
        out[a] = np.ascontiguousarray(getattr(rec, a).T)
    out["share_start"] = np.ascontiguousarray(start.T)
    out["share_end"] = np.ascontiguousarray(end.T)
    return out


class RunRecords:
    """The stored records of *runs* runs split into *chunks* (slices of runs) in *folder*
    (a new temporary folder, removed with this object, when None)."""

    def __init__(self, folder: Path | None, runs: int, chunks: list[slice],
                 cells: dict[str, tuple[int, str]], *, every: int, tracked: Array,
                 shape: dict[str, int], budget: int = BLOCK_BUDGET) -> None:
        self.runs, self.chunks, self.cells = runs, chunks, cells
        self.every, self.tracked, self.shape = every, tracked, shape
        self.block = max(1, budget // (8 * runs))
        self.days: list[float] = []
        self._owned = folder is None
        if folder is None:
            self.folder = Path(tempfile.mkdtemp(prefix="econsec-records-"))
            self._cleanup: Any = weakref.finalize(self, shutil.rmtree, self.folder, True)
        else:
            self.folder = Path(folder)
            if self.folder.exists() and any(self.folder.iterdir()):
                raise FileExistsError(f"records folder {self.folder} is not empty")
            self.folder.mkdir(parents=True, exist_ok=True)
            self._cleanup = None
        self._written: set[int] = set()

    def _path(self, field: str, i: int) -> Path:
        return self.folder / field / f"chunk-{i:06d}.parquet"

    def write_chunk(self, i: int, arrays: dict[str, Any]) -> None:
        """Write chunk *i*'s ``[cells, r]`` arrays (each file atomically)."""
        import pyarrow as pa
        import pyarrow.parquet as pq

        r = self.chunks[i].stop - self.chunks[i].start
        for field, (n_cells, dtype) in self.cells.items():
            arr = np.asarray(arrays[field], dtype=dtype)
            if arr.shape != (n_cells, r):
                raise ValueError(f"chunk {i} field {field}: shape {arr.shape}, "
                                 f"expected {(n_cells, r)}")
            path = self._path(field, i)
            path.parent.mkdir(parents=True, exist_ok=True)
            part = path.with_name(path.name + ".part")
            pq.write_table(pa.table({"v": arr.ravel()}), part, compression="none",
                           row_group_size=max(1, self.block * r), use_dictionary=False)
            os.replace(part, path)
        if not self.days:
            self.days = list(arrays["days"])
        self._written.add(i)

    def finish(self) -> None:
        """Check every chunk is written and write ``records.json``."""
        missing = sorted(set(range(len(self.chunks))) - self._written)
        if missing:
            raise RuntimeError(f"records of chunks {missing} were never written")
        meta = {"runs": self.runs, "chunks": [[c.start, c.stop] for c in self.chunks],
                "days": self.days, "every": self.every, "block_cells": self.block,
                "fields": {f: list(v) for f, v in self.cells.items()}}
        part = self.folder / "records.json.part"
        part.write_text(json.dumps(meta))
        os.replace(part, self.folder / "records.json")

    def discard(self) -> None:
        """Remove everything written (a failed or cancelled run leaves no records)."""
        shutil.rmtree(self.folder, ignore_errors=True)

    # reading back --------------------------------------------------------------------

    def blocks(self, field: str) -> Iterator[Array]:
        """``[cells_b, runs]`` blocks of *field* (runs in order), ``block`` cells each."""
        import pyarrow.parquet as pq

        n_cells, dtype = self.cells[field]
        files = [pq.ParquetFile(self._path(field, i)) for i in range(len(self.chunks))]
        for k, lo in enumerate(range(0, n_cells, self.block)):
            hi = min(lo + self.block, n_cells)
            out = np.empty((hi - lo, self.runs), dtype=dtype)
            for pf, rows in zip(files, self.chunks, strict=True):
                v = pf.read_row_group(k, columns=["v"]).column(0).to_numpy()
                out[:, rows] = v.reshape(hi - lo, rows.stop - rows.start)
            yield out
        if n_cells == 0:
            yield np.empty((0, self.runs), dtype=dtype)

    def reduce(self, fields: tuple[str, ...], fn: Callable[..., Array]) -> Array:
        """``fn(block of field 1, block of field 2, ...)`` over all blocks, joined along the
        last axis (fn reduces the runs axis 1 of ``[cells_b, runs]`` blocks)."""
        parts = [fn(*bs) for bs in zip(*(self.blocks(f) for f in fields), strict=True)]
        return np.concatenate(parts, axis=-1)

    def full(self, field: str) -> Array:
        """All of *field*, ``[cells, runs]`` (for fields bounded in size, e.g. trade)."""
        return np.concatenate(list(self.blocks(field)), axis=0)

    # the recorder's arrays, read whole (for tests and small runs) --------------------

    @property
    def series(self) -> dict[str, Array]:
        """``{metric: [T, R, n] float32}``."""
        return {m: self.series_of(m) for m in SERIES}

    def series_of(self, metric: str) -> Array:
        """One metric of :attr:`series`, ``[T, R, n]`` float32 (reads only that one)."""
        t, n = len(self.days), len(self.tracked)
        return np.ascontiguousarray(
            self.full(f"series/{metric}").reshape(t, n, self.runs).transpose(0, 2, 1))

    @property
    def trade(self) -> Array:
        """``[T, R, K]`` float32 arrival rates of the diversion flows."""
        t = len(self.days)
        k = self.shape["flows"]
        return np.ascontiguousarray(self.full("trade").reshape(t, k, self.runs)
                                    .transpose(0, 2, 1))

    @property
    def departed(self) -> Array | None:
        """``[T, R, K]`` float32 departure rates of the diversion flows, or None when no
        run has shipments in transit (the departures are the arrivals)."""
        if "departed" not in self.cells:
            return None
        t = len(self.days)
        k = self.shape["flows"]
        return np.ascontiguousarray(self.full("departed").reshape(t, k, self.runs)
                                    .transpose(0, 2, 1))

    @property
    def prices(self) -> Array:
        """``[T, R, 2G]`` float32 price index of every good, international then home market
        (:data:`econsec.simulation.prices.MARKETS`)."""
        t = len(self.days)
        g = 2 * self.shape["goods"]
        return np.ascontiguousarray(self.full("prices").reshape(t, g, self.runs)
                                    .transpose(0, 2, 1))

    def __getattr__(self, name: str) -> Array:
        if name in ACCUMULATORS or name in ("share_start", "share_end"):
            return np.ascontiguousarray(self.full(name).T)
        raise AttributeError(name)
