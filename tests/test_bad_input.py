"""Bad input: every class of bad file is rejected with a one-line reason, and files that only
look odd (cp1252, Latin-1, a BOM, CRLF) are read, their encoding recorded.

The reasons are checked where they are made, in milliseconds: the reader (etl/extract/
reader.py: `read_bytes`, `to_document`), the workers' task (`workers.work`: a file with no
post, the same bytes twice) and the discovery of inputs (`inputs.discover`: folders, links,
missing paths). A run whose every document fails validation is checked in process (a
corrupted value rejecting one document: in tests/test_dashboard.py). One real `etl run` over
a folder holding all of them at once, next to good dumps, checks what the run makes of them:
each rejected with that same reason in the output, the log and `documents.error`, the
good dumps loaded, exit 1, and no input file changed."""

from __future__ import annotations

import hashlib
import json
import os
import random
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest

from etl.core.reference import load_reference
from etl.core.settings import DEFAULT_MAX_BYTES
from etl.core.summary import Validation
from etl.extract import parse_page
from etl.extract.reader import Document, Rejected, path_id, read_bytes, to_document
from etl.run import pipeline, workers
from etl.run.inputs import Known, discover
from tests.corpus import (
    HEADER_CP1252,
    LATIN1_PUNCTUATION,
    _drop_root_read_powers,
    can_drop_root_read_powers,
    etl_subject_to_permissions,
    fingerprint,
    front_page,
    page,
    sample_posts,
    write,
)
from tests.utils import ROOT, SAMPLE, etl, expectation_count, rows, table_counts

quick = pytest.mark.quick  # the reader's tests; the runs below are not

GOOD = "aletho-news-2020-01-09.txt"  # the real sample
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


# ---------------------------------------------------------------- the bad files


def jpeg() -> bytes:
    return b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01" + random.Random(7).randbytes(8192)


def binary_without_nul() -> bytes:
    rng = random.Random(8)
    return bytes(rng.randrange(1, 256) for _ in range(8192))


def truncated_with_nul() -> bytes:
    """A dump whose writer died: the file was extended with zeros after its text."""
    return front_page(JAN8).encode() + b"\x00" * 4096


def html_page() -> str:
    post = sample_posts()[0]
    kept = [line for line in post.lines if line.strip()]
    return HTML.format(title=kept[0], byline=kept[1], first=kept[2])


def archive() -> str:
    """Three front pages in one file: over MAX_BYTES."""
    return "\n\n".join(front_page(d) for d in (JAN7, JAN8, date(2020, 1, 9)))


def typo_page() -> str:
    """A footer typo (year 2999) in the posts up to January 8: the dump sorts before the good
    one, so its copies of the shared posts are the ones staged and validated."""
    typo = [p for p in sample_posts() if p.posted_on <= JAN8]
    typo[0] = typo[0].with_posted_on(date(2999, 1, 8))
    return page(typo)


def cp1252_page() -> bytes:
    return page([p for p in sample_posts() if p.posted_on == JAN7], HEADER_CP1252).encode("cp1252")


def latin1_page() -> bytes:
    """The posts of 2020-01-08 saved by a Latin-1 editor: typographic punctuation made
    plain, é and © kept, and one stray 0x81 byte (no cp1252 editor writes that)."""
    text = page([p for p in sample_posts() if p.posted_on == JAN8], HEADER_CP1252).translate(LATIN1_PUNCTUATION)
    raw = text.encode("latin-1")
    assert "Stéphanie" in text and "© Reuters" in text and b"White House, for its" in raw
    return raw.replace(b"White House, for its", b"White House,\x81 for its", 1)


def rejected(path: Path, max_bytes: int = DEFAULT_MAX_BYTES) -> Rejected:
    """What the reader raises for `path` (its bytes read, then decoded), the file left as it was."""
    before = fingerprint(path) if os.path.lexists(path) else None
    with pytest.raises(Rejected) as raised:
        document_id, raw, _ = read_bytes(path, max_bytes)
        to_document(str(path), document_id, raw)
    r = raised.value
    assert r.path == str(path) and "\n" not in r.reason, r
    assert (fingerprint(path) if os.path.lexists(path) else None) == before
    return r


