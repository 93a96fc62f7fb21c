"""The offline dashboard and the per-run validation report: self-contained HTML pages.

Charts are Altair specs rendered to SVG by vl-convert (no JavaScript, no CDN) and inlined
into one HTML file with inline CSS (Jinja2 templates in etl/present/templates/, rendered with
autoescape by etl/present/htmlpage.py), so the page works from file:// with the network off. The
parts are separate:

    collect_*   I/O: read the published database (read-only) and the run logs
    *_charts    pure: query results → Vega-Lite specs
    chart_svg   a spec → an inline <svg> (vl-convert; pure computation)
    build_*     pure: data and SVGs → the templates' context → the HTML text
    write_*     I/O: the above, then write the file

Numbers come from the named reports in sql/reports/, so the page agrees with `etl report`.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from etl.core.schemas import sql
from etl.core.summary import RunSummary
from etl.present.htmlpage import Badge, Examples, Table, fmt, render, trusted

CHART_WIDTH = 360
TOP_SOURCES = 10  # sources with their own colour in "posts over time"; the rest are "other sources"
PALETTE = ["#4c78a8", "#f58518", "#54a24b", "#e45756", "#72b7b2", "#eeca3b", "#b279a2", "#ff9da6", "#9d755d",
           "#79706e"]
OTHER_COLOR = "#d0d5db"


class NoRun(LookupError):
    """The warehouse has no run (log or published) with that id."""


# --------------------------------------------------------------------------- data


@dataclass
class Result:
    """Rows of one query, as dicts."""

    columns: list[str]
    rows: list[tuple]

    @property
    def records(self) -> list[dict[str, Any]]:
        return [dict(zip(self.columns, r, strict=True)) for r in self.rows]


@dataclass
class RunRecord:
    """One run: its log summary, and its expectation outcomes if it was published."""

    run_id: str
    summary: RunSummary
    results: list[dict] = field(default_factory=list)  # validation_results rows
    rejected: list[dict] = field(default_factory=list)  # documents rows rejected by the run
    published: bool = False


@dataclass
class DashboardData:
    warehouse: str
    generated_at: str
    totals: dict[str, Any]
    posts_over_time: Result  # report posts_per_period split by source: period_start, source, posts, ...
    grain: str  # day, week or month
    top_sources: Result
    top_categories: Result
    co_occurrence: Result
    most_commented: Result
    repost_lag: Result  # source, lag_days, posts
    run_history: Result
    quality: Result
    latest_run: RunRecord | None  # newest log, published or not
    published_run: RunRecord | None  # the run whose snapshot is published


def _run(con, sql_text: str, params: dict | list | None = None) -> Result:
    from etl.present.report import query

    return Result(*query(con, sql_text, params))


def _report(con, name: str, **params: str) -> Result:
    from etl.present.report import get_report

    rep = get_report(name)
    return _run(con, rep.sql, rep.bind(params))


def choose_grain(first: date | None, last: date | None) -> str:
    """Bars per day for up to three months of posts, per week up to two years, else per month."""
    if first is None or last is None:
        return "day"
    span = (last - first).days
    return "day" if span <= 92 else "week" if span <= 731 else "month"


def read_log(logs: Path, run_id: str) -> RunSummary | None:
    path = logs / f"{run_id}.json"
    if not re.fullmatch(r"[0-9A-Za-z_-]+", run_id) or not path.is_file():
        return None
    return RunSummary.from_dict(json.loads(path.read_text(encoding="utf-8")))


def latest_log_id(logs: Path) -> str | None:
    ids = sorted(p.stem for p in logs.glob("*.json")) if logs.is_dir() else []
    return ids[-1] if ids else None


def collect_run(con, logs: Path, run_id: str) -> RunRecord:
    """A run from its log and, if published, from runs / validation_results / documents."""
    summary = read_log(logs, run_id)
    row = _run(con, sql("dashboard/run_row"), [run_id]).records if con else []
    if summary is None and not row:
        raise NoRun(run_id)
    if summary is None:  # the log is gone: the essentials from the runs row
        summary = RunSummary.from_runs_row(row[0])
    record = RunRecord(run_id, summary, published=bool(row))
    if row:
        record.results = _run(con, sql("dashboard/run_results"), [run_id]).records
        record.rejected = _run(con, sql("dashboard/run_rejected"), [run_id]).records
    return record


def collect_dashboard(con, logs: Path, warehouse: str) -> DashboardData:
    """Everything the dashboard shows, from a read-only connection and the logs folder."""
    (totals,) = _run(con, sql("dashboard/totals")).records
    published_id = totals.pop("published_run")
    first, last = totals["first"], totals["last"]
    grain = choose_grain(first, last)
    over_time = _report(con, "posts_per_period", grain=grain, split="source")
    repost_lag = _run(con, sql("dashboard/repost_lag"))
    latest_id = latest_log_id(logs)
    published_run = collect_run(con, logs, published_id) if published_id else None
    latest_run = published_run
    if latest_id and latest_id != published_id and (published_id is None or latest_id > published_id):
        latest_run = collect_run(con, logs, latest_id)
    return DashboardData(
        warehouse=warehouse,
        generated_at=datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        totals=totals,
        posts_over_time=over_time,
        grain=grain,
        top_sources=_report(con, "posts_per_source", limit="15"),
        top_categories=_report(con, "top_categories", limit="15"),
        co_occurrence=_report(con, "category_co_occurrence", limit="300"),
        most_commented=_report(con, "most_commented_posts", limit="10"),
        repost_lag=repost_lag,
        run_history=_report(con, "run_history", limit="10"),
        quality=_report(con, "data_quality_summary", limit="10"),
        latest_run=latest_run,
        published_run=published_run,
    )


# --------------------------------------------------------------------------- charts


@dataclass(frozen=True)
class Chart:
    key: str
    title: str
    caption: str
    spec: dict | None  # None: nothing to draw
    empty: str = "no data"


def _short(text: str, n: int = 48) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= n else text[: n - 1] + "…"


def _base(records: list[dict], title: str):
    import altair as alt

    return alt.Chart(alt.Data(values=records), description=title).properties(width=CHART_WIDTH)


def _int_ticks(low: float, high: float, most: int = 8) -> list[int]:
    """Whole-number tick values from low to high (counts and days have no halves)."""
    import math

    low, high = math.floor(min(low, 0) if low >= 0 else low), math.ceil(high)
    span = max(high - low, 1)
    step = next(s for s in (1, 2, 5, 10, 20, 25, 50, 100, 200, 250, 500, 1000, 2000, 5000, 10**4, 10**5, 10**6)
                if span / s <= most) if span <= 10**6 * most else math.ceil(span / most)
    first = math.floor(low / step) * step
    return list(range(first, high + step, step))


def _config(chart) -> dict:
    return chart.configure_view(stroke=None).configure_axis(
        labelFontSize=11, titleFontSize=12, labelLimit=260
    ).configure_legend(labelLimit=220, labelFontSize=11, titleFontSize=12).to_dict()


def _periods(first: date, last: date, grain: str) -> list[str]:
    """Every period start (ISO) from first to last, so that periods without posts show as gaps."""
    out, d = [], first
    while d <= last:
        out.append(d.isoformat())
        if grain == "day":
            d += timedelta(days=1)
        elif grain == "week":
            d += timedelta(weeks=1)
        else:
            d = date(d.year + d.month // 12, d.month % 12 + 1, 1)
    return out


def posts_over_time_chart(data: Result, grain: str) -> dict | None:
    import altair as alt

    records = data.records
    if not records:
        return None
    totals: dict[str, int] = {}
    for r in records:
        totals[r["source"]] = totals.get(r["source"], 0) + r["posts"]
    named = sorted(totals, key=lambda s: (-totals[s], s))[:TOP_SOURCES]
    values: dict[tuple[str, str], int] = {}
    for r in records:
        src = r["source"] if r["source"] in named else "other sources"
        key = (r["period_start"].isoformat(), src)
        values[key] = values.get(key, 0) + r["posts"]
    domain = named + (["other sources"] if any(s == "other sources" for _, s in values) else [])
    colors = [PALETTE[i % len(PALETTE)] for i in range(len(named))] + [OTHER_COLOR] * (len(domain) - len(named))
    years = {p[:4] for p, _ in values}
    label_format = {"day": "%b %d" if len(years) == 1 else "%Y-%m-%d",
                    "week": "%b %d" if len(years) == 1 else "%Y-%m-%d", "month": "%b %Y"}[grain]
    periods = _periods(date.fromisoformat(min(p for p, _ in values)), date.fromisoformat(max(p for p, _ in values)),
                       grain)
    labels = {p: date.fromisoformat(p).strftime(label_format) for p in periods}
    rows = [{"period": labels[p], "source": s, "posts": n} for (p, s), n in sorted(values.items())]
    per_period: dict[str, int] = {}
    for (period, _), n in values.items():
        per_period[period] = per_period.get(period, 0) + n
    ticks = _int_ticks(0, max(per_period.values()))
    title = "week starting" if grain == "week" else None
    chart = _base(rows, f"Posts over time by source (per {grain})").mark_bar().encode(
        x=alt.X("period:O", sort=[labels[p] for p in periods], title=title,
                scale=alt.Scale(domain=[labels[p] for p in periods]),
                axis=alt.Axis(labelAngle=0 if len(periods) <= 12 else -45, labelOverlap=True)),
        y=alt.Y("sum(posts):Q", title="posts", scale=alt.Scale(domain=[0, ticks[-1]]),
                axis=alt.Axis(values=ticks, format="d")),
        color=alt.Color("source:N", scale=alt.Scale(domain=domain, range=colors), title="source",
                        sort=domain),
        order=alt.Order("source:N"),
    ).properties(height=260, width=CHART_WIDTH)
    return _config(chart)


def bar_chart(records: list[dict], label: str, value: str, title: str, axis_title: str,
              color: str = PALETTE[0]) -> dict | None:
    import altair as alt

    if not records:
        return None
    rows = [{"label": _short(r[label]), "value": r[value]} for r in records]
    seen: dict[str, int] = {}
    for r in rows:  # cut-off labels can collide: number the repeats so each bar keeps its own row
        seen[r["label"]] = seen.get(r["label"], 0) + 1
        if seen[r["label"]] > 1:
            r["label"] = f"{r['label']} ({seen[r['label']]})"
    order = [r["label"] for r in rows]
    ticks = _int_ticks(0, max(r["value"] for r in rows))
    base = _base(rows, title).encode(
        y=alt.Y("label:N", sort=order, title=None),
        x=alt.X("value:Q", title=axis_title, scale=alt.Scale(domain=[ticks[0], ticks[-1]]),
                axis=alt.Axis(values=ticks, format="d")),
    ).properties(height=max(80, 22 * len(rows)))
    bars = base.mark_bar(color=color)
    text = base.mark_text(align="left", dx=3, fontSize=11, color="#1f2933").encode(text=alt.Text("value:Q"))
    return _config(bars + text)


def co_occurrence_chart(data: Result) -> dict | None:
    import altair as alt

    records = data.records
    if not records:
        return None
    rows = []
    totals: dict[str, int] = {}
    for r in records:
        totals[r["category_a"]] = r["posts_a"]
        totals[r["category_b"]] = r["posts_b"]
        rows.append({"x": _short(r["category_a"], 30), "y": _short(r["category_b"], 30), "n": r["posts_together"]})
        rows.append({"x": _short(r["category_b"], 30), "y": _short(r["category_a"], 30), "n": r["posts_together"]})
    order = [_short(c, 30) for c in sorted(totals, key=lambda c: (-totals[c], c))][:20]
    rows = [r for r in rows if r["x"] in order and r["y"] in order]
    size = max(160, 34 * len(order))
    counts = sorted({r["n"] for r in rows})
    base = _base(rows, "Category co-occurrence (posts sharing both)").encode(
        x=alt.X("x:N", sort=order, title=None, axis=alt.Axis(labelAngle=-35)),
        y=alt.Y("y:N", sort=order, title=None),
    ).properties(width=min(CHART_WIDTH, size), height=size)
    rect = base.mark_rect(stroke="white").encode(
        color=alt.Color("n:Q", title="posts", scale=alt.Scale(scheme="blues", domain=[0, counts[-1]]),
                        legend=alt.Legend(values=_int_ticks(0, counts[-1], 5), format="d"))
    )
    text = base.mark_text(fontSize=11).encode(
        text=alt.Text("n:Q"),
        color=alt.condition(alt.datum.n >= max(r["n"] for r in rows) * 0.6, alt.value("white"), alt.value("#1f2933")),
    )
    return _config(rect + text)


def repost_lag_chart(data: Result) -> dict | None:
    import altair as alt

    records = data.records
    if not records:
        return None
    weights: dict[str, list[int]] = {}
    for r in records:
        w = weights.setdefault(r["source"], [0, 0])
        w[0] += r["lag_days"] * r["posts"]
        w[1] += r["posts"]
    order = sorted(weights, key=lambda s: (-weights[s][0] / weights[s][1], s))
    rows = [{"source": _short(r["source"], 36), "lag": r["lag_days"], "posts": r["posts"]} for r in records]
    order = [_short(s, 36) for s in order]
    ticks = _int_ticks(min(r["lag"] for r in rows) - 1, max(r["lag"] for r in rows) + 1)
    sizes = sorted({r["posts"] for r in rows})
    base = _base(rows, "Repost lag by source (footer date − byline date)").encode(
        y=alt.Y("source:N", sort=order, title=None),
    ).properties(height=max(80, 24 * len(order)))
    zero = alt.Chart(alt.Data(values=[{"zero": 0}])).mark_rule(color="#9aa5b1", strokeDash=[4, 3]).encode(
        x=alt.X("zero:Q")
    )
    points = base.mark_circle(opacity=0.85, color=PALETTE[1]).encode(
        x=alt.X("lag:Q", title="days from the outlet's date to the blog's",
                scale=alt.Scale(domain=[ticks[0], ticks[-1]]), axis=alt.Axis(values=ticks, format="d")),
        size=alt.Size("posts:Q", title="posts", scale=alt.Scale(domain=[1, max(sizes[-1], 2)], range=[40, 400]),
                      legend=alt.Legend(values=sizes if len(sizes) <= 4 else
                                        [v for v in _int_ticks(0, sizes[-1], 4) if v > 0], format="d")),
    )
    return _config(zero + points)


def dashboard_charts(data: DashboardData) -> list[Chart]:
    most_commented = [{**r, "label": f"{i}. {r['title']}"}
                      for i, r in enumerate(data.most_commented.records, 1) if r["comment_count"]]
    return [
        Chart("posts-over-time", "Posts over time",
              f"Posts per {data.grain} by footer date, stacked by byline source (top {TOP_SOURCES} sources coloured; "
              "report posts_per_period).",
              posts_over_time_chart(data.posts_over_time, data.grain)),
        Chart("top-sources", "Top sources", "Posts per byline outlet (report posts_per_source).",
              bar_chart(data.top_sources.records, "source", "posts", "Top sources", "posts")),
        Chart("top-categories", "Top categories", "Posts per footer category (report top_categories).",
              bar_chart(data.top_categories.records, "category", "posts", "Top categories", "posts", PALETTE[2])),
        Chart("co-occurrence", "Category co-occurrence",
              "Posts filed under both categories (report category_co_occurrence).",
              co_occurrence_chart(data.co_occurrence), "no post has two categories"),
        Chart("most-commented", "Most-commented posts",
              "Latest footer comment count (report most_commented_posts).",
              bar_chart(most_commented, "label", "comment_count", "Most-commented posts", "comments", PALETTE[3]),
              "no post has comments"),
        Chart("repost-lag", "Repost lag",
              "Days between the outlet's byline date and the blog's footer date; circle size = posts "
              "(report repost_lag_by_source).",
              repost_lag_chart(data.repost_lag), "no post has both dates"),
    ]


_ID_RE = re.compile(r'\bid="([^"]+)"')


def chart_svg(spec: dict, prefix: str) -> str:
    """A Vega-Lite spec as an inline <svg>: no namespace URLs, ids made unique per chart."""
    import vl_convert
    from markupsafe import escape

    svg = vl_convert.vegalite_to_svg(spec)
    svg = re.sub(r'\s+xmlns(?::\w+)?="[^"]*"', "", svg)
    for old in set(_ID_RE.findall(svg)):
        new = f"{prefix}-{old}"
        svg = svg.replace(f'id="{old}"', f'id="{new}"').replace(f"url(#{old})", f"url(#{new})")
        svg = svg.replace(f'href="#{old}"', f'href="#{new}"')
    return svg.replace("<svg ", f'<svg role="img" data-chart="{escape(prefix)}" ', 1)


# --------------------------------------------------------------------------- HTML


def _examples(value: Any) -> Examples:
    if value in (None, "", "[]"):
        return Examples(())
    items = json.loads(value) if isinstance(value, str) else value
    return Examples(tuple(_short(json.dumps(x, ensure_ascii=False, default=str), 120) for x in items[:5]))


def _when(text: Any) -> str:
    """An ISO timestamp from a log as `YYYY-MM-DD HH:MM:SS UTC`."""
    if not text:
        return "—"
    return str(text).replace("T", " ")[:19] + " UTC"


def run_facts(run: RunRecord) -> dict[str, Any]:
    """What macros.html.j2 run_facts shows of a run, from its summary."""
    s = run.summary
    d, p, v = s.documents, s.posts, s.validation
    rows = s.table_rows
    return {
        "run_id": run.run_id, "status": s.status, "exit_code": s.exit_code,
        "started": _when(s.started_at), "finished": _when(s.finished_at),
        "documents": s.published and f"{d.new} loaded, {d.skipped} skipped, {d.rejected} rejected",
        "posts": s.published and f"{p.new} new, {p.updated} completed",
        "validation_status": v.status,
        "validation": (f"{v.evaluated} expectations evaluated, " if v.evaluated is not None else "")
        + f"{v.failed} failed",
        "unpublished": not s.published,
        "table_rows": rows and ", ".join(f"{t} {n:,}" for t, n in rows.items()),
    }


def failed_expectations(run: RunRecord) -> list[dict]:
    """Failed expectations of a run: from validation_results if published, else from its log."""
    if run.results:
        return [r for r in run.results if not r["success"]]
    return [{"table_name": f.table, "expectation": f.expectation, "column_name": f.column,
             "success": False, "unexpected_count": f.unexpected_count,
             "examples": f.examples, "rejected_documents": None} for f in run.summary.validation.failures]


def _per_table(results: list[dict]) -> Table:
    per_table: dict[str, list[int]] = {}
    for r in results:
        t = per_table.setdefault(r["table_name"], [0, 0, 0])
        t[0] += 1
        t[1] += bool(r["success"])
        t[2] += not r["success"]
    rows = [(t, *n) for t, n in sorted(per_table.items())]
    return Table(["table", "evaluated", "passed", "failed"], rows, ["fail" if r[3] else "" for r in rows])


def _note(run: RunRecord) -> str | None:
    """Why a run has no expectation outcomes to show, if it has none."""
    if run.results:
        return None
    if not run.summary.published:
        return ("The run stopped at validation and published nothing, so only the "
                "expectations that failed are recorded (in its log).")
    if run.summary.validation.evaluated == 0:
        return "No new document: no expectation was evaluated."
    return ("The outcomes of this run are not in the current warehouse "
            "(a later full refresh replaced it); the summary above is from its log.")


def validation_section(run: RunRecord, *, full: bool) -> dict[str, Any]:
    """What macros.html.j2 validation_section shows: which expectations ran, which failed and
    example offending values; the documents rejected."""
    failed = failed_expectations(run)
    rejected = run.rejected or [{"path": r.path, "size_bytes": None, "error": r.reason}
                                for r in run.summary.rejected]
    return {
        "failed": failed and Table(
            ["table", "column", "expectation", "failing rows", "example values", "documents rejected"],
            [(f["table_name"], f["column_name"] or "(table)", f["expectation"], f["unexpected_count"],
              _examples(f["examples"]), f["rejected_documents"]) for f in failed],
            ["fail"] * len(failed)),
        "rejected": rejected and Table(["path", "bytes", "reason"],
                                       [(r["path"], r["size_bytes"], r["error"]) for r in rejected]),
        "per_table": run.results and _per_table(run.results),
        "every": full and run.results and Table(
            ["table", "column", "expectation", "result", "failing rows", "example values"],
            [(r["table_name"], r["column_name"] or "(table)", r["expectation"],
              Badge("passed" if r["success"] else "failed"), r["unexpected_count"], _examples(r["examples"]))
             for r in run.results],
            ["" if r["success"] else "fail" for r in run.results]),
        "note": _note(run),
    }


def build_dashboard(data: DashboardData, svgs: dict[str, str]) -> str:
    """The dashboard page from its data and the charts' SVGs (by chart key)."""
    t = data.totals
    span = f"{fmt(t['first'])} to {fmt(t['last'])}" if t["first"] else "no dated posts"
    latest = data.latest_run
    charts_run = None
    if latest and data.published_run and latest.run_id != data.published_run.run_id:
        charts_run = data.published_run.run_id
    runs = Table(
        ["run", "started", "status", "documents new", "rejected", "posts new", "validation", "failed"],
        [(r["run_id"], r["started_at"], Badge(r["status"]), r["documents_new"], r["documents_rejected"],
          r["posts_new"], Badge(r["validation_status"]), r["expectations_failed"])
         for r in data.run_history.records])
    quality = Table(
        ["run", "evaluated", "passed", "failed", "failing rows", "documents rejected", "failed expectations"],
        [(r["run_id"], r["evaluated"], r["passed"], r["failed"], r["unexpected_rows"], r["rejected_documents"],
          r["failed_expectations"]) for r in data.quality.records])
    charts = [{"key": c.key, "title": c.title, "caption": c.caption, "empty": c.empty,
               "svg": trusted(svgs[c.key]) if svgs.get(c.key) else None} for c in dashboard_charts(data)]
    return render(
        "dashboard.html.j2", title="Aletho News — warehouse dashboard", subtitle=f"{t['posts']} posts, {span}",
        totals=[
            ("posts", t["posts"]), ("sources", t["sources"]), ("authors", t["authors"]),
            ("categories", t["categories"]), ("comments", t["comments"]), ("documents loaded", t["documents"]),
            ("documents rejected", t["rejected"])],
        latest=latest and run_facts(latest), latest_validation=latest and validation_section(latest, full=False),
        charts_run=charts_run, charts=charts, runs=runs, quality=quality,
        generated_at=data.generated_at, warehouse=data.warehouse,
    )


