"""Builders of test corpora, all cut from the real sample dump (data/sample/).

The sample is the blog's front page of 2020-01-09: a header, then 12 posts, newest
first, each ending in its footer (`January 8, 2020 Posted by | … | 3 Comments`). From it
we build what a nightly job really receives: the front page as it looked on earlier days
(fewer posts, fewer comments), pages of one day's posts, a home page of excerpts, and the
same text saved with another encoding or line endings.
"""

from __future__ import annotations

import ctypes
import hashlib
import os
import re
import shutil
import signal
import stat
import subprocess
import sys
import tempfile
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from datetime import date, datetime
from pathlib import Path

from tests.utils import ROOT, SAMPLE

SAMPLE_TEXT = SAMPLE.read_text(encoding="utf-8")
SAMPLE_DAY = date(2020, 1, 9)
HEADER = "Aletho News\n\nΑΛΗΘΩΣ\n\n"  # site name and tagline, as the dumps start
HEADER_CP1252 = "Aletho News\n\nCurrent News and Analysis\n\n"  # the English tagline: no Greek in cp1252
FOOTER_RE = re.compile(
    r"^(?P<date>\w+ \d{1,2}, \d{4})(?P<mid> Posted by .*\| )(?P<comments>Leave a comment|\d+ Comments?)$")
# Typographic punctuation as an editor saving in Latin-1 (which has none of it) writes it.
LATIN1_PUNCTUATION = str.maketrans({"‘": "'", "’": "'", "“": '"', "”": '"', "–": "-", "—": "-", "…": "..."})


@dataclass(frozen=True)
class SamplePost:
    """One post of the sample: its lines from title to footer."""

    lines: tuple[str, ...]

    @property
    def title(self) -> str:
        return " ".join(self.lines[0].split())

    @property
    def footer(self) -> re.Match:
        m = FOOTER_RE.match(self.lines[-1])
        assert m, self.lines[-1]
        return m

    @property
    def posted_on(self) -> date:
        return datetime.strptime(self.footer["date"], "%B %d, %Y").date()

    @property
    def comment_count(self) -> int:
        text = self.footer["comments"]
        return 0 if text == "Leave a comment" else int(text.split()[0])

    def text(self) -> str:
        return "\n".join(self.lines)

    def _footer(self, day: date | None = None, comments: int | None = None) -> SamplePost:
        m = self.footer
        day_text = f"{(day or self.posted_on):%B} {(day or self.posted_on).day}, {(day or self.posted_on).year}"
        n = self.comment_count if comments is None else comments
        count = "Leave a comment" if n == 0 else "1 Comment" if n == 1 else f"{n} Comments"
        return replace(self, lines=(*self.lines[:-1], f"{day_text}{m['mid']}{count}"))

    def with_comments(self, n: int) -> SamplePost:
        return self._footer(comments=n)

    def with_posted_on(self, day: date) -> SamplePost:
        return self._footer(day=day)

    def excerpt(self) -> str:
        """The post as the home page shows it: title, byline, first paragraph, `… continue`.
        (For posts whose byline starts with `By`.)"""
        kept = [line for line in self.lines[:-1] if line.strip()]
        byline = next(i for i, line in enumerate(kept) if line.startswith("By "))
        return "\n\n".join([*kept[: byline + 1], kept[byline + 1] + " … continue"])


def sample_posts() -> list[SamplePost]:
    """The 12 posts of the sample, in page order (newest first)."""
    body = SAMPLE_TEXT[len(HEADER):]
    posts, current = [], []
    for line in body.split("\n"):
        if not current and not line.strip():
            continue  # the blank line between one post's footer and the next title
        current.append(line)
        if FOOTER_RE.match(line):
            posts.append(SamplePost(tuple(current)))
            current = []
    assert len(posts) == 12 and not current
    return posts


def page(posts: list[SamplePost], header: str = HEADER) -> str:
    """A listing page of these posts, laid out as the sample is."""
    return header + "\n\n".join(p.text() for p in posts)


def front_page(day: date) -> str:
    """The front page as a dump taken on `day` would show it: the posts posted by then,
    with the comment counts they had (one comment fewer per day before the sample)."""
    behind = (SAMPLE_DAY - day).days
    return page([p.with_comments(max(0, p.comment_count - behind)) for p in sample_posts() if p.posted_on <= day])


def home_page(posts: list[SamplePost]) -> str:
    """The home page: excerpts ending in `… continue`, no footers."""
    return HEADER + "\n\n".join(p.excerpt() for p in posts)


def with_excerpts(excerpts: int | None = None, whole: int | None = None) -> str:
    """The sample with its first `excerpts` posts that have a `By …` byline as excerpts (None:
    all five) and its first `whole` other posts (None: all seven): a later dump of the whole
    sample completes the excerpts, deleting their rows."""
    posts = sample_posts()
    bylined = [i for i, p in enumerate(posts) if any(line.startswith("By ") for line in p.lines)]
    cut = bylined[:excerpts]
    kept = [i for i in range(len(posts)) if i not in bylined][:whole]
    return HEADER + "\n\n".join(p.excerpt() if i in cut else p.text() for i, p in enumerate(posts)
                                 if i in cut or i in kept)


