"""Running a query (etl/search/query.py) on a reader of one snapshot (etl/storage/readers.py:
the published file, or with --as-of a run's snapshot): the ranked page (sql/search/rank.sql),
then the posts it names and a snippet of each, its matched words marked «so»."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from etl.core.schemas import literal, sql
from etl.search.analyze import fold, stems
from etl.search.query import Query

MARK = ("«", "»")
SNIPPET_WORDS = 30
MAX_MASK_GROUPS = 62  # sql/search/rank_words.sql: a query's groups as the bits of a bigint
COLUMNS = ("post_id", "title", "source", "author", "date", "score", "snippet")


class NoIndex(Exception):
    """The snapshot read has no search index (from before search, or an unpublished upgrade)."""


@dataclass(frozen=True)
class Filters:
    source: str | None = None
    author: str | None = None
    category: str | None = None
    since: date | None = None
    until: date | None = None

    def given(self) -> bool:
        return any(v is not None for v in vars(self).values())


@dataclass(frozen=True)
class Hit:
    post_id: str
    title: str
    source: str | None
    author: str | None
    date: date | None
    score: float
    snippet: str

    def row(self) -> tuple:
        return (self.post_id, self.title, self.source, self.author, self.date, round(self.score, 3), self.snippet)


def check_index(con) -> int:
    """The posts the snapshot's index holds; NoIndex if it has none."""
    import duckdb

    try:
        found = con.execute(sql("search/indexed")).fetchall()
    except duckdb.CatalogException:
        found = []
    if not found:
        raise NoIndex("this snapshot has no search index: the next `etl run` or `etl upgrade` builds it "
                      "(snapshots from before it have none), unless search_index is off in the config")
    return found[0][0]


def rank(con, query: Query, filters: Filters = Filters(), limit: int = 10) -> list[tuple[str, float]]:
    """The `limit` best posts for `query` in the snapshot `con` reads: (post_id, score), best
    first."""
    return [(post_id, score) for post_id, _, score in _ranked(con, query, filters, limit)]


def _ranked(con, query: Query, filters: Filters, limit: int) -> list[tuple[str, date | None, float]]:
    """rank's posts, each with its day in the index (search_docs.posted_on: where it is).
    NoIndex if the snapshot has no index (asked only when the ranking finds nothing or fails:
    with no search_stats row it finds nothing; a snapshot from before search has no table)."""
    import duckdb

    try:
        ranked = _ranked_page(con, query, filters, limit)
    except duckdb.CatalogException:
        check_index(con)
        raise
    if not ranked:
        check_index(con)
    return ranked


def _ranked_page(con, query: Query, filters: Filters, limit: int) -> list[tuple[str, date | None, float]]:
    params: dict[str, object] = {"query": query.rows(), "groups": len(query.groups), "limit": limit}
    allowed = ""
    if filters.given():
        allowed = sql("search/allowed")
        params |= vars(filters)
    excluded = f"term in ({_literals(query.excluded)})" if query.excluded else "false"
    phrases = any(alt.phrase for group in query.groups for alt in group)
    text = sql("search/rank" if phrases or len(query.groups) > MAX_MASK_GROUPS else "search/rank_words")
    ranked = con.execute(text.format(terms=_literals(query.terms), excluded=excluded, allowed=allowed),
                         params).fetchall()
    if not ranked:
        return []
    found = con.execute(sql("search/docs").format(docs=", ".join(str(d) for d, _ in ranked)))
    columns = [c[0] for c in found.description]
    docs = {}
    for row in found.fetchall():
        doc = dict(zip(columns, row, strict=True))
        docs[doc["doc"]] = (doc["post_id"], doc.get("posted_on"))
    return [(*docs[doc], score) for doc, score in ranked]


def search(con, query: Query, filters: Filters = Filters(), limit: int = 10,
           snippet_words: int = SNIPPET_WORDS) -> list[Hit]:
    """The `limit` best posts for `query` in the snapshot `con` reads, best first, each with its
    title, source, author, date and a snippet of about `snippet_words` words."""
    ranked = _ranked(con, query, filters, limit)
    if not ranked:
        return []
    posts = _posts(con, ranked)
    words = set(query.terms)
    hits = []
    for post, _, score in ranked:
        post_id, title, source, author, day, body = posts[post]
        hits.append(Hit(post_id, title, source, author, day, score, snippet(body, words, snippet_words)))
    return hits


def _posts(con, ranked: list[tuple[str, date | None, float]]) -> dict[str, tuple]:
    """The rows sql/search/hits.sql gives for the ranked posts, by post_id: looked up by id and
    day (their row groups only), or by id alone if a day is unknown (an index from before
    search_docs.posted_on, a post with no posted_on) or if a post was not on its day."""
    days = {day for _, day, _ in ranked}
    located = "true" if None in days else f"p.posted_on in ({_literals(days)})"
    found = {r[0]: r for r in con.execute(sql("search/hits").format(
        posts=_literals(p for p, _, _ in ranked), located=located)).fetchall()}
    missing = [p for p, _, _ in ranked if p not in found]
    if missing and located != "true":
        found |= {r[0]: r for r in con.execute(sql("search/hits").format(
            posts=_literals(missing), located="true")).fetchall()}
    return found


def _literals(values) -> str:
    return ", ".join(f"'{literal(v)}'" for v in values) or "null"


WORD = re.compile(r"[^\W_]+(?:['’.-][^\W_]+)*")
PIECE = re.compile(r"[a-z0-9]+")


def snippet(body: str, terms: set[str], width: int = SNIPPET_WORDS) -> str:
    """About `width` words of `body` from a little before its first matched word, each word
    whose stem is one of `terms` marked «so» (a word of several pieces, "Iran's", "U.S.", by
    its first); the body's start if no word of it matches. Whitespace collapsed."""
    words = [(m.start(), m.end()) for m in WORD.finditer(body)]
    if not words:
        return ""
    firsts = [next(iter(PIECE.findall(fold(body[s:e]))), "") for s, e in words]
    stem = stems(firsts)
    hit = [bool(f) and stem[f] in terms for f in firsts]
    first = hit.index(True) if any(hit) else 0
    lo = max(0, first - min(width // 3, 3))
    hi = min(len(words), lo + width)
    out, at = [], words[lo][0]
    for i in range(lo, hi):
        s, e = words[i]
        out.append(body[at:s])
        out.append(f"{MARK[0]}{body[s:e]}{MARK[1]}" if hit[i] else body[s:e])
        at = e
    text = " ".join("".join(out).split())
    return ("… " if lo else "") + text + (" …" if hi < len(words) else "")
