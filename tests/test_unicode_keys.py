"""Ids that do not depend on the Unicode form: a dump saved in NFD (é as e + U+0301, as macOS
saves it) loads as the same dump in NFC, and a warehouse the release before built from such a
dump is upgraded so that the NFC form does not duplicate its posts (etl/run/rekey.py).

The earlier release is the code of commit LEGACY, taken with `git archive` and run as its own
interpreter: its warehouses are what users have. A dump with accents in a title, in author
and outlet names and in a category is loaded by it in NFD, then by this release:
- in NFC, its dump still there (the posts re-keyed from the dump read again);
- in NFC, its dump gone (left pending, then re-keyed from the run's own copy);
- after both forms were loaded by the earlier release (its duplicates become one row);
- by `etl upgrade`;
and each ends with the rows a new warehouse gets from the NFC dump."""

from __future__ import annotations

import json
import shutil
import subprocess
import unicodedata
from pathlib import Path

import pytest

from tests.corpus import run_many, write
from tests.utils import ROOT, SAMPLE, etl, lake_rows, rows, snapshot

LEGACY = "94c71b8"  # the last commit whose ids depend on the Unicode form
ACCENTS = [  # the sample made to hold accents in a title, two authors, an outlet and a category
    ("The Kerfuffle War", "The Kerfuffle Wär"),
    ("By Joaquin Flores | Strategic Culture Foundation | January 9, 2020",
     "By Joaquín Flores | Réseau Voltaire | January 9, 2020"),
    ("By Paul Antonopoulos | January 9, 2020", "By Paul Antonópoulos | January 9, 2020"),
    ("RT | January 8, 2020", "RT Français | January 8, 2020"),
    ("January 9, 2020 Posted by | Militarism |", "January 9, 2020 Posted by | Militarism, Géopolitique |"),
]
RENAMED = {"authors": {"Joaquín Flores", "Paul Antonópoulos"}, "sources": {"Réseau Voltaire", "RT Français"},
           "tags": {"Géopolitique"}}
TITLE = "The Kerfuffle Wär – Trump’s Iran De-escalation Succeeds"  # as stored: spaces collapsed
KEYED = ("authors", "sources", "tags", "posts", "post_tags", "comment_entries")  # tables without documents


def accented() -> str:
    text = SAMPLE.read_text(encoding="utf-8")
    for old, new in ACCENTS:
        assert text.count(old) == 1, old
        text = text.replace(old, new)
    return text


def legacy_code(dest: Path) -> Path:
    """The earlier release's code, sql, suites and data in `dest`."""
    dest.mkdir()
    archive = subprocess.run(["git", "-C", str(ROOT), "archive", LEGACY, "etl", "sql", "data", "expectations"],
                             capture_output=True, check=True).stdout
    subprocess.run(["tar", "-x", "-C", str(dest)], input=archive, check=True)
    return dest


def legacy_run(code: Path, cwd: Path, *args) -> None:
    done = etl(*args, cwd=cwd, env={"PYTHONPATH": str(code)})
    assert done.returncode == 0, done.stdout + done.stderr


def keyed(warehouse: Path) -> dict[str, list[tuple]]:
    """The rows of the keyed tables, without run ids and documents (dumps differ in bytes)."""
    return {t: rows for t, rows in snapshot(warehouse, ("run_id", "document_id")).items() if t in KEYED}


@pytest.fixture(scope="module")
def worlds(tmp_path_factory) -> dict:
    root = tmp_path_factory.mktemp("unicode-keys")
    code = legacy_code(root / "legacy")
    text = accented()
    write(root / "nfd" / "aletho-news-2020-01-09.txt", unicodedata.normalize("NFD", text))
    write(root / "nfc" / "aletho-news-2020-01-09.txt", text)
    elsewhere = root / "elsewhere"  # a working folder where the NFD dump's relative path leads nowhere
    shutil.copytree(root / "nfc", elsewhere / "nfc")
    (elsewhere / "none").mkdir()  # no dump at all
    legacy_run(code, root, "run", "nfd", "-w", "old")  # the path recorded: nfd/aletho-news-2020-01-09.txt
    old = root / "old"
    for name in ("kept", "gone", "upgrade"):
        shutil.copytree(old, root / name, symlinks=True)
    shutil.copytree(old, root / "both", symlinks=True)
    legacy_run(code, root, "run", "nfc", "-w", "both")  # the earlier release: duplicates
    both_before = rows(root / "both", "select count(*) from posts")[0][0]
    runs = run_many({
        "new": lambda: etl("run", "nfc", "-w", "new", cwd=root),
        "new-nfd": lambda: etl("run", "nfd", "-w", "new-nfd", cwd=root),
        "kept": lambda: etl("run", "nfc", "-w", "kept", cwd=root),
        "both": lambda: etl("run", "nfc", "nfd", "-w", "both", cwd=root),
        "upgrade": lambda: etl("upgrade", "-w", "upgrade", cwd=root),
        "gone": lambda: etl("run", "none", "-w", root / "gone", cwd=elsewhere),
    })
    runs["gone-pending"] = lake_rows(root / "gone", "upgrades")
    shutil.copytree(root / "gone", root / "back", symlinks=True)
    runs |= run_many({  # then the NFC dump: the first copy the pending posts meet; and once more
        "gone-then": lambda: etl("run", "nfc", "-w", root / "gone", cwd=elsewhere),
        "back": lambda: etl("upgrade", "-w", "back", cwd=root),  # where the dump's path leads to it again
        "upgrade-then": lambda: etl("run", "nfc", "-w", "upgrade", cwd=root),
        "kept-again": lambda: etl("run", "nfc", "-w", "kept", cwd=root),
    })
    return {"root": root, "runs": runs, "both_before": both_before, "old": old}


