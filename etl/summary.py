"""What a run did, as one typed object: built by the pipeline, written as the run's JSON log
(logs/<run_id>.json, and `etl run --summary-json`), printed by the CLI, read back by the
dashboard. `to_dict` and `from_dict` are the JSON's one definition."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
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
            publish_error=d.get("publish_error"),
        )
