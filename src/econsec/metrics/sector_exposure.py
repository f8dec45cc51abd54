"""Sector look-through: how much of an economy-sector's output rests on an origin economy.

Over the nodes (economy, sector) of a multi-regional input-output table with intermediate
block Z (Z[i, j] = sales of node i to node j) and gross output x:

* technical coefficients A = Z diag(x)^-1 (Miller & Blair 2009, *Input-Output Analysis*,
  2nd ed., eq. 2.4; pymrio ``calc_A``), primary-input coefficients v_j = 1 - sum_i A[i, j];
* Leontief inverse L = (I - A)^-1 (Leontief 1936, "Quantitative input and output relations
  in the economic system of the United States", REStat 18(3); Miller & Blair eq. 2.11;
  pymrio ``calc_L``). It is never formed: every quantity below is a solve.

For a node j and an origin economy o (G[o, i] = 1 when node i is in o):

    direct[o, j]      = sum_{i in o} A[i, j]                  (tier 1: the share of j's
                        output value paid to o's industries for intermediate inputs)
    lookthrough[o, j] = sum_{i in o} v_i L[i, j]               (all tiers: the share of j's
                        output value that rests on o's primary inputs; sums to 1 over o,
                        since v' L = 1'; Miller & Blair section 6.5)
    requirement[o, j] = sum_{i in o} (L - I)[i, j]             (all tiers: million USD of
                        o's output needed per million USD of j's output; >= direct[o, j]
                        since L - I = A + A^2 + ...; it can exceed 1, tiers double count)

``lookthrough`` is the value-added analogue of :mod:`econsec.metrics.exposure` (Baldwin,
Freeman & Theodorakopoulos 2022, "Horses for courses: measuring foreign supply chain
exposure", NBER WP 30525, compare face-value and look-through exposure). It is not bound
below by ``direct``: a Chinese supplier's own Korean or Japanese inputs are not Chinese
value; in the OECD ICIO 2022, Korea's C26 rests 7.7% directly and 10.0% through all tiers
on China.

Bloc chokepoints (:func:`sector_chokepoints`): for a bloc B, weights w_j = x_j on B's nodes
(optionally only some sectors), y = L w, and per supplying node i

    lookthrough_i = v_i y_i / sum_j w_j,      direct_i = sum_{j in B} Z[i, j] / sum_j w_j,
    requirement_i = (y_i - w_i) / sum_j w_j,

the share of the bloc's output value resting on node i's own primary inputs (sums to 1
over all i), the share paid directly to node i, and node i's output needed through all
tiers per unit of the bloc's output (>= direct_i; what stops if node i stops). The
(origin, sector) pairs outside the bloc are ranked by look-through share, beside the
origin's share of the sector's output among all economies of the table (its market power
in that sector).

ICIO caveat (``econsec.data.importers.icio``): with the rest-of-world region dropped, v
holds value added, net taxes on products and intermediate imports from ROW, so "rests on
o" includes the ROW imports that o's industries process. v is negative in two small OECD
columns whose inputs exceed their output (ISL C21, CYP H51).

Solves (:mod:`econsec.metrics.leontief`; on the 4,000-node ICIO a dense LU in float32
refined to float64, because the ICIO block is 61% non-zero and a sparse LU would fill in;
no inverse is formed): :func:`sector_lookthrough` solves (I - A) Y = E for the columns
of the economy's sectors, Y = L E, one LU for both lookthrough = G diag(v) Y and
requirement = G (Y - E) (one right-hand side per sector asked: one for ``--sector``);
:func:`sector_chokepoints` solves (I - A) y = w; :func:`mutual_sector_dependence` one
transposed system (I - A)' X = diag(v) G' with one right-hand side per economy of both
sides (``origin_shares``).

Entry points for the CLI (``econsec exposure KOR --tiers all --source icio --year 2022``
and ``econsec chokepoints --source icio``)::

    from econsec.data.importers.icio import load_icio        # data layer: Store -> IcioTable
    from econsec.metrics.sector_exposure import (
        icio_kernel, sector_lookthrough, sector_chokepoints)
    kernel = icio_kernel(load_icio(store))
    sector_lookthrough(kernel, "KOR", sectors=["C26"], origins=["CHN"])
    sector_chokepoints(kernel, ["KOR", "JPN", "USA", "TWN"], using_sectors=["C26"])
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt
import pandas as pd
import scipy.sparse as sp

from econsec.errors import EconsecError
from econsec.metrics.leontief import (
    leontief_solve,
    origin_shares,
    technical_coefficients,
    to_csc,
    value_added_coefficients,
)

if TYPE_CHECKING:
    from econsec.data.importers.icio import IcioTable


class SectorExposureError(EconsecError, ValueError):
    """A look-through query names an economy or sector that the table does not hold."""


@dataclass(frozen=True)
class SectorKernel:
    """Kernel inputs: A (sparse CSC), v, gross output x, node labels (country, sector)."""

    a: sp.csc_matrix
    v: npt.NDArray[np.float64]
    gross_output: npt.NDArray[np.float64]
    z: sp.csc_matrix
    country: npt.NDArray[np.str_]
    sector: npt.NDArray[np.str_]
    year: int | None = None
    source: str = ""

    @property
    def countries(self) -> list[str]:
        """Economies in node order."""
        return list(dict.fromkeys(self.country.tolist()))

    def origin_labels(self) -> npt.NDArray[np.int64]:
        """Index in :attr:`countries` of each node's economy (order of first appearance,
        as :attr:`countries`)."""
        return np.asarray(pd.factorize(self.country)[0], dtype=np.int64)


def sector_kernel(
    z: sp.spmatrix | npt.NDArray[np.float64],
    gross_output: npt.ArrayLike,
    country: Sequence[str],
    sector: Sequence[str],
    *,
    year: int | None = None,
    source: str = "",
) -> SectorKernel:
    """Build A = Z diag(x)^-1 and v = 1 - 1'A from Z and x (nodes labelled country, sector).

    Zero-output nodes get zero coefficients (v = 1); they carry no weight anywhere.
    """
    x = np.asarray(gross_output, dtype=float)
    zs = to_csc(z)  # a dense Z read column by column (leontief.to_csc)
    n = len(x)
    if zs.shape != (n, n) or len(country) != n or len(sector) != n:
        raise SectorExposureError(f"Z is {zs.shape}, gross output has {n} nodes, labels "
                                  f"{len(country)} and {len(sector)}: they must agree")
    a = technical_coefficients(zs, x)
    return SectorKernel(a=a, v=value_added_coefficients(a), gross_output=x, z=zs,
                        country=np.asarray(country, dtype=str),
                        sector=np.asarray(sector, dtype=str), year=year, source=source)


def icio_kernel(table: IcioTable) -> SectorKernel:
    """The kernel of an imported ICIO table (:func:`econsec.data.importers.icio.load_icio`)."""
    return sector_kernel(table.z, table.gross_output, table.nodes["country"].tolist(),
                         table.nodes["sector"].tolist(), year=table.year,
                         source=f"OECD ICIO {table.edition} edition, year {table.year}")


def _check(kernel: SectorKernel, names: Iterable[str], have: Iterable[str],
           what: str) -> list[str]:
    have_set = set(have)
    out = list(dict.fromkeys(names))
    unknown = [c for c in out if c not in have_set]
    if unknown:
        where = kernel.source or "the table"
        listed = ", ".join(sorted(have_set)[:12])
        raise SectorExposureError(f"unknown {what} {', '.join(unknown)} in {where} "
                                  f"(it has {len(have_set)}: {listed} ...)")
    if not out:
        raise SectorExposureError(f"no {what} asked")
    return out


def _grouping(kernel: SectorKernel) -> sp.csr_matrix:
    """G: G[o, i] = 1 when node i is in economy o (n_origins, n)."""
    labels = kernel.origin_labels()
    n = len(labels)
    return sp.csr_matrix((np.ones(n), (labels, np.arange(n))),
                         shape=(len(kernel.countries), n))


def _aggregate(kernel: SectorKernel, matrix: sp.spmatrix) -> npt.NDArray[np.float64]:
    """G M: the rows of *matrix* summed by origin economy -> (n_origins, m)."""
    return np.asarray((_grouping(kernel) @ sp.csc_matrix(matrix)).toarray(), dtype=float)


def _aggregate_dense(kernel: SectorKernel,
                     matrix: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
    """G M for a dense (n, m) *matrix* -> (n_origins, m)."""
    return np.asarray(_grouping(kernel) @ matrix, dtype=float)


def sector_lookthrough(
    kernel: SectorKernel,
    economy: str,
    *,
    sectors: Sequence[str] | None = None,
    origins: Sequence[str] | None = None,
    requirement: bool = False,
    lookthrough: bool = True,
) -> pd.DataFrame:
    """direct[o, j] and lookthrough[o, j] (module docstring) for the nodes j of *economy*.

    Columns: economy, sector, origin, direct_share, lookthrough_share (left out, with its
    solve, when *lookthrough* is False: tier 1 only), ``requirement`` when asked (a
    second solve), sorted by sector then look-through (else direct) share descending.
    *origins* defaults to every economy (own economy included); the sector's gross output
    (``gross_output``, table units) is given for weighting.
    SectorExposureError for an unknown economy, sector or origin.
    """
    countries = kernel.countries
    _check(kernel, [economy], countries, "economy")
    wanted_origins = _check(kernel, origins if origins is not None else countries,
                            countries, "origin economy")
    in_economy = kernel.country == economy
    if sectors is not None:
        wanted = _check(kernel, sectors, kernel.sector[in_economy].tolist(), "sector")
        in_economy &= np.isin(kernel.sector, wanted)
    cols = np.flatnonzero(in_economy)
    code = {c: k for k, c in enumerate(countries)}
    rows = [code[o] for o in wanted_origins]
    direct = _aggregate(kernel, kernel.a[:, cols])[rows]
    out = pd.DataFrame({
        "economy": economy,
        "sector": np.tile(kernel.sector[cols], len(rows)),
        "origin": np.repeat(wanted_origins, len(cols)),
        "direct_share": direct.ravel(),
    })
    if lookthrough or requirement:
        # the economy's columns of L, Y = L E (one right-hand side per sector asked, one
        # LU for both answers): lookthrough = G diag(v) Y, requirement = G (Y - E)
        n = len(kernel.v)
        unit = np.zeros((n, len(cols)))
        unit[cols, np.arange(len(cols))] = 1.0
        y = leontief_solve(kernel.a, unit, transposed=False).T
        if lookthrough:
            out["lookthrough_share"] = _aggregate_dense(kernel, kernel.v[:, None] * y)[
                rows].ravel()
        if requirement:
            out["requirement"] = _aggregate_dense(kernel, y - unit)[rows].ravel()
    out["gross_output"] = np.tile(kernel.gross_output[cols], len(rows))
    key = "lookthrough_share" if lookthrough else "direct_share"
    return out.sort_values(["sector", key], ascending=[True, False],
                           kind="stable").reset_index(drop=True)


def sector_chokepoints(
    kernel: SectorKernel,
    bloc: Iterable[str],
    *,
    using_sectors: Sequence[str] | None = None,
    include_bloc: bool = False,
    top: int | None = None,
) -> pd.DataFrame:
    """Rank (origin, sector) pairs by the share of the bloc's output resting on them.

    Weights are the gross output of the bloc's nodes (only *using_sectors* when given);
    see the module docstring for the formula. Columns: origin, sector, lookthrough_share,
    direct_share, requirement,
    origin_share_of_sector (the origin's share of that sector's output among
    the table's economies), rank. Pairs of the bloc's own economies are left out unless
    *include_bloc*. SectorExposureError for an unknown economy or sector, or a bloc with
    no output in those sectors.
    """
    members = _check(kernel, bloc, kernel.countries, "bloc economy")
    use = np.isin(kernel.country, members)
    if using_sectors is not None:
        wanted = _check(kernel, using_sectors, kernel.sector.tolist(), "sector")
        use &= np.isin(kernel.sector, wanted)
    w = np.where(use, kernel.gross_output, 0.0)
    total = float(w.sum())
    if total <= 0:
        raise SectorExposureError(f"the bloc {', '.join(members)} has no output in the "
                                  "sectors asked")
    y = leontief_solve(kernel.a, w[:, None], transposed=False)[0]  # y = L w
    look = kernel.v * y / total
    direct = np.asarray(kernel.z @ use.astype(float)).ravel() / total
    sector_total = pd.Series(kernel.gross_output).groupby(kernel.sector).transform("sum")
    share = np.divide(kernel.gross_output, sector_total.to_numpy(),
                      out=np.zeros_like(kernel.gross_output), where=sector_total.to_numpy() > 0)
    out = pd.DataFrame({
        "origin": kernel.country,
        "sector": kernel.sector,
        "lookthrough_share": look,
        "direct_share": direct,
        "requirement": (y - w) / total,
        "origin_share_of_sector": share,
    })
    if not include_bloc:
        out = out[~np.isin(kernel.country, members)]
    out = out.sort_values("lookthrough_share", ascending=False, kind="stable")
    if top is not None:
        out = out.head(top)
    out = out.reset_index(drop=True)
    out["rank"] = np.arange(1, len(out) + 1)
    return out


def mutual_sector_dependence(
    kernel: SectorKernel,
    bloc: Iterable[str],
    rival: Iterable[str],
) -> pd.DataFrame:
    """Each node's dependence on the other side: the bloc's nodes on the rival, the
    rival's nodes on the bloc (module docstring, with o = a group of economies):

        direct[R, j] = sum_{i in R} A[i, j],   lookthrough[R, j] = sum_{i in R} v_i L[i, j]

    for j in the bloc B and R the rival's economies (direction ``exposure``), and the same
    with B and R swapped (direction ``leverage``: how much of the rival's sectors rests on
    the bloc). One solve with one right-hand side per economy of B and R.

    Columns: direction, economy, sector, direct_share, lookthrough_share, gross_output;
    zero-output nodes are left out. SectorExposureError for an unknown economy or a
    bloc and rival that share an economy.
    """
    members = _check(kernel, bloc, kernel.countries, "bloc economy")
    rivals = _check(kernel, rival, kernel.countries, "rival economy")
    both = sorted(set(members) & set(rivals))
    if both:
        raise SectorExposureError(f"bloc and rival share {', '.join(both)}")
    code = {c: k for k, c in enumerate(kernel.countries)}
    rows = [code[c] for c in (*members, *rivals)]
    labels = kernel.origin_labels()
    look = origin_shares(kernel.a, kernel.v, labels, rows)
    direct = _aggregate(kernel, kernel.a)[rows]
    k = len(members)
    parts = []
    for direction, users, on in (("exposure", members, slice(k, None)),
                                 ("leverage", rivals, slice(0, k))):
        nodes = np.flatnonzero(np.isin(kernel.country, users) & (kernel.gross_output > 0))
        parts.append(pd.DataFrame({
            "direction": direction,
            "economy": kernel.country[nodes],
            "sector": kernel.sector[nodes],
            "direct_share": direct[on].sum(axis=0)[nodes],
            "lookthrough_share": look[on].sum(axis=0)[nodes],
            "gross_output": kernel.gross_output[nodes],
        }))
    return pd.concat(parts, ignore_index=True)