def test_a_dump_in_nfd_loads_as_the_same_dump_in_nfc(worlds):
    root = worlds["root"]
    assert keyed(root / "new-nfd") == keyed(root / "new")
    names = {t: {n for (n,) in rows(root / "new", f"select name from {t}")} for t in RENAMED}
    assert all(RENAMED[t] <= names[t] for t in RENAMED)
    assert rows(root / "new", "select count(*) from posts where title = ?", [TITLE]) == [(1,)]


def test_the_earlier_release_keyed_nfd_apart(worlds):
    """What the upgrade is for: the earlier release gave the NFD and the NFC form of a post
    two rows, and names without their accents."""
    assert worlds["both_before"] == 15  # 12 posts, 3 of them twice
    old = worlds["old"]
    assert rows(old, "select count(*) from posts where title = ?", [TITLE]) == [(0,)]  # stored in NFD
    assert rows(old, "select count(*) from posts where title = ?", [unicodedata.normalize("NFD", TITLE)]) == [(1,)]


@pytest.mark.parametrize("world", ["kept", "both", "upgrade-then", "gone-then"])
def test_an_upgraded_warehouse_holds_what_a_new_one_does(worlds, world):
    root, runs = worlds["root"], worlds["runs"]
    assert runs[world].returncode == 0, runs[world].stdout + runs[world].stderr
    wh = root / world.removesuffix("-then")
    assert keyed(wh) == keyed(root / "new")  # the same ids, names and text (NFC)
    assert rows(wh, "select count(*), count(distinct post_id), count(distinct document_id) from comments") == \
        [(24, 12, 2)]  # each post seen in both dumps
    assert rows(wh, "select count(*) from posts where title <> nfc_normalize(title) or body <> nfc_normalize(body)"
                ) == [(0,)]


def test_posts_re_keyed_from_their_dumps_read_again(worlds):
    kept = worlds["runs"]["kept"]
    assert "upgraded keys authors=2 sources=2 tags=1 posts=3 pending_posts=0 unreadable_dumps=0" in kept.stderr
    assert "posts: 12 in new documents (0 new, 0 completed)" in kept.stdout
    again = worlds["runs"]["kept-again"]  # once per warehouse
    assert again.returncode == 0 and "upgraded keys" not in again.stderr, again.stderr


def test_posts_whose_dumps_are_gone_wait_for_a_copy(worlds):
    """The NFD dump's recorded path leads nowhere: the upgrade re-keys the names, leaves the
    posts pending, and the run that loads their NFC copy re-keys them."""
    runs = worlds["runs"]
    assert "upgraded keys authors=2 sources=2 tags=1 posts=0 pending_posts=3 unreadable_dumps=1" in \
        runs["gone"].stderr
    assert len(runs["gone-pending"]) == 4  # the upgrade's row, and the 3 posts
    assert "re-keyed pending posts posts=3" in runs["gone-then"].stderr
    assert lake_rows(worlds["root"] / "gone", "upgrades") == [r for r in runs["gone-pending"] if r[2] is None]


def test_etl_upgrade_re_keys_pending_posts_whose_dumps_are_back(worlds):
    root, back = worlds["root"], worlds["runs"]["back"]
    assert back.returncode == 0, back.stdout + back.stderr
    assert "ids of the NFC form of their text: re-keyed 3 posts\n" in back.stdout
    assert len(lake_rows(root / "back", "upgrades")) == 1
    assert keyed(root / "back")["posts"] == keyed(root / "new")["posts"]


@pytest.mark.parametrize("world", ["gone", "back"])
def test_the_search_index_follows_posts_re_keyed_later(worlds, world):
    """The index was built with the pending posts' old ids (by the upgrade's run); the run or
    `etl upgrade` that re-keys them re-keys their index rows: the post is found by its title."""
    wh = worlds["root"] / world
    assert rows(wh, "select count(*) from search_docs where post_id not in (select post_id from posts)") == [(0,)]
    found = etl("search", "Kerfuffle Wär", "-w", wh, "--format", "json", cwd=worlds["root"])
    assert found.returncode == 0, found.stderr
    (new_id,) = rows(worlds["root"] / "new", "select post_id from posts where title = ?", [TITLE])[0]
    assert json.loads(found.stdout)[0]["post_id"] == new_id


def test_the_earlier_releases_duplicates_become_one_row(worlds):
    both = worlds["runs"]["both"]
    assert "upgraded keys authors=2 sources=2 tags=1 posts=3 pending_posts=0" in both.stderr
    assert "nothing new: the warehouse is unchanged" in both.stdout


def test_etl_upgrade_re_keys_an_earlier_warehouse(worlds):
    up = worlds["runs"]["upgrade"]
    assert up.returncode == 0, up.stdout + up.stderr
    assert "ids of the NFC form of their text: re-keyed 2 authors, 2 sources, 1 tags, 3 posts" in up.stdout
    assert "upgraded keys" not in worlds["runs"]["upgrade-then"].stderr