def read(path: Path) -> Document:
    document_id, raw, _ = read_bytes(path, DEFAULT_MAX_BYTES)
    return to_document(str(path), document_id, raw)


def rejected_bytes(tmp_path: Path, content: str | bytes, name: str = "aletho-news-2020-01-10.txt") -> Rejected:
    """What the reader raises for a file of these bytes: its document id is the bytes' hash,
    its size their length."""
    path = write(tmp_path / name, content)
    r = rejected(path)
    raw = path.read_bytes()
    assert (r.document_id, r.size_bytes) == (hashlib.sha256(raw).hexdigest(), len(raw))
    return r


def settings(tmp_path: Path, max_bytes: int = DEFAULT_MAX_BYTES) -> workers.WorkerContext:
    return workers.WorkerContext(known=Known(), max_bytes=max_bytes, ref=load_reference(),
                            run_id="test", raw_dir=tmp_path / "raw")


# ---------------------------------------------------------------- the reader's reasons


@quick
def test_empty_file(tmp_path):
    assert rejected_bytes(tmp_path, b"").reason == "empty file"
    assert rejected_bytes(tmp_path, b"\n \n\t\n", "blank.txt").reason == "empty file"


@quick
def test_two_empty_files_are_one_rejected_document(tmp_path):
    """The scraper failed two nights: the second empty file has the same bytes (the same
    document id), so it is skipped, not a second rejected row."""
    first = write(tmp_path / "aletho-news-2020-01-10.txt", b"")
    second = write(tmp_path / "aletho-news-2020-01-11.txt", b"")
    chunk = workers.work([(0, str(first)), (1, str(second))], settings(tmp_path))
    assert [(r.path, r.reason) for r in chunk.rejected] == [(str(first), "empty file")]
    assert chunk.skipped == [str(second)] and chunk.parsed == []
    assert second.read_bytes() == b""


@quick
def test_binary_file(tmp_path):
    assert rejected_bytes(tmp_path, jpeg()).reason == "contains NUL bytes: a binary file, not a text dump"


@quick
def test_binary_file_without_nul_bytes(tmp_path):
    reason = rejected_bytes(tmp_path, binary_without_nul()).reason
    assert reason.startswith("binary file: ") and "control characters in" in reason, reason


@quick
def test_text_with_nul_bytes(tmp_path):
    assert "contains NUL bytes" in rejected_bytes(tmp_path, truncated_with_nul()).reason


@quick
def test_html_page_instead_of_a_dump(tmp_path):
    assert rejected_bytes(tmp_path, html_page()).reason == "an HTML page, not a text dump"


@quick
def test_file_with_no_recognizable_post(tmp_path):
    path = write(tmp_path / "aletho-news-2020-01-10.txt", SERVICE_UNAVAILABLE)
    assert read(path).text == SERVICE_UNAVAILABLE  # readable text, ...
    chunk = workers.work([(0, str(path))], settings(tmp_path))  # ... but no post in it
    (r,) = chunk.rejected
    assert (r.path, r.reason) == (str(path), "no recognizable post (no byline, no post footer)")
    assert (r.document_id, r.size_bytes) == (hashlib.sha256(path.read_bytes()).hexdigest(), path.stat().st_size)
    assert chunk.parsed == [] and chunk.skipped == []


@quick
def test_file_over_the_size_limit(tmp_path):
    path = write(tmp_path / "aletho-news-2020-01-archive.txt", archive())
    size = path.stat().st_size
    assert size > MAX_BYTES > SAMPLE.stat().st_size
    r = rejected(path, MAX_BYTES)
    assert r.reason == f"file is {size} bytes, over the limit of {MAX_BYTES} (--max-bytes)"
    assert (r.size_bytes, r.document_id) == (size, path_id(str(path)))  # not read: its size is known, not its bytes