def second_dump(folder: Path) -> Path:
    """The sample dump a day later: same posts, some comment counts grown (new bytes, new document)."""
    text = SAMPLE.read_text(encoding="utf-8")
    for old, new in [
        ("Illegal Occupation | , , | 5 Comments", "Illegal Occupation | , , | 8 Comments"),  # FM Zarif: 5 → 8
        ("Video | , , | 2 Comments", "Video | , , | 4 Comments"),  # Iran Strikes Back!: 2 → 4
        ("Wars for Israel | , , , , , , | Leave a comment", "Wars for Israel | , , , , , , | 1 Comment"),  # 0 → 1
    ]:
        assert text.count(old) == 1, old
        text = text.replace(old, new)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "aletho-news-2020-01-10.txt"
    path.write_text(text, encoding="utf-8")
    return path


def write(path: Path, content: str | bytes, encoding: str = "utf-8", newline: str = "\n") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(content, str):
        content = content.replace("\n", newline).encode(encoding)
    path.write_bytes(content)
    return path


def nightly_dumps(folder: Path, days=(date(2020, 1, 7), date(2020, 1, 8), SAMPLE_DAY)) -> list[Path]:
    """One front-page dump per night, named as the scraper names them. They overlap: a
    post stays on the front page for days, its comment count growing."""
    return [write(folder / f"aletho-news-{d.isoformat()}.txt", front_page(d)) for d in days]


def day_name(day: date) -> str:
    return f"aletho-news-{day.isoformat()}.txt"


# Running many `etl` processes at once: the Great Expectations import costs ~3 s of CPU per
# run, so independent runs of a test module go in parallel on separate warehouses.

def run_many(runs: dict[str, Callable[[], subprocess.CompletedProcess]], workers: int = 4) -> dict:
    """Call each runner (e.g. `lambda: etl("run", ...)`) in parallel; results by the same keys."""
    with ThreadPoolExecutor(workers) as pool:
        futures = {key: pool.submit(runner) for key, runner in runs.items()}
        return {key: f.result() for key, f in futures.items()}


def fingerprint(path: Path) -> tuple:
    """What must not change about an input file: type, mode, size, mtime and content."""
    st = os.lstat(path)
    content = None
    if stat.S_ISREG(st.st_mode) and os.access(path, os.R_OK):
        content = hashlib.sha256(path.read_bytes()).hexdigest()
    return st.st_mode, st.st_size, st.st_mtime_ns, content


def wait_for_line(proc: subprocess.Popen, text: str, timeout: float = 120) -> list[str]:
    """Read the process's stderr until a line contains `text`; returns the lines read.
    Fails if the process exits first; kills it if the line has not come within `timeout`."""
    lines: list[str] = []
    watchdog = threading.Timer(timeout, proc.kill)
    watchdog.start()
    try:
        for line in proc.stderr:
            lines.append(line)
            if text in line:
                return lines
    finally:
        watchdog.cancel()
    proc.wait()
    raise AssertionError(f"exit {proc.returncode} before {text!r}:\n{''.join(lines)}{proc.stdout.read()}")


def kill(proc: subprocess.Popen) -> None:
    """SIGKILL, as the OOM killer or a lost node would: no cleanup runs."""
    os.kill(proc.pid, signal.SIGKILL)
    proc.communicate(timeout=60)  # a child still holding the run's output would hang here


def copy_warehouse(src: Path, dst: Path) -> Path:
    """A copy of the warehouse folder; of its PostgreSQL catalog too, if it has one (a new
    database, named in the copy's catalog.json with the copy's data folder)."""
    shutil.copytree(src, dst, symlinks=True)
    from etl.storage.catalog import PostgresCatalog, read_marker, write_marker

    marker = read_marker(dst)
    if marker:
        from tests.pg import copy_catalog

        (dst / "catalog.json").unlink()
        write_marker(dst, PostgresCatalog(copy_catalog(marker["catalog"]), dst / "data"))
    return dst


def versions(warehouse: Path) -> list[str]:
    folder = warehouse / ".versions"
    return sorted(p.name for p in folder.iterdir()) if folder.exists() else []


# Root reads files whatever their mode. To test unreadable files and folders when the
# tests run as root, the run gets a process without the capabilities that let root
# bypass permission checks (dropped from the bounding set before exec).

CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH, PR_CAPBSET_DROP = 1, 2, 24


def _drop_root_read_powers() -> None:
    libc = ctypes.CDLL(None, use_errno=True)
    for cap in (CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH):
        if libc.prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) != 0:
            raise OSError(ctypes.get_errno(), "prctl(PR_CAPBSET_DROP)")


def can_drop_root_read_powers() -> bool:
    """Whether a child process can be made subject to file permissions."""
    if os.geteuid() != 0:
        return True
    with tempfile.NamedTemporaryFile() as f:
        os.chmod(f.name, 0)
        try:
            probe = subprocess.run([sys.executable, "-c", f"open({f.name!r}, 'rb')"],
                                   preexec_fn=_drop_root_read_powers, capture_output=True)
        except (OSError, subprocess.SubprocessError):
            return False
    return b"PermissionError" in probe.stderr


def etl_subject_to_permissions(*args: str | Path) -> subprocess.CompletedProcess:
    """`etl ARGS` like tests.utils.etl, but file permissions apply even under root."""
    return subprocess.run(
        [sys.executable, "-m", "etl.cli", *map(str, args)],
        cwd=ROOT, env={**os.environ, "CI": "true"}, capture_output=True, text=True, timeout=300,
        preexec_fn=_drop_root_read_powers if os.geteuid() == 0 else None,
    )
