"""Bad input: one nightly folder per class of bad file, next to a good dump (the real
sample). Each is rejected with a one-line reason in `documents.error` and in the run
output, the good dump still loads, the run exits 1 and the bad file is left as it was.
Files that only look odd (cp1252, Latin-1, a BOM, CRLF) load, their encoding recorded.

All runs are independent (one warehouse each) and go in parallel in one fixture."""

from __future__ import annotations

import os
import random
import shutil
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import pytest

from tests.corpus import (
    HEADER_CP1252,
    LATIN1_PUNCTUATION,
    can_drop_root_read_powers,
    copy_warehouse,
    etl_subject_to_permissions,
    fingerprint,
    front_page,
    page,
    run_many,
    sample_posts,
    write,
)
from tests.utils import SAMPLE, etl, lake_rows, parquet_counts, rows, snapshot, table_counts

GOOD = "aletho-news-2020-01-09.txt"  # the real sample, in every folder
JAN7, JAN8 = date(2020, 1, 7), date(2020, 1, 8)
MAX_BYTES = 80_000  # the sample is 53,705 bytes, the archive 97,058

HTML = """<!DOCTYPE html>
<html lang="en-US">
<head>
<meta charset="UTF-8" />
<title>Aletho News | ΑΛΗΘΩΣ</title>
<link rel="stylesheet" id="all-css-0" href="https://s0.wp.com/_static/??-eJx9jEEKwzAMBD9URb.css" type="text/css" />
</head>
<body class="home blog">
<div id="content">
<h2 class="entry-title"><a href="https://alethonews.com/2020/01/09/the-kerfuffle-war/">{title}</a></h2>
<p>{byline}</p>
<p>{first}</p>
</div>
</body>
</html>
"""

SERVICE_UNAVAILABLE = (  # what the scraper saved the night the blog was down
    "Service Unavailable\n\n"
    "The server is temporarily unable to service your request due to maintenance downtime or capacity problems. "
    "Please try again later.\n\n"
    "Additionally, a 503 Service Unavailable error was encountered while trying to use an ErrorDocument "
    "to handle the request.\n"
)


@dataclass
class Case:
    folder: Path
    bad: Path
    warehouse: Path
    args: tuple = ()
    env: dict | None = None
    subject_to_permissions: bool = False
    before: tuple = ()
    result: object = None
    extra: dict = field(default_factory=dict)


def _html_page() -> str:
    post = sample_posts()[0]
    kept = [line for line in post.lines if line.strip()]
    return HTML.format(title=kept[0], byline=kept[1], first=kept[2])


def _latin1_page() -> bytes:
    """The posts of 2020-01-08 saved by a Latin-1 editor: typographic punctuation made
    plain, é and © kept, and one stray 0x81 byte (no cp1252 editor writes that)."""
    text = page([p for p in sample_posts() if p.posted_on == JAN8], HEADER_CP1252).translate(LATIN1_PUNCTUATION)
    raw = text.encode("latin-1")
    assert "Stéphanie" in text and "© Reuters" in text and b"White House, for its" in raw
    return raw.replace(b"White House, for its", b"White House,\x81 for its", 1)


