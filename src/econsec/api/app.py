"""The FastAPI application: JSON API, run jobs, SVG charts, the HTML brief and the dashboard.

Routes are thin: they parse and bound the input, call :mod:`econsec.api.handlers` (plain
functions) and turn :class:`~econsec.api.handlers.FieldError` into a 4xx whose body names
the field (FastAPI's own ``{"detail": [{"loc": [...], "msg": ...}]}`` shape).
"""

from __future__ import annotations

import contextlib
import functools
import logging
import threading
from collections.abc import AsyncIterator, Callable, Iterable
from pathlib import Path
from typing import Annotated, Any

from fastapi import Body, FastAPI, HTTPException, Query, Request
from fastapi import Path as PathParam
from fastapi.responses import HTMLResponse, JSONResponse, Response
from fastapi.staticfiles import StaticFiles
from pydantic import BaseModel, ConfigDict, Field, StrictInt

from econsec import analysis
from econsec.api import builder, handlers, runviews
from econsec.api.answers import MEMO_KEY, AnswerMemo, Answers, store_stamp
from econsec.api.handlers import FieldError
from econsec.api.jobs import Job, JobManager, JobStatus, RunStore, StoreBusy
from econsec.api.security import LOCAL_HOST_NAMES, Guard, Limits
from econsec.data.world import World
from econsec.policy.runner import NAME_PATTERN

STATIC_DIR = Path(__file__).parent / "static"


def _field_error(exc: FieldError) -> HTTPException:
    return HTTPException(exc.status, detail=[{"loc": [exc.where, exc.field], "msg": exc.message,
                                              "type": "value_error"}])


class RunRequest(BaseModel):
    """POST /api/runs: a shipped scenario by name, Monte Carlo runs, seed and horizon."""

    model_config = ConfigDict(extra="forbid")
    scenario: str = Field(pattern=NAME_PATTERN, max_length=80,
                          description="shipped scenario name (see /api/scenarios)")
    runs: StrictInt = Field(50, ge=1, le=Limits.max_runs, description="Monte Carlo draws")
    seed: StrictInt = Field(0, ge=0, le=2**32 - 1)
    horizon_days: StrictInt | None = Field(None, ge=1, le=Limits.max_horizon_days,
                                     description="override the scenario's horizon")


Economy = Annotated[str, Query(min_length=3, max_length=3, pattern=r"^[A-Za-z]{3}$",
                               description="ISO3 code, e.g. KOR")]
GoodQ = Annotated[str | None, Query(max_length=64, pattern=r"^[a-z0-9_]*$",
                                    description="good id (see /api/goods)")]
RunId = Annotated[str, PathParam(pattern=runviews.ANY_ID, description="job id (32 hex) or "
                                  "stored run id (YYYYmmdd-HHMMSS-<10 hex>)")]
BlocQ = Annotated[str | None, Query(max_length=200, description="bloc name or ISO3 list")]


