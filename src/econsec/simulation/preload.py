"""The worker helper's warm-up: importing this module loads the step's compiled kernels
(:func:`econsec.simulation.kernel_cache.load_cached_kernels`).

Importing it is its work, and it exists for that: the forkserver helper that forks
econsec's local workers (:mod:`econsec.distributed.processes`) can only be told which
modules to import (``multiprocessing``'s ``set_forkserver_preload``), so the pools that
run simulations name this module last in their *preload*. The helper then loads the
kernels once and every worker it forks starts with them loaded. Nothing else imports it;
code that wants the kernels loaded calls :func:`load_cached_kernels`.
"""

from __future__ import annotations

from econsec.simulation.kernel_cache import load_cached_kernels

load_cached_kernels()
