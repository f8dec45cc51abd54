# ---
# jupyter:
#   jupytext:
#     formats: py:percent
#   kernelspec:
#     name: python3
#     display_name: Python 3
# ---

# %% [markdown]
# # econsec in a notebook: exposure, a replay, a forward scenario, the network
#
# A walk through the Python API for an analyst. Each `# %%` block is a notebook cell:
# open this file in Jupyter with jupytext, in VS Code or in Spyder and run it cell by
# cell, or run it whole with `python docs/notebook_walkthrough.py` (CI runs it:
# `tests/integration/test_notebook_walkthrough.py`). Needs `pip install
# 'econsec[report]'` for the figure; the network cell uses `econsec[network]` and says
# so when networkx is missing.

# %%
import pandas as pd

from econsec import analysis
from econsec.data.world import load_world
from econsec.errors import MissingExtraError
from econsec.policy.runner import run_scenario

pd.set_option("display.width", 120)
world = load_world()  # the built-in world; load_world("my_world") for your own folder
analysis.world_summary(world)

# %% [markdown]
# ## 1. Who does Korea depend on?
#
# Direct exposure: Korea's import shares for hydrogen fluoride, with the source of each
# figure. `tiers="all"` looks through every tier of the supply graph.

# %%
hf = analysis.exposure("KOR", good="hydrogen_fluoride", world=world)
hf[["supplier", "share", "basis", "year", "source"]]

# %%
lookthrough = analysis.exposure("KOR", tiers="all", world=world)
lookthrough.sort_values("share", ascending=False).head(10)

# %% [markdown]
# ## 2. A replay: Japan's 2019 controls on Korea (5 Monte Carlo runs)
#
# A replay simulates a real episode and compares the simulated change with the
# documented one, outcome by outcome (the `source` column cites the figure). Five runs
# keep this quick; use 50 or more for results you report.

# %%
replay = run_scenario("jpn_kor_2019", world, runs=5, seed=0)
replay.outcomes[["metric", "economy", "partner", "good", "period", "documented_change",
                 "simulated_change", "direction_matches", "source"]]

# %% [markdown]
# ## 3. A forward scenario: a full Chinese ban on the allies (180 days, 5 runs)
#
# `summary()` has the loss of output per economy and good in USD bn a year (median and
# p5-p95 over the runs) and the largest drop in availability.

# %%
forward = run_scenario("chn_full_ban_trilateral", world, runs=5, seed=0, horizon_days=180)
losses = forward.summary().sort_values("loss_usd_bn_p50", ascending=False)
losses[["economy", "good", "baseline_usd_bn", "loss_usd_bn_p50",
        "max_availability_drop_p50"]].head(8)

# %% [markdown]
# ## 4. The supply network in networkx
#
# One node per (economy, good) producer, one edge per input a producer buys from a
# supplier, with the coefficient (USD of input per USD of output), the shares it comes
# from and their sources. Units are in `graph.graph["units"]`.

# %%
net = analysis.network(world)
try:
    graph = net.to_networkx(world)
except MissingExtraError as exc:  # networkx is an extra: the error names it
    graph = None
    print(exc)
if graph is not None:
    dram = ("KOR", "dram")
    suppliers = sorted(graph.in_edges(dram, data=True),
                       key=lambda e: e[2]["coefficient"], reverse=True)[:5]
    print(graph.number_of_nodes(), "nodes,", graph.number_of_edges(), "edges")
    for (economy, good), _, attrs in suppliers:
        print(f"{economy} {good}: {attrs['coefficient']:.3f} "
              f"({attrs['basis']}; {', '.join(attrs['sources'])})")

# %% [markdown]
# ## 5. A figure: availability of the most affected good, median and p5-p95 band
#
# A matplotlib `Figure` (no pyplot state): a notebook shows it as the cell's value.

# %%
from matplotlib.figure import Figure  # noqa: E402 (a notebook imports where it needs)

worst = losses.sort_values("max_availability_drop_p50", ascending=False).iloc[0]
ts = forward.timeseries()
series = ts[(ts["economy"] == worst["economy"]) & (ts["good"] == worst["good"])
            & (ts["metric"] == "availability")].sort_values("day")
figure = Figure(figsize=(7, 3.2))
ax = figure.subplots()
ax.fill_between(series["day"], series["p5"], series["p95"], alpha=0.25,
                label="p5-p95 over 5 runs")
ax.plot(series["day"], series["p50"], label="median")
ax.set_title(f"Availability of {worst['good']} in {worst['economy']} "
             f"({forward.scenario.title[:60]})", loc="left", fontsize=9)
ax.set_xlabel(f"days from {forward.scenario.start.isoformat()}")
ax.set_ylabel("availability (share of baseline use)")
ax.legend(loc="lower left")
figure  # noqa: B018 (the cell's value: a notebook shows it)
