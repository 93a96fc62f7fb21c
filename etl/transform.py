"""Transform: parsed documents → normalized Arrow tables. Pure: records in, tables out."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

import pyarrow as pa

from etl.extract import Document, Page, Post, Rejected
from etl.schemas import DATA_TABLES, arrow_schemas
from etl.settings import Reference, name_key


@dataclass(frozen=True)
class Parsed:
    """One document that was read and parsed."""

    document: Document
    page: Page


def short_hash(*parts: str) -> str:
    return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()[:16]


def post_id(post: Post) -> str:
    """Same post, same id: in any dump, any run. Title and byline, normalized."""
    return short_hash("post", name_key(post.title), name_key(post.byline or ""))


def author_id(name: str) -> str:
    return short_hash("author", name_key(name))


def source_id(name: str, ref: Reference) -> str:
    return short_hash("source", ref.source_key(name))


def tag_id(name: str, kind: str = "category") -> str:
    return short_hash(kind, name_key(name))


def _better(new: Post, old: Post) -> bool:
    """A complete copy of a post beats an excerpt or a cut-off one."""
    return new.is_complete and not old.is_complete


def build_tables(
    parsed: list[Parsed], rejected: list[Rejected], run_id: str, ref: Reference
) -> dict[str, pa.Table]:
    """Rows of every data table for the documents of one run."""
    rows: dict[str, list[dict]] = {t: [] for t in DATA_TABLES}
    sources: dict[str, dict] = {}
    authors: dict[str, dict] = {}
    tags: dict[str, dict] = {}
    posts: dict[str, tuple[Post, str]] = {}  # post_id -> (best copy, its document)
    observed: dict[tuple[str, str], dict] = {}

    for item in parsed:
        doc, page = item.document, item.page
        rows["documents"].append({
            "document_id": doc.document_id, "path": doc.path, "size_bytes": doc.size_bytes,
            "encoding": doc.encoding, "site_name": page.site_name, "page_kind": page.page_kind,
            "post_count": len(page.posts), "warning_count": len(page.warnings),
            "status": "loaded", "error": None, "run_id": run_id,
        })
        rows["document_warnings"].extend(
            {"document_id": doc.document_id, "line_number": w.line, "code": w.code,
             "message": w.message, "run_id": run_id}
            for w in page.warnings
        )
        for post in page.posts:
            pid = post_id(post)
            if pid not in posts or _better(post, posts[pid][0]):
                posts[pid] = (post, doc.document_id)
            observed.setdefault((pid, doc.document_id), {
                "post_id": pid, "document_id": doc.document_id,
                "comment_count": post.comment_count, "comments_open": post.comments_open,
                "run_id": run_id,
            })

    for r in rejected:
        rows["documents"].append({
            "document_id": r.document_id, "path": r.path, "size_bytes": r.size_bytes,
            "encoding": None, "site_name": None, "page_kind": None, "post_count": 0,
            "warning_count": 0, "status": "rejected", "error": r.reason, "run_id": run_id,
        })

    for pid, (post, doc_id) in posts.items():
        if post.author:
            authors.setdefault(author_id(post.author), {
                "author_id": author_id(post.author), "name": post.author, "run_id": run_id})
        if post.source:
            sid = source_id(post.source, ref)
            sources.setdefault(sid, {
                "source_id": sid, "name": ref.canonical_source(post.source), "run_id": run_id})
        for position, name in enumerate(post.categories, 1):
            tags.setdefault(tag_id(name), {
                "tag_id": tag_id(name), "name": name, "kind": "category", "run_id": run_id})
            rows["post_tags"].append({
                "post_id": pid, "tag_id": tag_id(name), "position": position, "run_id": run_id})
        rows["comment_entries"].extend(
            {"post_id": pid, "position": c.position, "author": c.author,
             "commented_on": c.commented_on, "body": c.body, "document_id": doc_id, "run_id": run_id}
            for c in post.comments
        )
        rows["posts"].append({
            "post_id": pid, "title": post.title, "subtitle": post.subtitle,
            "image_credit": post.image_credit,
            "author_id": author_id(post.author) if post.author else None,
            "source_id": source_id(post.source, ref) if post.source else None,
            "published_on": post.published_on, "published_on_guess": post.published_on_guess,
            "posted_on": post.posted_on, "body": post.body, "word_count": len(post.body.split()),
            "tag_count": post.tag_count, "is_complete": post.is_complete,
            "document_id": doc_id, "line_number": post.line, "run_id": run_id,
        })

    rows["sources"] = list(sources.values())
    rows["authors"] = list(authors.values())
    rows["tags"] = list(tags.values())
    rows["comments"] = list(observed.values())
    schemas = arrow_schemas()
    return {t: pa.Table.from_pylist(rows[t], schema=schemas[t]) for t in DATA_TABLES}
