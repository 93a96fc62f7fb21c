"""The relations one step of a run hands to the next: one registry of their names, where their
columns are defined, which step makes them and which steps read them.

A run's steps, in order (etl/run/pipeline.py `_Run`), are STEPS. Each relation lives in the run's
DuckDB connection only (a temporary table or view, a registered Arrow table, or a view over the
Parquet files under the run's folder); the lake's tables are what the run makes of them. The
steps take the names from here (`raw`, `staged`, `touched` and the constants), the SQL files use
them as written, and tests/test_relations.py checks every name the SQL reads against this
registry: registered, and made by the same or an earlier step. docs/architecture.md shows
`markdown()`.
"""

from __future__ import annotations

from dataclasses import dataclass

STEPS = ("discover", "extract", "stage", "validate", "merge", "index", "check", "record")

# The tables the extract workers write (raw_<table>) and the tables staging makes (staged_<table>):
# etl/core/schemas.py RAW_TABLES, RAW_INPUTS and DATA_TABLES name them; repeated here as names only,
# so that this module imports nothing (a test checks they agree).
RAW = ("documents", "document_warnings", "posts", "post_tags", "comments", "comment_entries", "input_files")
STAGED = ("documents", "sources", "authors", "tags", "posts", "post_tags", "comments", "comment_entries",
          "document_warnings")


def raw(table: str) -> str:
    return f"raw_{table}"


def staged(table: str) -> str:
    return f"staged_{table}"


def touched(table: str) -> str:
    return f"touched_{table}"


EXCLUDED_FILES = "excluded_files"
REJECTED_DOCUMENTS = "rejected_documents"
CHOSEN_POSTS = "chosen_posts"
MERGE_NEW_POSTS = "merge_new_posts"
MERGE_UPGRADED_POSTS = "merge_upgraded_posts"
MERGE_UPGRADES = "merge_upgrades"
MERGE_COMPLETED_POSTS = "merge_completed_posts"
SEARCH_REPLACED = "search_replaced"
STAGED_VALIDATION_RESULTS = "staged_validation_results"


@dataclass(frozen=True)
class Relation:
    name: str
    made_in: str  # the step (STEPS) that makes it
    made_by: str  # the SQL file (sql/<name>.sql) or the function that makes it
    columns: str  # where its columns are defined
    read_in: tuple[str, ...]  # the steps that read it
    what: str


def _registry() -> tuple[Relation, ...]:
    return (
        *(Relation(raw(t), "extract", "etl/run/transform.py write_raw; open_stage", "sql/stage/raw_tables.sql",
                   _RAW_READERS[t], f"the workers' {t} rows: one Parquet file per task, every copy of every post")
          for t in RAW),
        Relation(EXCLUDED_FILES, "stage", "etl/run/transform.py open_stage; stage/copies",
                 "etl/run/transform.py open_stage", ("stage",),
                 "input files left out: copies of a file read earlier in the run, rejected documents"),
        Relation(REJECTED_DOCUMENTS, "stage", "etl/run/transform.py open_stage; exclude_documents",
                 "sql/stage/raw_tables.sql", ("stage",), "the documents rows of the rejected documents"),
        Relation(CHOSEN_POSTS, "stage", "stage/chosen_posts", "sql/stage/chosen_posts.sql", ("stage", "merge"),
                 "the copy of each post the run keeps (the most complete, then the first), narrow: no body"),
        *(Relation(staged(t), "stage", f"stage/{t}", f"sql/tables/{t}.sql (and the seq of the raw row)",
                   _STAGED_READERS.get(t, ("validate", "merge", "check")), f"the run's new {t} rows, one per key")
          for t in STAGED),
        Relation(MERGE_NEW_POSTS, "merge", "load/merge", "sql/load/merge.sql", ("merge", "index"),
                 "the posts the merge inserted: post_id and the seq of their raw row"),
        Relation(MERGE_UPGRADED_POSTS, "merge", "load/merge", "sql/load/merge.sql", ("merge", "index"),
                 "stored posts (excerpts, cut off) the run brings a complete copy of"),
        Relation(MERGE_UPGRADES, "merge", "load/merge", "sql/load/merge.sql", ("merge",),
                 "the stored rows of those posts, replaced as whole rows"),
        Relation(MERGE_COMPLETED_POSTS, "merge", "load/merge", "sql/load/merge.sql", ("merge",),
                 "the complete copies that replace them"),
        Relation(SEARCH_REPLACED, "index", "search/replaced", "sql/search/replaced.sql", ("index",),
                 "the index's docs of the replaced posts, deleted before their new copies are indexed"),
        Relation(touched("<table>"), "check", "run/touched_rows", "the table's key", ("check",),
                 "the keys the run's new rows share: a table's uniqueness is checked on these only"),
        Relation(STAGED_VALIDATION_RESULTS, "record", "etl/run/pipeline.py _validation_rows",
                 "sql/tables/validation_results.sql", ("record",), "the run's expectation outcomes"),
    )


_RAW_READERS = {
    "documents": ("stage", "validate"), "document_warnings": ("stage",), "posts": ("stage", "merge", "index"),
    "post_tags": ("stage",), "comments": ("stage",), "comment_entries": ("stage",), "input_files": ("record",),
}
_STAGED_READERS = {"documents": ("stage", "validate", "merge", "check"), "posts": ("stage", "validate", "merge",
                                                                                    "index", "check")}


def relations() -> dict[str, Relation]:
    """Every relation, by name (touched_<table> once, as `touched_<table>`)."""
    return {r.name: r for r in _registry()}


def find(name: str) -> Relation | None:
    """The relation a name in SQL names (touched_posts: the touched_<table> entry)."""
    found = relations()
    if name.startswith("touched_"):
        return found[touched("<table>")]
    return found.get(name)


def markdown() -> str:
    """The registry as the table docs/architecture.md shows, in the order of the steps."""
    lines = ["| relation | made in | by | columns | read in | what |", "| --- | --- | --- | --- | --- | --- |"]
    for r in sorted(_registry(), key=lambda r: STEPS.index(r.made_in)):
        lines.append(f"| `{r.name}` | {r.made_in} | {r.made_by} | {r.columns} | {', '.join(r.read_in)} | {r.what} |")
    return "\n".join(lines) + "\n"