@pytest.fixture(scope="module")
def cases(tmp_path_factory, sample_warehouse) -> dict[str, Case]:
    root = tmp_path_factory.mktemp("bad")
    posts = sample_posts()
    cases: dict[str, Case] = {}

    def case(name: str, bad_name: str, content: str | bytes | None = None, good: bool = True, **kw) -> Case:
        folder = root / name / "dumps"
        folder.mkdir(parents=True)
        if good:
            shutil.copyfile(SAMPLE, folder / GOOD)
        bad = folder / bad_name
        if content is not None:
            write(bad, content)
        cases[name] = c = Case(folder, bad, root / name / "warehouse", **kw)
        return c

    case("empty", "aletho-news-2020-01-10.txt", b"")
    write(cases["empty"].folder / "aletho-news-2020-01-11.txt", b"")  # the scraper failed two nights
    jpeg = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01" + random.Random(7).randbytes(8192)
    case("binary", "aletho-news-2020-01-10.txt", jpeg)
    rng = random.Random(8)
    case("binary_no_nul", "aletho-news-2020-01-10.txt", bytes(rng.randrange(1, 256) for _ in range(8192)))
    # A dump whose writer died: the file was extended with zeros after its text.
    case("nul_bytes", "aletho-news-2020-01-08.txt", front_page(JAN8).encode() + b"\x00" * 4096)
    case("html", "aletho-news-2020-01-10.txt", _html_page())
    case("no_post", "aletho-news-2020-01-10.txt", SERVICE_UNAVAILABLE)
    archive = "\n\n".join(front_page(d) for d in (JAN7, JAN8)) + "\n\n" + front_page(date(2020, 1, 9))
    case("too_large", "aletho-news-2020-01-archive.txt", archive, args=("--max-bytes", str(MAX_BYTES)))
    # A footer typo (year 2999) in a dump that sorts before the good one, so its copies of the
    # shared posts are the ones staged and validated.
    typo = [p for p in posts if p.posted_on <= JAN8]
    typo[0] = typo[0].with_posted_on(date(2999, 1, 8))
    case("invalid_post", "aletho-news-2020-01-08.txt", page(typo))
    case("all_invalid", "aletho-news-2020-01-08.txt", page(typo), good=False)
    case("corrupt_post", "aletho-news-2020-01-08.txt", front_page(JAN8), env={"ETL_CORRUPT": "posts.title"})
    c = case("corrupt_run_wide", "aletho-news-2020-01-08.txt", front_page(JAN8), env={"ETL_CORRUPT": "sources.name"})
    copy_warehouse(sample_warehouse, c.warehouse)
    # Readable bad names: a dangling link, a FIFO, a folder whose link points back up.
    c = case("dangling_link", "aletho-news-2020-01-10.txt")
    c.bad.symlink_to(c.folder / "removed" / "aletho-news-2020-01-10.txt")
    c = case("fifo", "aletho-news-2020-01-10.txt")
    os.mkfifo(c.bad)
    c = case("missing_path", "aletho-news-2020-01-10.txt")  # given, but the scraper never wrote it
    c.args = (c.bad,)
    c = case("symlink_loop", "archive/up")
    c.bad.parent.mkdir()
    c.bad.symlink_to("..")
    # Permissions: root reads anything, so these runs go without root's read powers.
    case("unreadable_file", "aletho-news-2020-01-10.txt", front_page(JAN8), subject_to_permissions=True)
    c = case("unreadable_folder", "2020-01", subject_to_permissions=True)
    write(c.bad / "aletho-news-2020-01-08.txt", front_page(JAN8))
    # Not bad at all: each alone, so the posts stored are the ones read from it.
    jan7 = [p for p in posts if p.posted_on == JAN7]
    case("cp1252", "aletho-news-2020-01-07.txt", page(jan7, HEADER_CP1252).encode("cp1252"), good=False)
    case("latin1", "aletho-news-2020-01-08.txt", _latin1_page(), good=False)
    case("bom", GOOD, b"\xef\xbb\xbf" + SAMPLE.read_bytes(), good=False)
    case("crlf", GOOD, SAMPLE.read_bytes().replace(b"\n", b"\r\n"), good=False)
    assert cases["too_large"].bad.stat().st_size > MAX_BYTES > SAMPLE.stat().st_size

    for c in cases.values():
        c.before = fingerprint(c.bad) if os.path.lexists(c.bad) else None
    # Without a way to make permissions apply (root that cannot drop its powers), those
    # cases are not run and their tests skip.
    runnable = {name: c for name, c in cases.items() if can_drop_root_read_powers() or not c.subject_to_permissions}
    modes = {c.bad: c.bad.stat().st_mode for c in runnable.values() if c.subject_to_permissions}
    for path in modes:
        path.chmod(0)
    try:
        results = run_many({
            name: (lambda c=c: (etl_subject_to_permissions if c.subject_to_permissions else etl)(
                "run", c.folder, "--warehouse", c.warehouse, *c.args, **({"env": c.env} if c.env else {})))
            for name, c in runnable.items()
        })
    finally:
        for path, mode in modes.items():
            path.chmod(mode)
    for name, result in results.items():
        cases[name].result = result
    return cases


def assert_rejected(c: Case, reason: str, exit_code: int = 1) -> str:
    """The bad file has a `rejected` row with `reason` in its one-line error, shown in the
    run output; the good dump loaded; the run exited `exit_code`. Returns the error."""
    if c.result is None:
        pytest.skip("running as root and cannot drop root's read powers: permissions cannot apply")
    r = c.result
    assert r.returncode == exit_code, r.stdout + r.stderr
    docs = {path: (status, error) for path, status, error in rows(c.warehouse,
            "select path, status, error from documents")}
    status, error = docs.pop(str(c.bad))
    assert status == "rejected"
    assert reason in error and "\n" not in error, error
    assert f"rejected {c.bad}: {error}" in r.stdout
    assert f"reason={error}" in r.stderr  # the log line
    assert docs[str(c.folder / GOOD)] == ("loaded", None)
    assert table_counts(c.warehouse)["posts"] == 12
    assert rows(c.warehouse, "select status, exit_code, documents_rejected from runs") == [("partial", 1, 1)]
    return error


