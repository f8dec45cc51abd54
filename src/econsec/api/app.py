"""The FastAPI application: JSON API, run jobs, SVG charts, the HTML brief and the dashboard.

Routes are thin: they parse and bound the input, call :mod:`econsec.api.handlers` (plain
functions) and turn :class:`~econsec.api.handlers.FieldError` into a 4xx whose body names
the field (FastAPI's own ``{"detail": [{"loc": [...], "msg": ...}]}`` shape).
"""

from __future__ import annotations

import contextlib
import functools
import hmac
import io
import json
from collections.abc import AsyncIterator, Awaitable, Callable, MutableMapping
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any

from fastapi import Body, FastAPI, HTTPException, Query, Request
from fastapi import Path as PathParam
from fastapi.responses import HTMLResponse, JSONResponse, Response
from fastapi.staticfiles import StaticFiles
from pydantic import BaseModel, ConfigDict, Field

from econsec import analysis
from econsec.api import handlers
from econsec.api.handlers import FieldError
from econsec.api.jobs import Job, JobManager, JobStatus
from econsec.data.world import World
from econsec.policy.runner import NAME_PATTERN, RunOutput

STATIC_DIR = Path(__file__).parent / "static"


@dataclass(frozen=True)
class Limits:
    """Caps on request and run size."""

    max_body_bytes: int = 16 * 1024
    max_runs: int = 2000
    max_horizon_days: int = 1825
    #: runs x horizon_days x nodes (nodes: producing economy-good pairs of the world)
    max_run_cells: int = 200_000_000
    max_active_runs: int = 16


Scope = MutableMapping[str, Any]
ASGIApp = Callable[[Scope, Callable[[], Awaitable[Any]], Callable[[Any], Awaitable[None]]],
                   Awaitable[None]]


class _Guard:
    """ASGI middleware: bearer token on /api/ (when set) and the request-body cap."""

    def __init__(self, app: ASGIApp, token: str | None, max_body: int) -> None:
        self.app, self.token, self.max_body = app, token, max_body

    async def __call__(self, scope: Scope, receive: Callable[[], Awaitable[Any]],
                       send: Callable[[Any], Awaitable[None]]) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = {k.decode("latin-1").lower(): v.decode("latin-1")
                   for k, v in scope.get("headers", [])}
        path = scope.get("path", "")
        if self.token and path.startswith("/api/"):
            given = headers.get("authorization", "")
            want = f"Bearer {self.token}"
            if not hmac.compare_digest(given.encode(), want.encode()):
                await _send_json(send, 401, {"detail": [{
                    "loc": ["header", "authorization"],
                    "msg": "bearer token required: Authorization: Bearer <token>"}]},
                    {"www-authenticate": "Bearer"})
                return
        length = headers.get("content-length")
        if length is not None and (not length.isdigit() or int(length) > self.max_body):
            await _send_json(send, 413, {"detail": [{
                "loc": ["body"], "msg": f"request body larger than {self.max_body} bytes"}]})
            return
        seen = 0

        async def limited() -> Any:
            nonlocal seen
            message = await receive()
            if message.get("type") == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.max_body:
                    raise _BodyTooLarge
            return message

        try:
            await self.app(scope, limited, send)
        except _BodyTooLarge:
            await _send_json(send, 413, {"detail": [{
                "loc": ["body"], "msg": f"request body larger than {self.max_body} bytes"}]})


class _BodyTooLarge(Exception):
    pass


async def _send_json(send: Callable[[Any], Awaitable[None]], status: int, body: Any,
                     extra: dict[str, str] | None = None) -> None:
    import json

    data = json.dumps(body).encode()
    headers = [(b"content-type", b"application/json"),
               (b"content-length", str(len(data)).encode())]
    headers += [(k.encode(), v.encode()) for k, v in (extra or {}).items()]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": data})


def _field_error(exc: FieldError) -> HTTPException:
    return HTTPException(exc.status, detail=[{"loc": [exc.where, exc.field], "msg": exc.message,
                                              "type": "value_error"}])


class RunRequest(BaseModel):
    """POST /api/runs: a shipped scenario by name, Monte Carlo runs, seed and horizon."""

    model_config = ConfigDict(extra="forbid")
    scenario: str = Field(pattern=NAME_PATTERN, max_length=80,
                          description="shipped scenario name (see /api/scenarios)")
    runs: int = Field(50, ge=1, le=Limits.max_runs, description="Monte Carlo draws")
    seed: int = Field(0, ge=0, le=2**32 - 1)
    horizon_days: int | None = Field(None, ge=1, le=Limits.max_horizon_days,
                                     description="override the scenario's horizon")


Economy = Annotated[str, Query(min_length=3, max_length=3, pattern=r"^[A-Za-z]{3}$",
                               description="ISO3 code, e.g. KOR")]
GoodQ = Annotated[str | None, Query(max_length=64, pattern=r"^[a-z0-9_]*$",
                                    description="good id (see /api/goods)")]
RunId = Annotated[str, PathParam(pattern=r"^[0-9a-f]{32}$", description="run id")]
BlocQ = Annotated[str | None, Query(max_length=200, description="bloc name or ISO3 list")]