@quick
def test_dangling_symlink_is_reported(tmp_path):
    link = tmp_path / "dumps" / "aletho-news-2020-01-10.txt"
    link.parent.mkdir()
    link.symlink_to(tmp_path / "dumps" / "removed" / "aletho-news-2020-01-10.txt")
    # Discovered, in a folder or given by name: the reader says why it cannot be read.
    assert discover([link.parent]) == ([str(link)], [])
    assert discover([link]) == ([str(link)], [])
    r = rejected(link)
    assert (r.reason, r.size_bytes, r.document_id) == ("cannot read: No such file or directory", None,
                                                       path_id(str(link)))
    assert link.is_symlink() and not link.exists()


@quick
def test_fifo_is_rejected_not_read_forever(tmp_path):
    fifo = tmp_path / "aletho-news-2020-01-10.txt"
    os.mkfifo(fifo)
    assert discover([tmp_path]) == ([str(fifo)], [])
    assert rejected(fifo).reason == "not a regular file"


@quick
def test_missing_path_is_reported(tmp_path):
    missing = tmp_path / "aletho-news-2020-01-10.txt"  # given, but the scraper never wrote it
    files, problems = discover([SAMPLE, missing])
    assert files == [str(SAMPLE)]
    assert problems == [Rejected(path_id(str(missing)), str(missing), None, "no such file or folder")]
    assert not os.path.lexists(missing)


@quick
def test_symlink_loop(tmp_path):
    dumps = tmp_path / "dumps"
    good = write(dumps / GOOD, SAMPLE.read_bytes())
    loop = dumps / "archive" / "up"
    loop.parent.mkdir()
    loop.symlink_to("..")
    files, problems = discover([dumps])
    assert files == [str(good)]
    assert [(p.path, p.reason, p.size_bytes) for p in problems] == [
        (str(loop), "symlink loop: folder already visited", None)]
    assert loop.is_symlink()


PERMISSIONS_PROBE = """
import json, sys
from pathlib import Path
from etl.extract.reader import Rejected, read_bytes
from etl.run.inputs import discover
file, folder = Path(sys.argv[1]), Path(sys.argv[2])
try:
    read_bytes(file, 10**9)
    reason = None
except Rejected as r:
    reason = r.reason
files, problems = discover([folder])
problems = [[p.path, p.reason] for p in problems]
print(json.dumps({"file": reason, "files": [str(f) for f in files], "problems": problems}))
"""


@quick
def test_unreadable_file_and_folder(tmp_path):
    """Root reads anything: the reader and discovery run in a process without root's read powers."""
    if not can_drop_root_read_powers():
        pytest.skip("running as root and cannot drop root's read powers: permissions cannot apply")
    dumps = tmp_path / "dumps"
    good = write(dumps / GOOD, SAMPLE.read_bytes())
    unreadable = write(tmp_path / "aletho-news-2020-01-10.txt", front_page(JAN8))
    locked = dumps / "2020-01"
    write(locked / "aletho-news-2020-01-08.txt", front_page(JAN8))
    before = fingerprint(unreadable), fingerprint(locked)
    modes = {p: p.stat().st_mode for p in (unreadable, locked)}
    for path in modes:
        path.chmod(0)
    try:
        probe = subprocess.run(
            [sys.executable, "-c", PERMISSIONS_PROBE, str(unreadable), str(dumps)], cwd=ROOT,
            capture_output=True, text=True, timeout=120,
            preexec_fn=_drop_root_read_powers if os.geteuid() == 0 else None)
    finally:
        for path, mode in modes.items():
            path.chmod(mode)
    after = fingerprint(unreadable), fingerprint(locked)  # (with the modes the test changed restored)
    assert probe.returncode == 0, probe.stderr
    assert json.loads(probe.stdout) == {
        "file": "cannot read: Permission denied",
        "files": [str(good)],
        "problems": [[str(locked), "cannot read folder: Permission denied"]],
    }
    assert after == before


