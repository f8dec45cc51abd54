"""``econsec simulate``, ``econsec scenarios ...`` and ``econsec runs ...``.

Heavy modules (engine, pandas, DuckDB) are imported inside the commands.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from econsec.cli.common import DbOpt, FormatOpt, OutOpt, WideOpt, WorkersOpt, fail, workers_of
from econsec.reports.tables import OutputFormat

scenarios_app = typer.Typer(help="Shipped scenarios: replays of real episodes and "
                            "forward-looking cases.", no_args_is_help=True)
runs_app = typer.Typer(help="Stored simulation runs (DuckDB store): list, show, compare, "
                       "rerun.", no_args_is_help=True)

WorldOpt = Annotated[
    Path | None,
    typer.Option("--world", help="World folder instead of the built-in world.",
                 envvar="ECONSEC_WORLD"),
]
TopOpt = Annotated[int, typer.Option(help="Rows of the summary table (largest losses).")]


def _world(path: Path | None) -> Any:
    from econsec.data.world import load_world
    from econsec.errors import DataError

    try:
        return load_world(path)
    except DataError as exc:
        raise fail(str(exc)) from None


def _scenario(name_or_path: str, world: Any) -> Any:
    from econsec.errors import DataError
    from econsec.policy.scenarios import resolve_scenario

    try:
        return resolve_scenario(name_or_path, world)
    except (DataError, KeyError) as exc:
        raise fail(str(exc).strip("'\"")) from None


def _store(db: Path | None, *, read_only: bool = False) -> Any:
    from econsec.data.store import Store
    from econsec.errors import StoreError

    try:
        return Store(db, read_only=read_only)
    except StoreError as exc:
        raise fail(str(exc)) from None


SHORT = {"baseline_usd_bn": "base $bn", "loss_usd_bn_p5": "loss p5", "loss_usd_bn_p50":
         "loss p50", "loss_usd_bn_p95": "loss p95", "max_availability_drop_p50": "avail drop",
         "days_to_recover_p50": "recover d", "inventory_drawdown_days_p50": "inv draw d"}


def summary_table(summ: Any, top: int) -> Any:
    """The rows of a summary frame with an output loss or availability drop, largest loss
    first."""
    cols = ["economy", "good", "baseline_usd_bn", "loss_usd_bn_p5", "loss_usd_bn_p50",
            "loss_usd_bn_p95", "max_availability_drop_p50", "days_to_recover_p50",
            "inventory_drawdown_days_p50"]
    summ = summ[[c for c in cols if c in summ.columns]]
    hit = summ[(summ["loss_usd_bn_p95"].abs() > 1e-6)
               | (summ["max_availability_drop_p50"] > 1e-6)]
    return hit.sort_values("loss_usd_bn_p50", ascending=False).head(top).round(4)


#: why a table can hold no row of a good the world has
NO_ROWS = {
    "summary": "no node of it loses output or availability in this run (the summary lists "
               "the nodes hit; --table timeseries shows the others)",
    "timeseries": "no node of it is touched by a shock or downstream of one (the series "
                  "track those nodes)",
    "diversion": "no flow of it is shocked or re-sourced (the diversion table lists those)",
    "trade": "no flow of it is shocked or re-sourced (the trade table lists those)",
    "prices": "the scenario's network does not trade it",
    "outcomes": "the scenario documents no outcome for it",
    "compare": "neither run has a row of it",
}
#: ``--good`` of simulate and the stored-run commands (a stored run matches its own goods)
GoodOpt = Annotated[list[str] | None, typer.Option(
    "--good", "-g", help="Only the rows of this good (id, or a name of the world's goods in "
    "simulate; repeat for several), e.g. --table prices --good gallium.")]
#: the prices table's columns, in the order a narrow terminal keeps them
PRICE_COLUMNS = ("good", "price_index_p50", "date", "market", "price_index_p95",
                 "price_index_p5")


def _goods(values: list[str] | None, world: Any) -> list[str] | None:
    """The good ids of ``--good`` (ids or names; an unknown one is a named error)."""
    from econsec.analysis.names import resolve_good
    from econsec.errors import EconsecError

    if not values:
        return None
    try:
        return list(dict.fromkeys(resolve_good(v, world) for v in values))
    except EconsecError as exc:
        raise fail(f"--good: {exc}") from None


def _stored_goods(values: list[str], frame: Any, table: str) -> list[str]:
    """The good ids of ``--good`` among the goods of a stored run's *frame* (a stored run
    may come from another world: its own rows name the goods); a named error otherwise."""
    from econsec.domain.names import match_choice
    from econsec.errors import EconsecError

    have = sorted({str(g) for g in frame["good"].dropna()})
    try:
        return list(dict.fromkeys(match_choice(v, have, kind="good", where=f"the goods of "
                                               f"this run's {table} table") for v in values))
    except EconsecError as exc:
        raise fail(f"--good: {exc}") from None


def shown_rows(frame: Any, table: str, goods: list[str] | None, top: int) -> Any:
    """The rows of *table* to show: a summary's hit rows (:func:`summary_table`), only
    *goods* (a named error when none is left), the prices' answer columns kept last."""
    if table == "summary":
        frame = summary_table(frame if goods is None else frame[frame["good"].isin(goods)], top)
    if goods is not None:
        frame = only_goods(frame, goods, table)
    if table == "prices":  # a narrow terminal keeps the median price, dropped last
        frame.attrs["keep_columns"] = PRICE_COLUMNS
    return frame


