"""Loading the step's compiled kernels from numba's on-disk cache before the first step.

A process's first simulation pays, besides the imports, about 0.6-0.9 CPU-seconds in
numba: setting up its CPU target (it imports some 200 of its own modules and installs
their typing and lowering registries) and loading each kernel's machine code from the
cache (``cache=True`` in :mod:`econsec.simulation.fused`,
:mod:`econsec.simulation.fused_resourcing` and :mod:`econsec.simulation.fused_prices`). A
worker forked from a helper that has done this once starts with it done
(:mod:`econsec.simulation.preload`): every worker of a pool, and every pool the helper
serves, saves that time.

:func:`load_cached_kernels` loads every overload the cache holds for this machine's
target (the key's ``magic_tuple``: architecture and CPU features) and source (numba drops
an index whose source file changed) and compiles nothing new (only an entry the index
lists but whose file cannot be read is compiled, as its first call would): on a fresh
install, with no cache yet, it loads nothing and the kernels compile on first call as
before. It reads numba's cache index through the dispatcher's cache object
(``Dispatcher._cache``, an internal of numba 0.60-0.68); when that is missing or fails, it
loads nothing, so the only effect is the time saved, never a result: a kernel called
later is looked up, loaded or compiled by numba as always.
"""

from __future__ import annotations

from typing import Any


def _kernels() -> list[Any]:
    """The compiled kernels (numba dispatchers) defined in the kernel modules."""
    from numba.core.registry import CPUDispatcher

    from econsec.simulation import fused, fused_prices, fused_resourcing

    return [k for m in (fused, fused_resourcing, fused_prices) for k in vars(m).values()
            if isinstance(k, CPUDispatcher) and k.__module__ == m.__name__]


def loaded_overloads() -> int:
    """How many compiled overloads the kernels hold in this process (0 before any kernel
    was loaded, compiled or called)."""
    return sum(len(k.overloads) for k in _kernels())


def load_cached_kernels() -> int:
    """Load every cached overload of every kernel of the compiled modules; the number
    loaded (0 when there is no cache or numba's cache internals differ)."""
    try:
        loaded = 0
        for kernel in _kernels():
            cache = getattr(kernel, "_cache", None)
            index = cache._cache_file._load_index() if cache is not None else {}
            magic = kernel.targetctx.codegen().magic_tuple()
            for key in index:
                if key[1] == magic:
                    kernel.compile(key[0])  # a cache hit: loaded, not compiled
                    loaded += 1
        return loaded
    except Exception:  # a warm-up must never fail the helper or a run
        return 0