def assert_untouched(c: Case) -> None:
    assert fingerprint(c.bad) == c.before  # (the tests restored the modes they changed)


def test_empty_file(cases):
    c = cases["empty"]
    assert assert_rejected(c, "empty file") == "empty file"
    assert_untouched(c)
    # The second empty file has the same bytes (same document id): skipped, not a second row.
    assert "1 skipped" in c.result.stdout
    assert (c.folder / "aletho-news-2020-01-11.txt").read_bytes() == b""


def test_binary_file(cases):
    c = cases["binary"]
    assert_rejected(c, "contains NUL bytes: a binary file, not a text dump")
    assert_untouched(c)


def test_binary_file_without_nul_bytes(cases):
    c = cases["binary_no_nul"]
    error = assert_rejected(c, "binary file: ")
    assert "control characters in" in error
    assert_untouched(c)


def test_text_with_nul_bytes(cases):
    c = cases["nul_bytes"]
    assert_rejected(c, "contains NUL bytes")
    assert_untouched(c)


def test_html_page_instead_of_a_dump(cases):
    c = cases["html"]
    assert_rejected(c, "an HTML page, not a text dump")
    assert_untouched(c)


def test_file_with_no_recognizable_post(cases):
    c = cases["no_post"]
    assert_rejected(c, "no recognizable post")
    assert_untouched(c)


def test_file_over_the_size_limit(cases):
    c = cases["too_large"]
    size = c.bad.stat().st_size
    assert assert_rejected(c, "over the limit") == \
        f"file is {size} bytes, over the limit of {MAX_BYTES} (--max-bytes)"
    assert rows(c.warehouse, "select size_bytes from documents where status = 'rejected'") == [(size,)]
    assert_untouched(c)


def test_post_failing_an_expectation_rejects_its_document(cases):
    c = cases["invalid_post"]
    error = assert_rejected(c, "failed expectation expect_column_values_to_be_between on posts.posted_on")
    assert "2999-01-08" in error
    assert rows(c.warehouse, "select count(*) from posts where year(posted_on) > 2020") == [(0,)]
    assert rows(c.warehouse, """
        select success, unexpected_count, rejected_documents from validation_results
        where table_name = 'posts' and column_name = 'posted_on' and expectation = 'expect_column_values_to_be_between'
        """) == [(False, 1, 1)]
    assert rows(c.warehouse, "select validation_status, expectations_failed from runs") == [("rejected-documents", 1)]
    assert_untouched(c)


def test_run_whose_every_document_fails_validation(cases):
    c = cases["all_invalid"]
    assert c.result.returncode == 1, c.result.stdout + c.result.stderr
    assert "validation: rejected-documents (62 expectations, 1 failed)" in c.result.stdout
    assert rows(c.warehouse, "select status, validation_status, documents_new, documents_rejected from runs") == \
        [("partial", "rejected-documents", 0, 1)]
    assert table_counts(c.warehouse)["posts"] == 0
    assert_untouched(c)


def test_corrupted_post_value_rejects_one_document(cases):
    c = cases["corrupt_post"]
    assert_rejected(c, "failed expectation expect_column_values_to_not_be_null on posts.title")
    assert rows(c.warehouse, "select count(*) from posts where title is null") == [(0,)]


def test_run_wide_failure_exits_3_and_publishes_nothing(cases, sample_warehouse):
    """corrupting a staged value so an expectation fails makes etl run exit 3 with nothing published"""
    c = cases["corrupt_run_wide"]
    r = c.result
    assert r.returncode == 3, r.stdout + r.stderr
    assert "validation FAILED, nothing published (exit 3)" in r.stdout
    assert "expect_column_values_to_not_be_null on sources.name" in r.stdout
    # The warehouse is exactly the one before the run: data, runs, Parquet, the pointer.
    assert snapshot(c.warehouse) == snapshot(sample_warehouse)
    assert table_counts(c.warehouse) == table_counts(sample_warehouse)
    assert parquet_counts(c.warehouse) == parquet_counts(sample_warehouse)
    assert lake_rows(c.warehouse, "runs") == lake_rows(sample_warehouse, "runs")
    assert not list((c.warehouse / ".tmp").iterdir())
    # Its summary is under logs/, as the only trace of the run.
    run_id = r.stdout.split()[1].rstrip(":")
    log = (c.warehouse / "logs" / f"{run_id}.json").read_text()
    assert '"status": "failed"' in log and '"published": false' in log
    assert_untouched(c)


