"""Compiled kernels of the price stage (:mod:`econsec.simulation.prices`), numba.

The market sums, the shortage ratio, the price targets and the relaxation of the log
price, each one pass over slots, nodes or goods with the runs innermost, computing the same
numbers with the same bits as the numpy stage, by the rules of
:mod:`econsec.simulation.fused` (the same operations in the same order, no ``fastmath``,
sums in item order from 0). Imported on first use by :func:`prices.update_prices_fused`;
compiled on first call and cached on disk (``cache=True``).
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
from numba import njit

F64 = npt.NDArray[np.float64]
I64 = npt.NDArray[np.int64]
B = npt.NDArray[np.bool_]


@njit(cache=True, error_model="numpy")
def market_sums(use: F64, f0: F64, received: F64, phi_u: F64, dt: float, slot_good: I64,
                node_good: I64, slot_w: F64, node_w: F64, n_goods: int
                ) -> tuple[F64, F64]:
    """The price stage's sums (:func:`econsec.simulation.prices.excess_demand`, term for
    term) in one pass over slots and one over nodes: per market ``m`` (*slot_w* [M, S] and
    *node_w* [M, N], 1.0 for the buyers in ``m``, else 0.0), good ``h`` and run,
    consumption ``C = sum_{q of h} u_q w_mq + sum_{i of h} f0_i w_mi`` and what met it
    ``A = sum_{q of h} min(received_q / dt, u_q) w_mq + sum_{i of h} (f0_i phi_use_i)
    w_mi`` (``/ dt`` only if ``dt != 1``; slots and nodes added in order from 0, as the 0/1
    sparse products do; the slot sum plus the node sum). Returns ``C``, ``A`` ([M, G, R])."""
    n_slots, runs = use.shape
    m_n = slot_w.shape[0]
    c_s = np.zeros((m_n, n_goods, runs))
    a_s = np.zeros((m_n, n_goods, runs))
    c_n = np.zeros((m_n, n_goods, runs))
    a_n = np.zeros((m_n, n_goods, runs))
    met = np.empty(runs)
    for q in range(n_slots):
        h = slot_good[q]
        for r in range(runs):
            a = received[q, r]
            if dt != 1.0:
                a = a / dt
            u = use[q, r]
            met[r] = a if (a <= u or np.isnan(a)) else u  # np.minimum: NaN propagates
        for m in range(m_n):
            w = slot_w[m, q]
            for r in range(runs):
                c_s[m, h, r] += use[q, r] * w
                a_s[m, h, r] += met[r] * w
    for i in range(f0.shape[0]):
        h = node_good[i]
        for m in range(m_n):
            w = node_w[m, i]
            for r in range(runs):
                f = f0[i, r]
                c_n[m, h, r] += f * w
                a_n[m, h, r] += (f * phi_u[i, r]) * w
    return c_s + c_n, a_s + a_n


@njit(cache=True, error_model="numpy")
def shortage_ratio(demand: F64, supply: F64, min_supply: float, near: float
                   ) -> tuple[F64, B]:
    """The ratio inside the price stage's log (:func:`econsec.simulation.prices.log_ratio`,
    term for term): ``D / max(S, min_supply D)`` (``np.maximum``: NaN propagates) and
    where its log is taken: ``D > 0`` and not ``|ratio - 1| <= near``."""
    ratio = np.empty(demand.shape)
    need = np.empty(demand.shape, dtype=np.bool_)
    d_f, s_f, r_f, n_f = demand.ravel(), supply.ravel(), ratio.ravel(), need.ravel()
    for x in range(d_f.size):
        d = d_f[x]
        s = s_f[x]
        m = min_supply * d
        floor = s if (s >= m or np.isnan(s)) else m
        v = d / floor
        r_f[x] = v
        n_f[x] = d > 0.0 and not abs(v - 1.0) <= near
    return ratio, need


@njit(cache=True, error_model="numpy")
def price_targets(z: F64, split: B, home: bool, eps_sum: F64, price: F64, tol: float
                  ) -> tuple[F64, B, bool]:
    """The price stage's targets ``ln P* = z / (eps_d + eps_s)`` ([2 G, R]; rows ``h``:
    the international market, ``G + h``: the home market) from the logs *z* ([M, G, R];
    values within *tol* of 0 read 0), the home market's ``z`` being the international
    one's for a good not *split* (or without a home market, *home* False); where the
    price moves (``target != 0`` or ``P != 1``) and whether it does anywhere
    (:func:`econsec.simulation.prices.adjust`, term for term)."""
    n_goods, runs = z.shape[1], z.shape[2]
    target = np.empty((2 * n_goods, runs))
    moving = np.empty((2 * n_goods, runs), dtype=np.bool_)
    for m in range(z.shape[0]):
        for h in range(n_goods):
            for r in range(runs):
                if abs(z[m, h, r]) <= tol:
                    z[m, h, r] = 0.0
    anywhere = False
    for row in range(2 * n_goods):
        h = row % n_goods
        m = 1 if row >= n_goods and home and split[h] else 0
        es = eps_sum[h]
        for r in range(runs):
            t = z[m, h, r] / es
            target[row, r] = t
            mv = t != 0.0 or price[row, r] != 1.0
            moving[row, r] = mv
            anywhere |= mv
    return target, moving, anywhere


@njit(cache=True, error_model="numpy")
def price_relax(log_p: F64, target: F64, decay: F64) -> None:
    """``ln P' = (ln P - ln P*) exp(-dt / tau) + ln P*`` in place of *log_p* ([2 G, R];
    *decay*: (G,) per good, both markets; :func:`econsec.simulation.prices.adjust`)."""
    n_goods = decay.shape[0]
    for row in range(log_p.shape[0]):
        d = decay[row % n_goods]
        for r in range(log_p.shape[1]):
            log_p[row, r] = (log_p[row, r] - target[row, r]) * d + target[row, r]