def only_goods(frame: Any, goods: list[str], table: str) -> Any:
    """The rows of *frame* whose ``good`` is one of *goods* (its ``attrs`` kept); a named
    error saying why when none is left."""
    kept = frame[frame["good"].isin(goods)]
    kept.attrs.update(frame.attrs)
    if kept.empty:
        raise fail(f"no {table} rows for {', '.join(goods)}: {NO_ROWS[table]}")
    return kept


def simulate(
    scenario: Annotated[str, typer.Argument(help="Scenario file (*.yaml) or the name of a "
                                            "shipped scenario (see `econsec scenarios list`).")],
    runs: Annotated[int, typer.Option(help="Monte Carlo runs.", min=1, max=100_000)] = 100,
    seed: Annotated[int, typer.Option(help="Random seed (same seed, same numbers).")] = 0,
    horizon: Annotated[str | None, typer.Option(help="Override the horizon: 730d, 104w or "
                                                "days.")] = None,
    step: Annotated[str | None, typer.Option(help="Override the step: day or week.")] = None,
    store: Annotated[bool, typer.Option("--store/--no-store",
                                        help="Keep the run in the DuckDB store.")] = True,
    table: Annotated[str, typer.Option(help="summary, timeseries, diversion, trade (arrivals "
                                       "by buyer, good and supplier over time, in real USD, "
                                       "nominal USD and tonnes), prices (price "
                                       "index per good, 1 = pre-shock) or outcomes "
                                       "(replays: documented vs simulated).")] = "summary",
    top: TopOpt = 20,
    good: GoodOpt = None,
    fmt: FormatOpt = OutputFormat.table,
    out: OutOpt = None,
    wide: WideOpt = False,
    db: DbOpt = None,
    world: WorldOpt = None,
    backend: Annotated[str, typer.Option(help="Where chunks of runs execute: local "
                                         "(processes of this machine) or dask (a Dask "
                                         "cluster). Same seed, same numbers.")] = "local",
    workers: WorkersOpt = "auto",
    scheduler: Annotated[str | None, typer.Option(help="Address of a running Dask "
                                                  "scheduler, e.g. tcp://host:8786 "
                                                  "(--backend dask).")] = None,
) -> None:
    """Simulate a scenario: shocks propagate through the supply network; print a summary.

    Examples: `econsec simulate jpn_kor_2019 --runs 200 --seed 1`;
    `econsec simulate my_scenario.yaml --horizon 104w --step week --no-store`;
    `econsec simulate chn_full_ban_trilateral --table timeseries --format csv --out ts.csv`;
    `econsec simulate chn_ga_ge_2023 --runs 10000 --backend dask --scheduler tcp://host:8786`;
    `econsec simulate chn_ga_ge_2023 --table prices --good gallium`
    """
    from rich.console import Console
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    from econsec.errors import DataError, EconsecError
    from econsec.policy.runner import run_scenario
    from econsec.reports.tables import emit

    if table not in ("summary", "timeseries", "diversion", "trade", "prices", "outcomes"):
        raise fail("--table must be summary, timeseries, diversion, trade, prices or outcomes")
    n_workers = workers_of(workers)
    w = _world(world)
    goods = _goods(good, w)
    sc = _scenario(scenario, w)
    try:
        sc = sc.with_overrides(horizon=horizon, step=step)
    except DataError as exc:
        raise fail(str(exc).replace(str(sc.path), "--horizon/--step")) from None
    err = Console(stderr=True)
    with Progress(TextColumn("[bold]{task.description}"), BarColumn(),
                  TextColumn("{task.percentage:>3.0f}%"), TimeElapsedColumn(),
                  console=err, transient=True) as bar:
        task = bar.add_task(f"{sc.name}: {runs} runs x {sc.horizon_days} days", total=1.0)
        try:
            run = run_scenario(sc, w, runs=runs, seed=seed,
                               progress=lambda f: bar.update(task, completed=f),
                               backend=backend, workers=n_workers, scheduler=scheduler,
                               db=db)
        except EconsecError as exc:  # unknown backend, unreachable scheduler, failed chunk
            raise fail(str(exc)) from None
    if store:
        from econsec.data.runs import save_run

        with _store(db) as st:
            run_id = save_run(st, sc, run.result, run.world_version)
        err.print(f"stored run [bold]{run_id}[/] (econsec runs show {run_id})", highlight=False)
    note = run.backcast_note()
    if note:  # a later year standing in for the one asked: said, never silent
        err.print(f"note: {note}", highlight=False)
    frames = {"summary": run.summary, "timeseries": run.timeseries,
              "diversion": run.diversion, "trade": run.trade, "prices": run.prices}
    frame = shown_rows(run.outcomes if table == "outcomes" else frames[table](), table, goods,
                       top)
    if table == "summary" and fmt is OutputFormat.table and out is None:
        frame = frame.rename(columns=SHORT)
    emit(frame, fmt, out, title=f"{sc.title} - {table} ({runs} runs, seed {seed})",
         wide=wide)