# ---------------------------------------------------------------- odd but good files


@quick
def test_cp1252_dump_is_read_with_its_encoding(tmp_path):
    doc = read(write(tmp_path / "aletho-news-2020-01-07.txt", cp1252_page()))
    assert doc.encoding == "cp1252"
    parsed = parse_page(doc.text, load_reference())
    assert (parsed.site_name, len(parsed.posts)) == ("Aletho News", 4)
    titles = {p.title for p in parsed.posts}
    assert titles == {p.title for p in sample_posts() if p.posted_on == JAN7}
    assert "UK defence secretary ‘reserves the right’ to ‘strike’ Iran" in titles  # 0x91, 0x92 in cp1252
    assert sum("vis-à-vis" in p.body for p in parsed.posts) == 1


@quick
def test_latin1_dump_is_read_with_its_encoding(tmp_path):
    doc = read(write(tmp_path / "aletho-news-2020-01-08.txt", latin1_page()))
    assert doc.encoding == "latin-1"
    posts = parse_page(doc.text, load_reference()).posts
    assert len(posts) == 6
    assert {p.title for p in posts} == \
        {p.title.translate(LATIN1_PUNCTUATION) for p in sample_posts() if p.posted_on == JAN8}
    assert [p.image_credit for p in posts].count("© Reuters / Alaa al-Marjani") == 1
    assert sum("Stéphanie Gresham" in p.body for p in posts) == 1
    assert sum("White House,\x81 for its" in p.body for p in posts) == 1


@quick
def test_utf8_bom_dump_reads_as_the_sample(tmp_path):
    sample = read(SAMPLE)
    doc = read(write(tmp_path / GOOD, b"\xef\xbb\xbf" + SAMPLE.read_bytes()))
    assert (doc.encoding, sample.encoding) == ("utf-8-sig", "utf-8")
    assert doc.text == sample.text  # the same posts, every field
    parsed = parse_page(doc.text, load_reference())
    assert (parsed.site_name, parsed.page_kind, len(parsed.posts)) == ("Aletho News", "listing", 12)
    assert parsed.posts[0].title == "The Kerfuffle War – Trump’s Iran De-escalation Succeeds"


@quick
def test_crlf_dump_reads_as_the_sample(tmp_path):
    sample = read(SAMPLE)
    doc = read(write(tmp_path / GOOD, SAMPLE.read_bytes().replace(b"\n", b"\r\n")))
    assert doc.encoding == sample.encoding == "utf-8"
    assert doc.text == sample.text and "\r" not in doc.text  # the same posts, every field, no CR
    assert doc.document_id != sample.document_id


# ---------------------------------------------------------------- validation's rejections, in process


def _run(paths: list[Path], warehouse: Path) -> pipeline.RunResult:
    return pipeline.run(paths, warehouse, max_bytes=DEFAULT_MAX_BYTES, log=lambda *a, **k: None, jobs=1)


def test_run_whose_every_document_fails_validation(tmp_path):
    typo = write(tmp_path / "dumps" / "aletho-news-2020-01-08.txt", typo_page())
    result = _run([typo.parent], tmp_path / "wh")
    assert (result.exit_code, result.status) == (1, "partial")
    assert result.summary.validation == Validation("rejected-documents", evaluated=expectation_count(), failed=1)
    (r,) = result.summary.rejected
    assert r.path == str(typo)
    assert "failed expectation expect_column_values_to_be_between on posts.posted_on" in r.reason
    assert rows(tmp_path / "wh", "select status, validation_status, documents_new, documents_rejected from runs") == \
        [("partial", "rejected-documents", 0, 1)]
    assert table_counts(tmp_path / "wh")["posts"] == 0
    assert typo.read_text(encoding="utf-8") == typo_page()


# ---------------------------------------------------------------- one real run over all of them