def create_app(*, world: World | None = None, token: str | None = None,
               limits: Limits | None = None, workers: int = 2) -> FastAPI:
    """The app. *world* defaults to the built-in world (loaded on first use); with *token*
    every /api/ request needs ``Authorization: Bearer <token>``."""
    from econsec.data.world import load_world

    lim = limits or Limits()
    jobs = JobManager(workers=workers, max_active=lim.max_active_runs)
    state: dict[str, World] = {}

    def w() -> World:
        if "w" not in state:
            state["w"] = world if world is not None else load_world()
        return state["w"]

    @contextlib.asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        yield
        jobs.shutdown()

    app = FastAPI(title="econsec", version="0.1.0", lifespan=lifespan,
                  description="Economic-security API: exposure, chokepoints, measures, "
                  "trade comparison and scenario runs. Every row carries its source.")
    app.add_middleware(_Guard, token=token, max_body=lim.max_body_bytes)  # type: ignore[arg-type]
    app.state.jobs = jobs
    app.state.limits = lim

    def call(fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        try:
            return fn(w(), *args, **kwargs)
        except FieldError as exc:
            raise _field_error(exc) from None

    @functools.lru_cache(maxsize=4096)
    def cached_json(name: str, *args: Any) -> bytes:
        """Serialised answer of handler *name*: the world is immutable, so each distinct
        query is computed and encoded once (FieldErrors are not cached)."""
        return json.dumps(call(getattr(handlers, name), *args), allow_nan=False,
                          separators=(",", ":")).encode()

    @functools.lru_cache(maxsize=4096)
    def cached_gzip(name: str, *args: Any) -> bytes:
        import gzip

        return gzip.compress(cached_json(name, *args), compresslevel=5, mtime=0)

    def json_response(name: str, *args: Any, request: Request | None = None) -> Response:
        """The cached JSON answer, gzipped (also cached) when the client accepts it."""
        if request is not None and "gzip" in request.headers.get("accept-encoding", ""):
            return Response(cached_gzip(name, *args), media_type="application/json",
                            headers={"content-encoding": "gzip", "vary": "accept-encoding"})
        return Response(cached_json(name, *args), media_type="application/json")

    @app.get("/api/world", tags=["world"], response_class=JSONResponse)
    def get_world() -> Response:
        """World version, counts, economies and blocs."""
        return json_response("world_info")

    @app.get("/api/goods", tags=["world"], response_class=JSONResponse)
    def get_goods() -> Response:
        """Goods with stage, HS codes, market size, top supplier and world HHI."""
        return json_response("goods")

    @app.get("/api/exposure", tags=["analysis"], response_class=JSONResponse)
    async def get_exposure(request: Request, economy: Economy, good: GoodQ = None,
                     tiers: Annotated[str, Query(pattern="^(direct|all)$")] = "direct",
                     year: Annotated[int | None, Query(ge=1900, le=2100)] = None,
                     ) -> Response:
        """Who *economy* depends on, good by good (direct or look-through). Served on the
        event loop: a repeated query is a cache hit (microseconds); a new one computes
        once (tens of ms)."""
        return json_response("exposure", economy.upper(), good or None, tiers, year,
                             request=request)

    @app.get("/api/chokepoints", tags=["analysis"], response_class=JSONResponse)
    def get_chokepoints(request: Request, bloc: BlocQ = None, against: BlocQ = None,
                        min_share: Annotated[float, Query(ge=0, le=1, allow_inf_nan=False)] = 0.25,
                        top: Annotated[int | None, Query(ge=1, le=500)] = None,
                        ) -> Response:
        """Chokepoint scores; with bloc and against, both directions."""
        return json_response("chokepoints", bloc, against, min_share, top, request=request)

    @app.get("/api/measures", tags=["analysis"], response_class=JSONResponse)
    def get_measures(type: Annotated[str | None, Query(max_length=40)] = None,
                     imposer: Annotated[str | None, Query(max_length=3)] = None,
                     good: GoodQ = None) -> Response:
        """The measures registry, filtered by type, imposer and good."""
        return json_response("measures", type or None, imposer or None, good or None)

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

    def nodes() -> int:
        return max(1, len(w().latest_world_shares()))

    @app.post("/api/runs", tags=["runs"], status_code=202)
    def post_run(req: Annotated[RunRequest, Body()]) -> dict[str, Any]:
        """Start a run of a shipped scenario; poll GET /api/runs/{id}."""
        from econsec.policy.runner import run_scenario, shipped_name

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
        world_ = w()

        def runner(progress: Callable[[float], None], cancel: Any) -> RunOutput:
            return run_scenario(req.scenario, world_, runs=req.runs, seed=req.seed,
                                horizon_days=req.horizon_days, progress=progress,
                                cancel=cancel)

        try:
            job = jobs.submit(req.scenario, req.model_dump(), runner)
        except OverflowError as exc:
            raise HTTPException(429, detail=[{"loc": ["body", "scenario"],
                                              "msg": str(exc)}]) from None
        return _job_json(job, with_result=False)

    @app.get("/api/runs", tags=["runs"])
    def list_runs() -> dict[str, Any]:
        """Runs of this server session, newest last."""
        return {"runs": [_job_json(j, with_result=False) for j in jobs.list()]}

    def job_or_404(run_id: str) -> Job:
        try:
            return jobs.get(run_id)
        except KeyError:
            raise _field_error(FieldError("run_id", f"no run {run_id}", 404, "path")) from None

    def done_or_409(run_id: str) -> RunOutput:
        job = job_or_404(run_id)
        if job.status is not JobStatus.done or job.output is None:
            raise _field_error(FieldError("run_id", f"run {run_id} is {job.status.value}",
                                          409, "path"))
        return job.output

    @app.get("/api/runs/{run_id}", tags=["runs"])
    def get_run(run_id: RunId) -> dict[str, Any]:
        """Status, progress (0-1) and, when done, the summary and the chart series."""
        return _job_json(job_or_404(run_id), with_result=True)

    @app.delete("/api/runs/{run_id}", tags=["runs"])
    def delete_run(run_id: RunId) -> dict[str, Any]:
        """Cancel a queued or running run."""
        job = job_or_404(run_id)
        job.cancel()
        return _job_json(job, with_result=False)

    @app.get("/api/runs/{run_id}/csv", tags=["runs"], response_class=Response)
    def run_csv(run_id: RunId) -> Response:
        """The run's time series (p5/p50/p95 per day, economy, good, metric) as CSV."""
        out = done_or_409(run_id)
        return Response(out.timeseries().to_csv(index=False), media_type="text/csv",
                        headers={"content-disposition":
                                 f'attachment; filename="{out.name}_{run_id[:8]}.csv"'})

    @app.get("/api/runs/{run_id}/xlsx", tags=["runs"], response_class=Response)
    def run_xlsx(run_id: RunId) -> Response:
        """Time series, summary, diversion (and a replay's documented vs simulated
        outcomes) as an Excel workbook."""
        import pandas as pd

        out = done_or_409(run_id)
        buf = io.BytesIO()
        with pd.ExcelWriter(buf, engine="openpyxl") as xl:
            out.timeseries().to_excel(xl, sheet_name="timeseries", index=False)
            out.summary().to_excel(xl, sheet_name="summary", index=False)
            out.diversion().to_excel(xl, sheet_name="diversion", index=False)
            if out.scenario.outcomes:
                out.outcomes.to_excel(xl, sheet_name="outcomes", index=False)
            pd.DataFrame([out.meta]).to_excel(xl, sheet_name="inputs", index=False)
        return Response(buf.getvalue(), media_type="application/vnd.openxmlformats-"
                        "officedocument.spreadsheetml.sheet",
                        headers={"content-disposition":
                                 f'attachment; filename="{out.name}_{run_id[:8]}.xlsx"'})

    @app.get("/api/runs/{run_id}/chart.svg", tags=["runs"], response_class=Response)
    def run_chart(run_id: RunId) -> Response:
        """SVG chart of the run: median lines with p5-p95 bands."""
        from econsec.reports.figures import band_frame, band_timeseries, headline_metric

        out = done_or_409(run_id)
        ts = out.timeseries()
        svg = band_timeseries(band_frame(ts), title=f"{out.name}: {out.runs} runs, seed {out.seed}",
                              xlabel="day", ylabel=headline_metric(ts))
        return Response(svg, media_type="image/svg+xml")

    @app.get("/api/brief.html", tags=["reports"], response_class=HTMLResponse)
    def get_brief(bloc: BlocQ = "TRILATERAL", against: BlocQ = "CHN") -> HTMLResponse:
        """The self-contained HTML brief (plots inline)."""
        from econsec.reports.html import cached_brief_html

        b = call(handlers.check_bloc, bloc, "bloc") or "TRILATERAL"
        a = call(handlers.check_bloc, against, "against") or "CHN"
        return HTMLResponse(cached_brief_html(w(), b, a))

    @app.get("/", include_in_schema=False)
    def index() -> Response:
        return HTMLResponse((STATIC_DIR / "index.html").read_text(encoding="utf-8"))

    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")

    return app


def _job_json(job: Job, *, with_result: bool) -> dict[str, Any]:
    from econsec.reports.figures import band_frame
    from econsec.reports.tables import to_records

    d: dict[str, Any] = {"id": job.id, "scenario": job.scenario, "params": job.params,
                         "status": job.status.value, "progress": round(job.progress, 4),
                         "error": job.error}
    if with_result and job.output is not None:
        out = job.output
        d["result"] = {"inputs": out.meta,
                       "summary": to_records(out.summary().head(200)),
                       "diversion": to_records(out.diversion().head(200)),
                       "outcomes": to_records(out.outcomes),
                       "chart": to_records(band_frame(out.timeseries())),
                       "csv": f"/api/runs/{job.id}/csv", "xlsx": f"/api/runs/{job.id}/xlsx",
                       "chart_svg": f"/api/runs/{job.id}/chart.svg"}
    return d