@scenarios_app.command("list")
def scenarios_list(fmt: FormatOpt = OutputFormat.table, out: OutOpt = None,
                   wide: WideOpt = False, world: WorldOpt = None) -> None:
    """List the shipped scenarios.

    Example: `econsec scenarios list --format json`
    """
    from econsec.policy.scenarios import list_scenarios
    from econsec.reports.tables import emit

    emit(list_scenarios(_world(world)), fmt, out, title="Scenarios", wide=wide)


@scenarios_app.command("show")
def scenarios_show(
    name: Annotated[str, typer.Argument(help="Shipped scenario name or a *.yaml file.")],
    what: Annotated[str, typer.Option(help="shocks, levers, outcomes or yaml.")] = "shocks",
    fmt: FormatOpt = OutputFormat.table,
    out: OutOpt = None,
    wide: WideOpt = False,
    world: WorldOpt = None,
    db: DbOpt = None,
) -> None:
    """Show a scenario: its resolved shocks (default), levers, documented outcomes or YAML.
    A scenario on the ICIO network is resolved against the table imported in --db.

    Examples: `econsec scenarios show jpn_kor_2019`;
    `econsec scenarios show chn_ga_ge_2023 --what outcomes`
    """
    import pandas as pd

    from econsec.reports.tables import emit

    w = _world(world)
    sc = _scenario(name, w)
    if what == "yaml":
        print(sc.text, end="")
        return
    from econsec.errors import EconsecError
    from econsec.policy.runner import spec_of

    try:
        spec = spec_of(sc, w, db)
    except EconsecError as exc:
        raise fail(str(exc)) from None
    if what == "shocks":
        frame = pd.DataFrame([{
            "kind": s.kind.value, "imposers": ";".join(sorted(s.imposers)),
            # node shocks (demand, outage): the economies whose nodes they hit
            "targets": ";".join(sorted(s.economies if s.kind.on_nodes else s.targets)) or "ALL",
            "goods": ";".join(sorted(s.goods)),
            "start_day": s.start, "end_day": s.end, "intensity": s.intensity,
            "approval_rate": s.approval_rate, "licence_delay_days":
            None if s.licence_delay is None else s.licence_delay.mean,
            "measure": s.measure_id or ""} for s in spec.shocks])
    elif what == "levers":
        frame = pd.DataFrame([{"lever": lv.kind.value, "detail": repr(lv)}
                              for lv in spec.levers], columns=["lever", "detail"])
    elif what == "outcomes":
        frame = sc.outcomes_frame()
    else:
        raise fail("--what must be shocks, levers, outcomes or yaml")
    emit(frame, fmt, out, title=f"{sc.name}: {sc.title}", wide=wide)


