"""What a run did, as one typed record, built once by the pipeline (or by a rollback) and read
everywhere else:
- its `runs` row (`runs_row`, inserted by column name by sql/load/insert_run.sql; `bi_runs`
  reads that table), and back (`from_runs_row`, when a run's log is gone);
- its JSON log (logs/<run_id>.json, and `etl run --summary-json`: `to_dict`, `from_dict`);
- the CLI's summary and the dashboard, which take the record itself."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any


@dataclass(frozen=True)
class Documents:
    new: int = 0
    skipped: int = 0
    rejected: int = 0


@dataclass(frozen=True)
class Posts:
    in_new_documents: int = 0
    new: int = 0
    updated: int = 0  # stored as an excerpt or cut off, now complete


@dataclass(frozen=True)
class Rejection:
    path: str
    reason: str


@dataclass(frozen=True)
class Failure:
    """An expectation that failed in a way no single document explains (the run stopped)."""

    table: str
    expectation: str
    column: str | None
    unexpected_count: int
    examples: list = field(default_factory=list)


@dataclass(frozen=True)
class Validation:
    status: str  # passed | rejected-documents | not-run | failed
    evaluated: int | None = None
    failed: int = 0
    failures: list[Failure] = field(default_factory=list)  # when the run stopped at validation


@dataclass(frozen=True)
class Places:
    root: str
    published: str  # the BI file
    manifest: str  # the Parquet files of the published snapshot


@dataclass(frozen=True)
class Provenance:
    """Which release, config, lists and suites a run used (etl/core/project.py `provenance`)."""

    etl_version: str | None
    config_file: str | None = None
    config_sha256: str | None = None
    lists_sha256: str | None = None
    suites_sha256: str | None = None


@dataclass(frozen=True)
class RunSummary:
    run_id: str
    status: str  # succeeded | partial | noop | failed
    exit_code: int
    started_at: str
    validation: Validation
    finished_at: str | None = None
    documents: Documents = Documents()
    posts: Posts = Posts()
    rejected: list[Rejection] = field(default_factory=list)
    table_rows: dict[str, int] = field(default_factory=dict)
    timings: dict[str, float] = field(default_factory=dict)
    warehouse: Places | None = None
    log: str | None = None
    publish_error: str | None = None  # the run committed, but publishing failed: why (exit 6)
    full_refresh: bool = False
    made_by: Provenance | None = None

    @property
    def published(self) -> bool:
        return self.status != "failed"

    def to_dict(self) -> dict[str, Any]:
        """The JSON of the run's log. A run that stopped at validation lists its failures
        under validation.failed, and says it published nothing."""
        d = asdict(self)
        failures = d["validation"].pop("failures")
        if self.published:
            return {k: v for k, v in d.items() if v is not None}
        return {"run_id": self.run_id, "status": self.status, "exit_code": self.exit_code,
                "started_at": self.started_at, "validation": {"status": self.validation.status, "failed": failures},
                "published": False} | ({"log": self.log} if self.log else {})

    def runs_row(self) -> dict[str, object]:
        """The run's row of `runs` (sql/tables/runs.sql), by column name."""
        made_by = self.made_by or Provenance(None)
        return {
            "run_id": self.run_id, "started_at": datetime.fromisoformat(self.started_at),
            "finished_at": datetime.fromisoformat(self.finished_at) if self.finished_at else None,
            "status": self.status, "exit_code": self.exit_code, "full_refresh": self.full_refresh,
            "documents_new": self.documents.new, "documents_skipped": self.documents.skipped,
            "documents_rejected": self.documents.rejected, "posts_new": self.posts.new,
            "posts_updated": self.posts.updated, "validation_status": self.validation.status,
            "expectations_evaluated": self.validation.evaluated or 0,
            "expectations_failed": self.validation.failed, "table_rows": json.dumps(self.table_rows),
            **asdict(made_by)}

    @classmethod
    def from_runs_row(cls, row: dict[str, Any]) -> RunSummary:
        """The record from its `runs` row (what a row keeps: no timings, rejections or places)."""
        made_by = {k: row.get(k) for k in Provenance.__dataclass_fields__}
        return cls(
            run_id=row["run_id"], status=row["status"], exit_code=row["exit_code"],
            started_at=_iso(row["started_at"]), finished_at=_iso(row["finished_at"]),
            documents=Documents(row["documents_new"], row["documents_skipped"], row["documents_rejected"]),
            posts=Posts(new=row["posts_new"], updated=row["posts_updated"]),
            validation=Validation(row["validation_status"], row["expectations_evaluated"], row["expectations_failed"]),
            table_rows=json.loads(row["table_rows"]) if row.get("table_rows") else {},
            full_refresh=row["full_refresh"], made_by=Provenance(**made_by) if any(made_by.values()) else None,
        )

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> RunSummary:
        """A summary from a run's log (of this release or an earlier one)."""
        v = dict(d.get("validation") or {"status": "?"})
        failed = v.get("failed", 0)
        failures = [Failure(**f) for f in failed] if isinstance(failed, list) else []
        return cls(
            run_id=d["run_id"], status=d.get("status", "?"), exit_code=d.get("exit_code", -1),
            started_at=d.get("started_at", ""), finished_at=d.get("finished_at"),
            validation=Validation(v.get("status", "?"), v.get("evaluated"),
                                  len(failures) if failures else int(failed or 0), failures),
            documents=Documents(**d.get("documents", {})), posts=Posts(**d.get("posts", {})),
            rejected=[Rejection(**r) for r in d.get("rejected", [])],
            table_rows=d.get("table_rows", {}), timings=d.get("timings", {}),
            warehouse=Places(**d["warehouse"]) if d.get("warehouse") else None, log=d.get("log"),
            publish_error=d.get("publish_error"), full_refresh=d.get("full_refresh", False),
            made_by=Provenance(**d["made_by"]) if d.get("made_by") else None,
        )


def _iso(value: datetime | str | None) -> str | None:
    return value.isoformat() if isinstance(value, datetime) else value