def create_app(*, world: World | None = None, token: str | None = None,
               limits: Limits | None = None, workers: int = 2, db: Path | None = None,
               allowed_hosts: Iterable[str] = (), warm: bool = False) -> FastAPI:
    """The app. *world* defaults to the built-in world (loaded on first use); runs are
    stored in the store at *db* (default: :meth:`econsec.data.store.Store.default_path`);
    with *token* every route needs it (:mod:`econsec.api.security`); *allowed_hosts* are
    host names served besides the local ones. With *warm* the simulation workers are
    started when the app starts, in a background thread (:meth:`JobManager.warm`), not
    by the first run."""
    from econsec.data.world import load_world

    lim = limits or Limits()
    store = RunStore(db)
    jobs = JobManager(store, world, workers=workers, max_active=lim.max_active_runs,
                      keep_runs=lim.keep_runs)
    state: dict[str, Any] = {}
    loading = threading.Lock()

    def w() -> World:
        if "w" not in state:
            with loading:  # routes run in threads: load the built-in world once
                if "w" not in state:
                    state["w"] = world if world is not None else load_world()
        got: World = state["w"]
        return got

    @contextlib.asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        if warm:
            threading.Thread(target=_warm, args=(jobs,), daemon=True,
                             name="econsec-warm-workers").start()
        yield
        jobs.shutdown()

    app = FastAPI(title="econsec", version="0.1.0", lifespan=lifespan,
                  docs_url=None, redoc_url=None,  # they load script from a CDN
                  description="Economic-security API: exposure, chokepoints, measures, "
                  "trade comparison and scenario runs. Every row carries its source.")
    # encoded answers (computed by `call`, below); the memo sits inside the guard
    answers = Answers(lambda name, args: call(getattr(handlers, name), *args))
    app.add_middleware(AnswerMemo, answers=answers)  # type: ignore[arg-type]
    app.add_middleware(Guard, token=token, max_body=lim.max_body_bytes,  # type: ignore[arg-type]
                       allowed_hosts=(*LOCAL_HOST_NAMES, *allowed_hosts))
    app.state.jobs = jobs
    app.state.limits = lim
    app.state.store = store
    app.state.answers = answers

    @app.exception_handler(StoreBusy)
    async def store_busy(_: Request, exc: StoreBusy) -> JSONResponse:
        return JSONResponse({"detail": [{"loc": ["store"], "msg": str(exc)}]}, status_code=503,
                            headers={"retry-after": "5"})

    def call(fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        try:
            return fn(w(), *args, **kwargs)
        except FieldError as exc:
            raise _field_error(exc) from None

    async def answer(request: Request, name: str, *args: Any, gzipped: bool = True,
                     store_backed: bool = False) -> Response:
        """Handler *name*'s answer on *args*, encoded once (:class:`Answers`): a hit is
        served on the event loop, a miss computed in a worker thread (a new query takes
        0.2-2 s); gzipped (also stored) when *gzipped* and the client accepts it. An
        answer of the immutable world is marked for :class:`AnswerMemo`; a
        *store_backed* one is keyed by the store's stamp instead (an import or a stored
        run invalidates it)."""
        gz = gzipped and "gzip" in request.headers.get("accept-encoding", "")
        stamp = store_stamp(store.path) if store_backed else None
        key = Answers.key(name, args, gz, stamp)
        body = answers.peek(key)
        if body is None:
            from starlette.concurrency import run_in_threadpool

            body = await run_in_threadpool(answers.get, name, args, gz, stamp)
        if not store_backed:
            request.scope[MEMO_KEY] = key
        if gz:
            return Response(body, media_type="application/json",
                            headers={"content-encoding": "gzip", "vary": "accept-encoding"})
        return Response(body, media_type="application/json")

    @app.get("/api/world", tags=["world"], response_class=JSONResponse)
    async def get_world(request: Request) -> Response:
        """World version, counts, economies and blocs."""
        return await answer(request, "world_info", gzipped=False)

    @app.get("/api/goods", tags=["world"], response_class=JSONResponse)
    async def get_goods(request: Request) -> Response:
        """Goods with stage, HS codes, market size, top supplier and world HHI."""
        return await answer(request, "goods", gzipped=False)

    @app.get("/api/exposure", tags=["analysis"], response_class=JSONResponse)
    async def get_exposure(request: Request, economy: Economy, good: GoodQ = None,
                     tiers: Annotated[str, Query(max_length=16)] = "direct",
                     year: Annotated[int | None, Query(ge=1900, le=2100)] = None,
                     source: Annotated[str, Query(max_length=16)] = "curated",
                     sector: Annotated[str | None, Query(max_length=64)] = None,
                     ) -> Response:
        """Who *economy* depends on, good by good (direct or look-through); with
        source=icio, ICIO sector by sector from the OECD ICIO table in the store. *tiers*
        and *source* are checked as in the CLI. Each distinct query is computed once, in
        a worker thread, then served from memory (:mod:`econsec.api.answers`)."""
        backed = source in ("trade", "icio")
        args = (economy.upper(), good or None, tiers, year, source, sector or None,
                str(store.path) if backed else None)
        return await answer(request, "exposure", *args, store_backed=backed)

    @app.get("/api/chokepoints", tags=["analysis"], response_class=JSONResponse)
    async def get_chokepoints(request: Request, bloc: BlocQ = None, against: BlocQ = None,
                              min_share: Annotated[float | None, Query(
                                  ge=0, le=1, allow_inf_nan=False)] = None,
                              top: Annotated[int | None, Query(ge=1, le=500)] = None,
                              source: Annotated[str, Query(max_length=16)] = "curated",
                              ) -> Response:
        """Chokepoint scores; with bloc and against, both directions. *min_share*: the
        holder's minimum share of world supply (default 0.25); with source=icio, the ICIO
        sectors of each side that rest on the other, all tiers, from the OECD ICIO table
        in the store (*min_share*: minimum look-through share, default 0.05)."""
        backed = source == "icio"
        args = (bloc, against, min_share, top, source, str(store.path) if backed else None)
        return await answer(request, "chokepoints", *args, store_backed=backed)

    @app.get("/api/measures", tags=["analysis"], response_class=JSONResponse)
    async def get_measures(request: Request,
                           type: Annotated[str | None, Query(max_length=40)] = None,
                           imposer: Annotated[str | None, Query(max_length=3)] = None,
                           good: GoodQ = None) -> Response:
        """The measures registry, filtered by type, imposer and good."""
        return await answer(request, "measures", type or None, imposer or None, good or None,
                            gzipped=False)

    @app.get("/api/compare", tags=["analysis"])
    def get_compare(a: Economy, b: Economy,
                    years: Annotated[str | None, Query(max_length=9)] = None,
                    source: Annotated[str | None, Query(max_length=32)] = None,
                    ) -> dict[str, Any]:
        """Complementarity vs competition indices per year (needs a trade panel)."""
        return call(handlers.compare, a, b, years, source)  # type: ignore[no-any-return]

    @app.get("/api/heatmap.svg", tags=["charts"], response_class=Response)
    def get_heatmap(bloc: BlocQ = "TRILATERAL", against: BlocQ = "CHN") -> Response:
        """SVG heat map: bloc members x goods, share of imports from the rival."""
        from econsec.reports.figures import exposure_heatmap

        b = call(handlers.check_bloc, bloc, "bloc") or "TRILATERAL"
        a = call(handlers.check_bloc, against, "against") or "CHN"
        mat, srcs = analysis.dependence_matrix(b, a, w())
        svg = exposure_heatmap(mat.iloc[:, :30], f"Share of imports from {a}")
        return Response(svg, media_type="image/svg+xml",
                        headers={"x-econsec-sources": ",".join(srcs)[:2000]})

    @app.get("/api/scenarios", tags=["runs"])
    def get_scenarios() -> dict[str, Any]:
        """Shipped scenarios (replays and forward-looking); run them by name."""
        return {"scenarios": handlers.scenarios(w()), "limits": lim.__dict__}

    @functools.cache
    def nodes() -> int:
        """Producing economy-good pairs of the world (computed once: 60-80 ms)."""
        return max(1, len(w().latest_world_shares()))

    @app.post("/api/runs", tags=["runs"], status_code=202)
    def post_run(req: Annotated[RunRequest, Body()]) -> dict[str, Any]:
        """Start a run of a shipped scenario in a worker process; poll GET /api/runs/{id}
        (the job id); once done the run is in the store (``run_id``)."""
        from econsec.policy.runner import shipped_name

        try:
            shipped_name(req.scenario)
        except KeyError as exc:
            raise _field_error(FieldError("scenario", str(exc).strip("'\""), 404,
                                          "body")) from None
        horizon = req.horizon_days or next(
            s["horizon_days"] for s in handlers.scenarios(w()) if s["name"] == req.scenario)
        cells = req.runs * int(horizon) * nodes()
        if cells > lim.max_run_cells:
            raise _field_error(FieldError(
                "runs", f"run too large: runs x horizon_days x nodes = {cells:,} > "
                f"{lim.max_run_cells:,}", 422, "body"))
        try:
            job = jobs.submit(req.scenario, req.model_dump())
        except OverflowError as exc:
            raise HTTPException(429, detail=[{"loc": ["body", "scenario"],
                                              "msg": str(exc)}]) from None
        return _job_json(job)

    @app.get("/api/runs", tags=["runs"])
    def list_runs(offset: Annotated[int, Query(ge=0, le=10**9)] = 0,
                  limit: Annotated[int, Query(ge=1, le=Limits.max_page)] = 20) -> dict[str, Any]:
        """Stored runs (CLI and API), newest first, *limit* from *offset*; and this
        session's jobs not yet stored (queued, running, failed, cancelled)."""
        from econsec.data.runs import count_runs, list_runs
        from econsec.reports.tables import to_records

        with store.session() as st:
            total = count_runs(st)
            page = list_runs(st, limit=limit, offset=offset)
        page["created"] = page["created"].astype(str)
        return {"total": total, "offset": offset, "limit": limit,
                "runs": to_records(page), "keep_runs": lim.keep_runs,
                "jobs": [_job_json(j) for j in jobs.list() if j.status is not JobStatus.done]}

    def job_or_404(run_id: str) -> Job:
        try:
            return jobs.get(run_id)
        except KeyError:
            raise _field_error(FieldError("run_id", f"no run {run_id}", 404, "path")) from None

    def stored_id(run_id: str) -> str:
        """The stored run id of *run_id* (a stored id, or a finished job's); 404/409."""
        if runviews.is_stored_id(run_id):
            return run_id
        job = job_or_404(run_id)
        if job.status is not JobStatus.done or job.run_id is None:
            raise _field_error(FieldError("run_id", f"run {run_id} is {job.status.value}",
                                          409, "path"))
        return job.run_id

    def stored(run_id: str) -> runviews.StoredView:
        sid = stored_id(run_id)
        try:
            return runviews.load(store, sid, w())
        except LookupError as exc:
            raise _field_error(FieldError("run_id", str(exc), 404, "path")) from None

    @app.get("/api/runs/compare", tags=["runs"])
    def compare_runs(a: Annotated[str, Query(pattern=runviews.ANY_ID)],
                     b: Annotated[str, Query(pattern=runviews.ANY_ID)],
                     top: Annotated[int, Query(ge=1, le=500)] = 30) -> dict[str, Any]:
        """Two stored runs side by side (:func:`econsec.policy.compare.compare_summaries`,
        as `econsec runs compare A B`): per economy and good the median loss, availability
        drop and recovery of each, largest differences first; and each run's chart."""
        return runviews.compare_json(stored(a), stored(b), top)

    @app.get("/api/runs/{run_id}", tags=["runs"])
    def get_run(run_id: RunId) -> dict[str, Any]:
        """A job's status and progress (0-1); once stored (or for a stored run id) the
        summary, diversion, a replay's outcomes and skill, and the chart series."""
        if runviews.is_stored_id(run_id):
            return runviews.result_json(stored(run_id))
        job = job_or_404(run_id)
        d = _job_json(job)
        if job.status is JobStatus.done and job.run_id is not None:
            d.update(runviews.result_json(stored(job.run_id)), id=job.id, status="done")
        return d

    @app.delete("/api/runs/{run_id}", tags=["runs"])
    def delete_run(run_id: RunId) -> dict[str, Any]:
        """Cancel a queued or running job (stored runs are not deleted here)."""
        if runviews.is_stored_id(run_id):
            raise _field_error(FieldError("run_id", "a stored run cannot be cancelled; "
                                          "stored runs are kept up to the retention limit",
                                          409, "path"))
        job = job_or_404(run_id)
        job.cancel()
        return _job_json(job)

    @app.get("/api/runs/{run_id}/csv", tags=["runs"], response_class=Response)
    def run_csv(run_id: RunId) -> Response:
        """The run's time series (p5/p50/p95 per day, economy, good, metric) as CSV."""
        view = stored(run_id)
        return Response(view.frames["timeseries"].to_csv(index=False), media_type="text/csv",
                        headers={"content-disposition":
                                 f'attachment; filename="{view.filename}.csv"'})

    @app.get("/api/runs/{run_id}/xlsx", tags=["runs"], response_class=Response)
    def run_xlsx(run_id: RunId) -> Response:
        """Time series, summary, diversion (and a replay's documented vs simulated
        outcomes) and the inputs as an Excel workbook."""
        view = stored(run_id)
        return Response(runviews.xlsx_bytes(view), media_type="application/vnd."
                        "openxmlformats-officedocument.spreadsheetml.sheet",
                        headers={"content-disposition":
                                 f'attachment; filename="{view.filename}.xlsx"'})

    @app.get("/api/runs/{run_id}/chart.svg", tags=["runs"], response_class=Response)
    def run_chart(run_id: RunId) -> Response:
        """SVG chart of the run: median lines with p5-p95 bands of the economies and goods
        the scenario touches, largest losses first."""
        return Response(runviews.chart_svg(stored(run_id)), media_type="image/svg+xml")

    @app.get("/api/brief.html", tags=["reports"], response_class=HTMLResponse)
    def get_brief(bloc: BlocQ = "TRILATERAL", against: BlocQ = "CHN") -> HTMLResponse:
        """The self-contained HTML brief (plots inline)."""
        from econsec.reports.html import cached_brief_html

        b = call(handlers.check_bloc, bloc, "bloc") or "TRILATERAL"
        a = call(handlers.check_bloc, against, "against") or "CHN"
        return HTMLResponse(cached_brief_html(w(), b, a))

    builder.add_routes(app, world=w, jobs=jobs, lim=lim, nodes=nodes, job_json=_job_json)

    @app.get("/", include_in_schema=False)
    def index() -> Response:
        return HTMLResponse((STATIC_DIR / "index.html").read_text(encoding="utf-8"))

    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")

    return app


def _warm(jobs: JobManager) -> None:
    """Start *jobs*' workers (:meth:`JobManager.warm`); a failure is logged as a warning
    (the runs that follow start the workers they need and report their own errors)."""
    log = logging.getLogger("econsec.api")

    def failed(exc: BaseException | None) -> None:
        if exc is not None:
            log.warning("warming the simulation workers at start-up failed (%s: %s); runs "
                        "start them as they come", type(exc).__name__, exc)

    try:
        tasks = jobs.warm()
    except Exception as exc:  # logged; the server keeps serving
        failed(exc)
        return
    for task in tasks:
        task.add_done_callback(lambda f: failed(None if f.cancelled() else f.exception()))


def _job_json(job: Job) -> dict[str, Any]:
    return {"id": job.id, "scenario": job.scenario, "params": job.params,
            "status": job.status.value, "progress": round(job.progress, 4),
            "error": job.error, "run_id": job.run_id}