@pytest.fixture(scope="module")
def bad_night(tmp_path_factory) -> dict:
    """One folder holding every class of bad file next to good dumps, and one real `etl run`
    over it (and over a path the scraper never wrote)."""
    root = tmp_path_factory.mktemp("bad-night")
    dumps = root / "dumps"
    good = write(dumps / GOOD, SAMPLE.read_bytes())
    reader = [  # rejected by the reader: their reasons are the ones it gives (checked above)
        write(dumps / "aletho-news-2020-01-10.txt", b""),
        write(dumps / "aletho-news-2020-01-12.txt", jpeg()),
        write(dumps / "aletho-news-2020-01-13.txt", binary_without_nul()),
        write(dumps / "aletho-news-2020-01-08-truncated.txt", truncated_with_nul()),
        write(dumps / "aletho-news-2020-01-14.txt", html_page()),
        write(dumps / "aletho-news-2020-01-archive.txt", archive()),
        dumps / "aletho-news-2020-01-16.txt",  # a dangling link
        dumps / "aletho-news-2020-01-17.txt",  # a FIFO
    ]
    reader[-2].symlink_to(dumps / "removed" / "aletho-news-2020-01-16.txt")
    os.mkfifo(reader[-1])
    second_empty = write(dumps / "aletho-news-2020-01-11.txt", b"")  # the same bytes: skipped
    loop = dumps / "archive" / "up"
    loop.parent.mkdir()
    loop.symlink_to("..")
    missing = root / "aletho-news-2020-01-31.txt"
    bad = {path: rejected(path, MAX_BYTES).reason for path in reader}
    bad |= {
        write(dumps / "aletho-news-2020-01-15.txt", SERVICE_UNAVAILABLE):
            "no recognizable post (no byline, no post footer)",
        loop: "symlink loop: folder already visited",
        missing: "no such file or folder",
    }
    typo = write(dumps / "aletho-news-2020-01-08.txt", typo_page())  # rejected by validation
    odd = {  # not bad at all: loaded, their encoding recorded
        write(dumps / "saved-elsewhere" / "aletho-news-2020-01-07.txt", cp1252_page()): "cp1252",
        write(dumps / "saved-elsewhere" / "latin1" / "aletho-news-2020-01-08.txt", latin1_page()): "latin-1",
        write(dumps / "saved-elsewhere" / "bom" / GOOD, b"\xef\xbb\xbf" + SAMPLE.read_bytes()): "utf-8-sig",
        write(dumps / "saved-elsewhere" / "crlf" / GOOD, SAMPLE.read_bytes().replace(b"\n", b"\r\n")): "utf-8",
    }
    # Permissions: root reads anything, so the run goes without root's read powers.
    permissions = can_drop_root_read_powers()
    locked: list[Path] = []
    if permissions:
        locked = [write(dumps / "aletho-news-2020-01-18.txt", front_page(JAN8)), dumps / "2020-01"]
        write(locked[1] / "aletho-news-2020-01-08.txt", front_page(JAN8))
        bad[locked[0]] = "cannot read: Permission denied"
        bad[locked[1]] = "cannot read folder: Permission denied"
    inputs = [p for p in (*bad, typo, good, second_empty, *odd) if os.path.lexists(p)]
    before = {p: fingerprint(p) for p in inputs}
    modes = {p: p.stat().st_mode for p in locked}
    for path in locked:
        path.chmod(0)
    try:
        result = (etl_subject_to_permissions if permissions else etl)(
            "run", dumps, missing, "--warehouse", root / "warehouse", "--max-bytes", str(MAX_BYTES))
    finally:
        for path, mode in modes.items():
            path.chmod(mode)
    return {"result": result, "warehouse": root / "warehouse", "bad": bad, "typo": typo, "good": good,
            "odd": odd, "second_empty": second_empty, "missing": missing, "before": before}


