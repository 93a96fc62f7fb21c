"""`etl upgrade` for search: a warehouse from before search gets its index now, rather than
on its next run; an index from before search_docs.posted_on gets that filled
(sql/search/locate.sql). One commit, tagged with the latest run's id (as
etl/storage/upgrade.py's conversion is): the index of the posts that run left, read with them by `--as-of` that run."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

from etl.core.children import local_cores
from etl.core.duck import connect
from etl.search.index import Indexed, bring_up_to_date
from etl.storage import lake
from etl.storage.warehouse import Warehouse


def build(warehouse: Path, *, wait: bool, log: Callable[..., None], new_id: Callable[[], str]) -> Indexed | None:
    """Build the search index of a DuckLake warehouse that has none, or fill the posted_on of an
    older index's docs; published. None: no DuckLake, an index already current, or no post."""
    wh = Warehouse(warehouse)
    if wh.is_legacy() or not wh.exists():
        return None
    with wh.writer(wait, new_id) as upgrade_id:
        work = wh.tmp / upgrade_id
        (work / "spill").mkdir(parents=True)
        try:
            with connect(spill_to=work / "spill") as con:
                return _build(con, wh, work / "search", log)
        finally:
            shutil.rmtree(work, ignore_errors=True)


def _build(con, wh: Warehouse, folder: Path, log) -> Indexed | None:
    wh.open(con, log)
    run = lake.latest(con)
    if run is None:
        return None
    con.begin()
    done = bring_up_to_date(con, folder, local_cores())
    if done is None:
        con.rollback()
        return None
    wh.commit(con, run.run_id)
    log("search index built" if done.built else "search index located", warehouse=str(wh.root), **done.fields())
    if failed := wh.publish(con):
        log("publish failed", error=failed, note="the index is committed; the next run publishes it")
    return done

