"""Ids that do not depend on the Unicode form, in a warehouse an earlier release keyed.

This release reads every dump in NFC (etl/extract/reader.py) and hashes names in NFC
(etl/run/transform.py `key`): a dump saved in NFD (é as e + U+0301, as macOS saves it) gives the
rows and ids of the same dump in NFC. The releases before hashed a name as read, and
`name_key` drops a combining mark, so they keyed an NFD `Café` as `Cafe`, and a later copy in
NFC would be a second row. `upgrade` brings a warehouse they wrote in step, once per state
(its `upgrades` row, in the same transaction as the run that makes it):

1. authors, sources and tags whose name is not NFC take the id of their NFC name (from the
   name itself: no dump needed), their references following;
2. posts whose title or byline was not NFC take the id of their NFC form: their dumps are read
   again at the paths the warehouse recorded, and a copy whose `nfd_post_id` (the id those
   releases gave its NFD form) is the stored id gives its new id. A post none of whose dumps
   can be read stays `pending` (an `upgrades` row naming it) ...
3. ... until a run loads a copy of it (`pending`, in every run): then it takes its id;
4. every text column is stored in NFC.

Rows whose id meets one already stored (the same post loaded once in NFC and once in NFD)
become one row. Ids of text that was NFC never change.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import pyarrow as pa

from etl.core.duck import sql_value
from etl.core.paths import os_path
from etl.core.reference import Reference, name_key
from etl.core.schemas import sql
from etl.extract import Rejected, parse_page
from etl.extract.reader import read_bytes, to_document
from etl.run.transform import author_id, nfc, nfd_post_id, post_id, source_id, tag_id

NAME = "nfc-keys"

# Each re-keyed table: its id column, and the tables that hold that id (column, and the other
# column of the pair each is unique on).
REFERENCES = {
    "authors": ("author_id", [("posts", "author_id", "post_id")]),
    "sources": ("source_id", [("posts", "source_id", "post_id")]),
    "tags": ("tag_id", [("post_tags", "tag_id", "post_id")]),
    "posts": ("post_id", [("post_tags", "post_id", "tag_id"), ("comments", "post_id", "document_id"),
                          ("comment_entries", "post_id", "position"), ("search_docs", "post_id", "doc")]),
}
NEW_ID: dict[str, Callable[[str, str, Reference], str]] = {  # the id of a name (NFC) and kind
    "authors": lambda name, kind, ref: author_id(name),
    "sources": lambda name, kind, ref: source_id(name, ref),
    "tags": lambda name, kind, ref: tag_id(name, kind),
}


@dataclass(frozen=True)
class Rekeyed:
    """What an upgrade changed: rows re-keyed per table, posts left pending, and the dumps it
    could not read again."""

    tables: dict[str, int]
    pending: int
    unread: int

    def __bool__(self) -> bool:
        return any(self.tables.values()) or bool(self.pending)

    def fields(self) -> dict[str, int]:
        """For the log: rows re-keyed per table, posts pending, dumps unreadable."""
        return {**self.tables, "pending_posts": self.pending, "unreadable_dumps": self.unread}

    def describe(self) -> str:
        done = ", ".join(f"{n} {t}" for t, n in self.tables.items() if n) or "nothing"
        line = f"ids of the NFC form of their text: re-keyed {done}"
        if self.pending:
            line += (f"; {self.pending} posts left for the run that next loads a copy of them (none of their "
                     f"{self.unread} dumps could be read at the paths in `documents`: put them back and run "
                     "`etl upgrade` again to re-key them now)")
        return line


def upgraded(con) -> bool:
    (done,), = con.execute(f"select count(*) from upgrades where upgrade = {sql_value(NAME)} and post_id is null")\
        .fetchall()
    return done > 0


def mark(con, run_id: str) -> None:
    """Record that this state of the warehouse needs no upgrade (a new or rebuilt one)."""
    con.execute("insert into upgrades values (?, ?, null)", [NAME, run_id])


def upgrade(con, run_id: str, ref: Reference, max_bytes: int, retry: bool = False) -> Rekeyed | None:
    """Upgrade the lake in use in `con` (in the caller's transaction), unless this state was
    upgraded (None). With `retry` (`etl upgrade`), an upgraded state tries its pending posts'
    dumps again."""
    if upgraded(con):
        return _retry_pending(con, ref, max_bytes) if retry else None
    names = {t: _names_mapping(rows, t, ref) for t, rows in _stale_names(con).items()}
    candidates = _stale_posts(con, *(_changed(names[t]) for t in ("authors", "sources")))
    tables: dict[str, int] = {}
    for table, mapping in names.items():
        _rekey(con, table, mapping)
        tables[table] = len(_changed(mapping))
    tables["posts"], pending, unread = _rekey_from_dumps(con, candidates, ref, max_bytes)
    _set_pending(con, run_id, pending)
    con.execute(sql("rekey/text").format(unsafe=nfc_unsafe()))
    mark(con, run_id)
    return Rekeyed(tables, len(pending), unread)


def pending(con) -> int:
    """Give the pending posts that the run brings a copy of (raw_posts, in `con`) the id of
    their NFC form; returns how many."""
    left = con.execute("select post_id from upgrades where post_id is not null").to_arrow_table()
    if not left.num_rows:
        return 0
    copies = con.execute("select post_id, nfd_post_id, title from raw_posts where nfd_post_id is not null")
    matched = _matches(con, left, copies.to_arrow_table())
    if _rekey(con, "posts", matched):
        con.execute("delete from upgrades where post_id in (select old_id from rekey_ids)")
    return matched.num_rows


def _matches(con, candidates: pa.Table, copies: pa.Table) -> pa.Table:
    """The stored posts among `candidates` (post_id) that one of `copies` (post_id,
    nfd_post_id, title) is the NFC form of: old_id, new_id (rekey/post_matches.sql)."""
    con.register("rekey_candidates", candidates)
    con.register("rekey_copies", copies)
    try:
        return con.execute(sql("rekey/post_matches")).to_arrow_table()
    finally:
        con.unregister("rekey_candidates")
        con.unregister("rekey_copies")


def _stale_names(con) -> dict[str, list[tuple]]:
    found: dict[str, list[tuple]] = {t: [] for t in NEW_ID}
    for table, old_id, name, kind in con.execute(sql("rekey/stale_names")).fetchall():
        found[table].append((old_id, name, kind))
    return found


def _names_mapping(rows: list[tuple], table: str, ref: Reference) -> pa.Table:
    """Authors, sources or tags whose name was not NFC (old id, name, kind): the id and the name
    of their NFC form."""
    return pa.table({"old_id": [r[0] for r in rows], "new_id": [NEW_ID[table](nfc(r[1]), r[2], ref) for r in rows],
                     "name": [nfc(r[1]) for r in rows]}, schema=MAPPING.append(pa.field("name", pa.string())))


def _changed(mapping: pa.Table) -> list[str]:
    """The old ids in `mapping` that change."""
    return [o for o, n in zip(mapping["old_id"].to_pylist(), mapping["new_id"].to_pylist(), strict=True) if o != n]


MAPPING = pa.schema([("old_id", pa.string()), ("new_id", pa.string())])


def _rekey(con, table: str, mapping: pa.Table) -> bool:
    """Give the rows of `table` in `mapping` (old_id, new_id[, name]) their new id (and name),
    and move the rows that hold it (rekey/ids.sql, rekey/move_rows.sql). False: none to move."""
    if not mapping.num_rows:
        return False
    id_column, references = REFERENCES[table]
    named = "name" in mapping.column_names
    con.register("rekey_mapping", mapping)
    try:
        con.execute(sql("rekey/ids").format(table=table, id=id_column, name_column=", name" if named else "",
                                            name_update=", name = k.name" if named else ""))
        for holder, key, other in references:
            con.execute(sql("rekey/move_rows").format(table=holder, key=key, other=other))
    finally:
        con.unregister("rekey_mapping")
    return True


def _stale_posts(con, authors: list[str], sources: list[str]) -> list[str]:
    """The posts whose id may come from text that was not NFC: a title whose key changes in
    NFC, or an author or source whose id does (their old ids)."""
    rows = con.execute(sql("rekey/stale_posts").format(unsafe=nfc_unsafe()), [authors, sources]).fetchall()
    return [pid for pid, title, byline_changed in rows if byline_changed or name_key(title) != name_key(nfc(title))]


def _retry_pending(con, ref: Reference, max_bytes: int) -> Rekeyed | None:
    """`etl upgrade` on an upgraded state: read the pending posts' dumps again (a user put
    them back). None: no post is pending."""
    candidates = [pid for (pid,) in con.execute("select post_id from upgrades where post_id is not null").fetchall()]
    if not candidates:
        return None
    posts, left, unread = _rekey_from_dumps(con, candidates, ref, max_bytes)
    con.execute("delete from upgrades where post_id is not null and not list_contains(?, post_id)", [left])
    return Rekeyed({"posts": posts}, len(left), unread)


def _rekey_from_dumps(con, candidates: list[str], ref: Reference, max_bytes: int) -> tuple[int, list[str], int]:
    """Re-key the `candidates` (stored post ids) that their dumps, read again, hold a copy of.
    Returns how many were re-keyed, those left, and the dumps that could not be read."""
    if not candidates:
        return 0, [], 0
    wanted = pa.table({"post_id": candidates})
    copies: list[dict] = []
    unread = 0
    for held in _dumps_of(con, wanted, ref, max_bytes):
        unread += held is None
        copies += held or []
    matched = _matches(con, wanted, pa.Table.from_pylist(copies, schema=COPIES))
    _rekey(con, "posts", matched)
    done = set(matched["old_id"].to_pylist())
    return len(done), [c for c in candidates if c not in done], unread


COPIES = pa.schema([("post_id", pa.string()), ("nfd_post_id", pa.string()), ("title", pa.string())])


def _dumps_of(con, wanted: pa.Table, ref: Reference, max_bytes: int) -> Iterator[list[dict] | None]:
    """For each document that holds a post of `wanted` (post_id) not found yet
    (rekey/candidate_documents.sql), the copies of those posts in it (None: it could be read
    at none of the paths recorded)."""
    con.register("rekey_candidates", wanted)
    try:
        documents = con.execute(sql("rekey/candidate_documents")).fetchall()
    finally:
        con.unregister("rekey_candidates")
    candidates, found = set(wanted["post_id"].to_pylist()), set()
    for _, posts, paths in documents:
        if set(posts) <= found:
            continue
        copies = _copies_in(paths, candidates, ref, max_bytes)
        found |= {c["nfd_post_id"] for c in copies or []}
        yield copies


def _copies_in(paths: list[str], candidates: set[str], ref: Reference, max_bytes: int) -> list[dict] | None:
    """The posts of the first readable file of `paths` (stored paths, etl/core/paths.py) whose
    nfd_post_id is a candidate; None if none can be read."""
    for path in paths:
        try:
            document_id, raw, _ = read_bytes(Path(os_path(path)), max_bytes)
            doc = to_document(path, document_id, raw)
        except Rejected:
            continue
        return [{"post_id": post_id(p), "nfd_post_id": old, "title": p.title}
                for p in parse_page(doc.text, ref).posts if (old := nfd_post_id(p)) in candidates]
    return None


def _set_pending(con, run_id: str, posts: list[str]) -> None:
    if posts:
        con.executemany("insert into upgrades values (?, ?, ?)", [[NAME, run_id, p] for p in posts])


@cache
def nfc_unsafe() -> str:
    """A regular expression class of every character a text not in NFC holds one of: those of
    a nonzero combining class, those NFC changes, and those NFC may compose with the character
    before them. A text without one is in NFC (Unicode's NFC quick check says yes)."""
    unsafe: set[int] = set(range(0x1161, 0x1176)) | set(range(0x11A8, 0x11C3))  # Hangul vowels and trailing consonants
    for cp in range(0x30000):  # no character past plane 2 decomposes or combines
        ch = chr(cp)
        if 0xD800 <= cp <= 0xDFFF:
            continue
        if unicodedata.combining(ch) or unicodedata.normalize("NFC", ch) != ch:
            unsafe.add(cp)
        parts = unicodedata.decomposition(ch).split()
        if len(parts) == 2 and not parts[0].startswith("<"):
            unsafe.add(int(parts[1], 16))
    return "[" + "".join(chr(a) if a == b else f"{chr(a)}-{chr(b)}" for a, b in _ranges(sorted(unsafe))) + "]"


def _ranges(points: list[int]) -> Iterator[tuple[int, int]]:
    start = end = points[0]
    for p in points[1:]:
        if p != end + 1:
            yield start, end
            start = p
        end = p
    yield start, end