def test_one_run_over_every_kind_of_bad_file(bad_night):
    n = bad_night
    r, wh, bad = n["result"], n["warehouse"], n["bad"]
    assert r.returncode == 1, r.stdout + r.stderr
    # Every class of bad file the tests above check is in this run.
    reasons = set(bad.values())
    assert {"empty file", "contains NUL bytes: a binary file, not a text dump", "an HTML page, not a text dump",
            "no recognizable post (no byline, no post footer)", "cannot read: No such file or directory",
            "not a regular file", "no such file or folder", "symlink loop: folder already visited",
            f"file is {(n['good'].parent / 'aletho-news-2020-01-archive.txt').stat().st_size} bytes, "
            f"over the limit of {MAX_BYTES} (--max-bytes)"} <= reasons
    assert any(reason.startswith("binary file: ") for reason in reasons)
    if can_drop_root_read_powers():
        assert {"cannot read: Permission denied", "cannot read folder: Permission denied"} <= reasons
    # Each rejected with its reason: in `documents`, in the run's output and in its log.
    docs = {path: (status, error) for path, status, error in rows(wh, "select path, status, error from documents")}
    for path, reason in bad.items():
        assert docs.pop(str(path)) == ("rejected", reason), path
        assert f"rejected {path}: {reason}\n" in r.stdout
        assert f"reason={reason}" in r.stderr  # the log line
    # A post failing an expectation rejects its document, naming the expectation and the value.
    status, error = docs.pop(str(n["typo"]))
    assert status == "rejected" and "\n" not in error
    assert "failed expectation expect_column_values_to_be_between on posts.posted_on" in error and "2999-01-08" in error
    assert f"rejected {n['typo']}: {error}\n" in r.stdout and f"reason={error}" in r.stderr
    assert rows(wh, "select count(*) from posts where year(posted_on) > 2020") == [(0,)]
    assert rows(wh, """
        select success, unexpected_count, rejected_documents from validation_results
        where table_name = 'posts' and column_name = 'posted_on' and expectation = 'expect_column_values_to_be_between'
        """) == [(False, 1, 1)]
    # The good dumps loaded, the odd ones with their encoding; the second empty file was skipped.
    assert docs == {str(p): ("loaded", None) for p in [n["good"], *n["odd"]]}
    assert dict(rows(wh, "select path, encoding from documents where status = 'loaded'")) == \
        {str(n["good"]): "utf-8", **{str(p): e for p, e in n["odd"].items()}}
    rejected_count = len(bad) + 1
    assert f"documents: {1 + len(n['odd'])} loaded, 1 skipped (seen before), {rejected_count} rejected" in r.stdout
    # The sample's posts, and any the Latin-1 copy (its punctuation made plain) makes another post of.
    titles = [t for (t,) in rows(wh, "select title from posts")]
    assert len(titles) == len(set(titles)) == table_counts(wh)["posts"]
    assert {p.title for p in sample_posts()} <= set(titles) <= {p.title for p in sample_posts()} | \
        {p.title.translate(LATIN1_PUNCTUATION) for p in sample_posts() if p.posted_on == JAN8}
    assert rows(wh, "select count(*) from posts where image_credit = '© Reuters / Alaa al-Marjani'") == [(1,)]
    assert f"validation: rejected-documents ({expectation_count()} expectations, 1 failed)" in r.stdout
    too_large = n["good"].parent / "aletho-news-2020-01-archive.txt"
    assert rows(wh, "select size_bytes from documents where path = ?", [str(too_large)]) == \
        [(too_large.stat().st_size,)]
    assert rows(wh, "select status, exit_code, documents_rejected, validation_status, expectations_failed from runs") \
        == [("partial", 1, rejected_count, "rejected-documents", 1)]
    # Input files are only read: none changed, moved or removed; the missing one was not created.
    assert {p: fingerprint(p) for p in n["before"]} == n["before"]
    assert n["second_empty"].read_bytes() == b""
    assert not os.path.lexists(n["missing"])