def build_validation_report(run: RunRecord, warehouse: str) -> str:
    return render(
        "validation_report.html.j2", title=f"Validation report — run {run.run_id}",
        subtitle="Great Expectations outcomes of one run of etl run",
        run=run_facts(run), validation=validation_section(run, full=True), warehouse=warehouse,
    )


# --------------------------------------------------------------------------- I/O


def render_charts(charts: list[Chart]) -> dict[str, str]:
    return {c.key: chart_svg(c.spec, c.key) for c in charts if c.spec is not None}


def write_dashboard(con, warehouse: Path, output: Path) -> Path:
    """The dashboard of the warehouse that `con` reads (etl/storage/readers.py), written to `output`."""
    from etl.storage.warehouse import Warehouse

    data = collect_dashboard(con, Warehouse(warehouse).logs, str(warehouse))
    html = build_dashboard(data, render_charts(dashboard_charts(data)))
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(html, encoding="utf-8")
    return output


def write_validation_report(warehouse: Path, run_id: str | None, output: Path | None) -> Path:
    """The report of one run (the newest log by default); raises NoRun for an unknown id."""
    from etl.storage.readers import open_reader
    from etl.storage.warehouse import NoWarehouse, Warehouse

    wh = Warehouse(warehouse)
    run_id = run_id or latest_log_id(wh.logs)
    if run_id is None:
        raise NoRun("no run has been logged yet")
    try:
        con = open_reader(wh.root)
    except NoWarehouse:
        con = None  # only failed runs so far: their logs are all there is
    try:
        record = collect_run(con, wh.logs, run_id)
    finally:
        if con is not None:
            con.close()
    output = output or wh.logs / f"{run_id}.html"
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(build_validation_report(record, str(warehouse)), encoding="utf-8")
    return output
