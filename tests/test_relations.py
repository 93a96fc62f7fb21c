"""The registry of the relations between a run's steps (etl/core/relations.py) against the SQL that
makes and reads them, and against the doc that shows it."""

from __future__ import annotations

import re

import pytest

from etl.core import relations
from etl.core.relations import STEPS
from etl.core.schemas import DATA_TABLES, RAW_INPUTS, RAW_TABLES
from etl.core.settings import sql_dir
from tests.utils import ROOT

# Which step runs each SQL file of a run: by folder, the file's own entry first.
SQL_STEPS = {
    "run/select_inputs": "discover", "run/known_documents": "discover", "run/staged_counts": "stage",
    "run/documents_of": "validate", "run/touched_rows": "check", "stage/": "stage", "load/merge": "merge",
    "load/post_counts": "merge", "search/": "index", "load/input_files": "record",
    "load/insert_validation_results": "record", "load/insert_run": "record",
}
# Hand-off names look like these; any such name in the SQL must be in the registry.
HAND_OFF = re.compile(r"\b(?:(?:raw|staged|merge|touched|chosen|excluded|rejected)_\w+|search_replaced)\b")


def _step(name: str) -> str:
    return SQL_STEPS.get(name) or SQL_STEPS[name.split("/")[0] + "/"]


def _names_read(text: str) -> set[str]:
    """Hand-off names in SQL, outside comments and string literals ({table} templates: not names)."""
    text = re.sub(r"--[^\n]*", "", text)
    text = re.sub(r"'(?:[^']|'')*'", "''", text)
    return {m for m in HAND_OFF.findall(text) if "{" not in m}


def _run_sql() -> dict[str, str]:
    files = {}
    for folder in ("run", "stage", "load", "search"):
        for path in sorted((sql_dir() / folder).glob("*.sql")):
            if path.stem != "raw_tables":  # the raw tables' columns, not a step
                files[f"{folder}/{path.stem}"] = path.read_text(encoding="utf-8")
    return files


@pytest.mark.parametrize("name", sorted(_run_sql()))
def test_every_relation_the_sql_reads_is_made_by_an_earlier_step(name):
    step = _step(name)
    for read in _names_read(_run_sql()[name]):
        relation = relations.find(read)
        assert relation is not None, f"sql/{name}.sql reads {read}, which etl/core/relations.py does not register"
        made_here = relation.made_by.split(";")[0] == name or name in relation.made_by
        assert made_here or STEPS.index(relation.made_in) <= STEPS.index(step), \
            f"sql/{name}.sql ({step}) reads {read}, made later ({relation.made_in})"
        assert made_here or step in relation.read_in, \
            f"sql/{name}.sql ({step}) reads {read}: the registry does not list {step} among its readers"


def test_the_registry_names_the_tables_of_the_schemas():
    assert (*RAW_TABLES, RAW_INPUTS) == relations.RAW
    assert relations.STAGED == DATA_TABLES


def test_every_relation_is_read_and_made_where_the_registry_says():
    texts = _run_sql()
    read_anywhere = set().union(*(_names_read(t) for t in texts.values()))
    python = "".join(p.read_text(encoding="utf-8") for p in (ROOT / "etl").rglob("*.py"))
    for r in relations.relations().values():
        if r.name.startswith("touched_"):
            continue
        assert r.name in read_anywhere, f"{r.name} is read by no SQL"
        for maker in r.made_by.split("; "):
            source = texts.get(maker) if "/" in maker and not maker.startswith("etl/") else python
            assert source is not None, f"{r.name}: no sql/{maker}.sql"
        assert all(step in STEPS for step in (r.made_in, *r.read_in))


def test_staging_makes_the_relations_under_their_registered_names(tmp_path):
    """A real staging of the sample's raw rows makes every raw_, staged_ relation and chosen_posts."""
    import hashlib

    from etl.core import duck
    from etl.core.reference import load_reference
    from etl.core.settings import default_lists_dir
    from etl.extract import parse_page
    from etl.extract.reader import to_document
    from etl.run.transform import Parsed, document_rows, empty_rows, open_stage, stage, write_raw
    from tests.utils import SAMPLE

    data = SAMPLE.read_bytes()
    doc = to_document(str(SAMPLE), hashlib.sha256(data).hexdigest(), data)
    ref = load_reference(default_lists_dir())
    rows = empty_rows()
    document_rows(Parsed(doc, parse_page(doc.text, ref)), 0, "r1", ref, rows)
    write_raw(rows, tmp_path / "raw", "task-0")
    with duck.connect() as con:
        open_stage(con, tmp_path / "raw")
        stage(con, tmp_path / "staged")
        made = {name for (name,) in con.execute(
            "select table_name from information_schema.tables where table_catalog = 'temp'").fetchall()}
        assert {relations.raw(t) for t in relations.RAW} | {relations.staged(t) for t in relations.STAGED} \
            | {relations.CHOSEN_POSTS, relations.EXCLUDED_FILES, relations.REJECTED_DOCUMENTS} <= made
        assert con.execute(f"select count(*) from {relations.staged('posts')}").fetchone()[0] == 12


def test_the_doc_shows_the_registry():
    assert relations.markdown() in (ROOT / "docs" / "architecture.md").read_text(encoding="utf-8")