@runs_app.command("list")
def runs_list(fmt: FormatOpt = OutputFormat.table, out: OutOpt = None,
              wide: WideOpt = False, db: DbOpt = None) -> None:
    """List stored runs, newest first.

    Example: `econsec runs list --db runs.duckdb`
    """
    from econsec.data.runs import list_runs
    from econsec.reports.tables import emit

    with _store(db) as st:
        frame = list_runs(st)
    emit(frame, fmt, out, title="Stored runs", wide=wide)


def _load(db: Path | None, run_id: str) -> Any:
    from econsec.data.runs import load_run
    from econsec.errors import StoreError

    with _store(db) as st:
        try:
            return load_run(st, run_id)
        except StoreError as exc:
            raise fail(str(exc)) from None


@runs_app.command("show")
def runs_show(
    run_id: Annotated[str, typer.Argument(help="Run id (or a unique prefix).")],
    table: Annotated[str, typer.Option(help="summary, timeseries, diversion, trade, "
                                       "prices, parameters or yaml.")] = "summary",
    top: TopOpt = 20,
    good: GoodOpt = None,
    fmt: FormatOpt = OutputFormat.table,
    out: OutOpt = None,
    wide: WideOpt = False,
    db: DbOpt = None,
) -> None:
    """Show a stored run: its summary (default), another frame or its exact scenario YAML.

    Example: `econsec runs show 20261123-1303 --table diversion`
    """
    from econsec.reports.tables import emit

    stored = _load(db, run_id)
    if table == "yaml":
        print(stored.meta["scenario_yaml"], end="")
        return
    if table not in stored.frames:
        raise fail("--table must be summary, timeseries, diversion, trade, prices, parameters "
                   "or yaml (trade, prices: runs stored since econsec kept them)")
    frame = stored.frames[table]
    frame = shown_rows(frame, table, _stored_goods(good, frame, table) if good else None, top)
    m = stored.meta
    emit(frame, fmt, out, title=f"run {m['run_id']}: {m['scenario']} ({m['runs']} runs, "
         f"seed {m['seed']}, world {m['world_version']})", wide=wide)


@runs_app.command("compare")
def runs_compare(
    a: Annotated[str, typer.Argument(help="First run id.")],
    b: Annotated[str, typer.Argument(help="Second run id.")],
    top: TopOpt = 20,
    good: GoodOpt = None,
    fmt: FormatOpt = OutputFormat.table,
    out: OutOpt = None,
    wide: WideOpt = False,
    db: DbOpt = None,
) -> None:
    """Compare two stored runs: median loss, availability drop, recovery per economy/good.

    Example: `econsec runs compare RUN_A RUN_B` (e.g. a scenario without and with levers)
    """
    from econsec.policy.compare import compare_summaries
    from econsec.reports.tables import emit

    ra, rb = _load(db, a), _load(db, b)
    frame = compare_summaries(ra.frames["summary"], rb.frames["summary"])
    if good:
        frame = only_goods(frame, _stored_goods(good, frame, "compare"), "compare")
    emit(frame.head(top).round(4), fmt, out,
         title=f"{ra.meta['scenario']} ({ra.run_id}) vs {rb.meta['scenario']} ({rb.run_id})",
         wide=wide)


@runs_app.command("rerun")
def runs_rerun(
    run_id: Annotated[str, typer.Argument(help="Run id (or a unique prefix).")],
    db: DbOpt = None,
    world: WorldOpt = None,
) -> None:
    """Re-run a stored run from its stored YAML and seed and check the numbers match.

    Example: `econsec runs rerun 20261123-1303`
    """
    import pandas as pd

    from econsec.errors import DataError, StoreError
    from econsec.policy.runner import rerun

    w = _world(world)
    with _store(db) as st:
        try:
            stored, run = rerun(st, run_id, w)
        except (StoreError, DataError) as exc:
            raise fail(str(exc)) from None
    frames = run.to_frames()
    for name, frame in frames.items():
        if name not in stored.frames:  # stored before econsec recorded this frame
            continue
        try:
            pd.testing.assert_frame_equal(stored.frames[name], frame.reset_index(drop=True),
                                          check_dtype=False, rtol=0, atol=0)
        except AssertionError as exc:
            raise fail(f"run {stored.run_id}: frame {name} differs on re-run: {exc}", 1) from None
    print(f"run {stored.run_id} re-run: identical numbers "
          f"({', '.join(frames)})")