def test_dangling_symlink_is_reported(cases):
    c = cases["dangling_link"]
    assert_rejected(c, "cannot read: No such file or directory")
    assert c.bad.is_symlink() and not c.bad.exists()


def test_missing_path_is_reported(cases):
    c = cases["missing_path"]
    assert_rejected(c, "no such file or folder")
    assert not os.path.lexists(c.bad)


def test_fifo_is_rejected_not_read_forever(cases):
    c = cases["fifo"]
    assert_rejected(c, "not a regular file")
    assert_untouched(c)


def test_unreadable_file(cases):
    c = cases["unreadable_file"]
    assert_rejected(c, "cannot read: Permission denied")
    assert_untouched(c)


def test_folder_without_permission(cases):
    c = cases["unreadable_folder"]
    assert_rejected(c, "cannot read folder: Permission denied")
    assert_untouched(c)


def test_symlink_loop(cases):
    c = cases["symlink_loop"]
    assert_rejected(c, "symlink loop")
    assert c.bad.is_symlink()


def test_cp1252_dump_loads_with_its_encoding(cases):
    c = cases["cp1252"]
    assert c.result.returncode == 0, c.result.stdout + c.result.stderr
    assert rows(c.warehouse, "select encoding, status, site_name, post_count from documents") == \
        [("cp1252", "loaded", "Aletho News", 4)]
    titles = {t for (t,) in rows(c.warehouse, "select title from posts")}
    assert titles == {p.title for p in sample_posts() if p.posted_on == JAN7}
    assert "UK defence secretary ‘reserves the right’ to ‘strike’ Iran" in titles  # 0x91, 0x92 in cp1252
    assert rows(c.warehouse, "select count(*) from posts where body like '%vis-à-vis%'") == [(1,)]
    assert_untouched(c)


def test_latin1_dump_loads_with_its_encoding(cases):
    c = cases["latin1"]
    assert c.result.returncode == 0, c.result.stdout + c.result.stderr
    assert rows(c.warehouse, "select encoding, status, post_count from documents") == [("latin-1", "loaded", 6)]
    titles = {t for (t,) in rows(c.warehouse, "select title from posts")}
    assert titles == {p.title.translate(LATIN1_PUNCTUATION) for p in sample_posts() if p.posted_on == JAN8}
    assert rows(c.warehouse, "select count(*) from posts where image_credit = '© Reuters / Alaa al-Marjani'") == [(1,)]
    assert rows(c.warehouse, "select count(*) from posts where body like '%Stéphanie Gresham%'") == [(1,)]
    assert rows(c.warehouse, "select count(*) from posts where body like '%White House,\x81 for its%'") == [(1,)]
    assert_untouched(c)


def test_utf8_bom_dump_loads(cases, sample_warehouse):
    c = cases["bom"]
    assert c.result.returncode == 0, c.result.stdout + c.result.stderr
    assert rows(c.warehouse, "select encoding, site_name, page_kind, post_count from documents") == \
        [("utf-8-sig", "Aletho News", "listing", 12)]
    first = rows(c.warehouse, "select title from posts order by line_number limit 1")[0][0]
    assert first == "The Kerfuffle War – Trump’s Iran De-escalation Succeeds"
    same = ("run_id", "document_id")
    assert snapshot(c.warehouse, same)["posts"] == snapshot(sample_warehouse, same)["posts"]
    assert_untouched(c)


def test_crlf_dump_loads_the_same_posts_as_lf(cases, sample_warehouse):
    c = cases["crlf"]
    assert c.result.returncode == 0, c.result.stdout + c.result.stderr
    assert rows(c.warehouse, "select encoding, page_kind, post_count, warning_count from documents") == \
        rows(sample_warehouse, "select encoding, page_kind, post_count, warning_count from documents")
    same = ("run_id", "document_id")
    got, want = snapshot(c.warehouse, same), snapshot(sample_warehouse, same)
    for table in ("posts", "post_tags", "comments", "authors", "sources", "tags"):
        assert got[table] == want[table], table
    assert not any("\r" in body for (body,) in rows(c.warehouse, "select body from posts"))
    assert_untouched(c)
