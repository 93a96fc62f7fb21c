"""The script a user would write instead of `etl run`: the comparator of `make bench`.

    python bench/naive.py CORPUS_DIR OUT_DIR

One process, no validation, no incremental state, no atomic publish, no warnings: read and decode
every *.txt file, split it into posts at the footer lines with one regex, read each post's
title (its first line) and byline (one regex), write the posts and their categories as Parquet,
and load both into a new DuckDB file. Prints one JSON line: files, posts, seconds.
"""

from __future__ import annotations

import hashlib
import json
import re
import sys
import time
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq

FOOTER = re.compile(r"^(?P<date>[A-Z][a-z]+\.? \d{1,2}, \d{4}) Posted by \| (?P<categories>[^|\n]*)\|[^\n]*$", re.M)
BYLINE = re.compile(r"^By (?P<author>[^|\n]+?) \| (?:(?P<source>[^|\n]+?) \| )?(?P<date>[A-Za-z]+\.? \d{1,2}, \d{4})$",
                    re.M)


def posts_of(text: str, document: str) -> list[dict]:
    posts, start = [], 0
    for footer in FOOTER.finditer(text):
        chunk = text[start:footer.start()].strip()
        start = footer.end()
        lines = [line for line in chunk.split("\n") if line.strip()]
        if not lines:
            continue
        byline = BYLINE.search(chunk)
        title = lines[0] if not byline or len(lines) < 2 or lines[0] != byline.group(0) else lines[1]
        if title in ("Aletho News", "ΑΛΗΘΩΣ") and len(lines) > 2:  # the page header above the first post
            title = lines[2] if lines[1] in ("ΑΛΗΘΩΣ", "Current News and Analysis") else lines[1]
        body = chunk[byline.end():] if byline else "\n".join(lines[1:])
        posts.append({
            "post_id": hashlib.sha256(f"{title}\n{byline.group(0) if byline else ''}".encode()).hexdigest()[:16],
            "document": document, "title": title,
            "author": byline["author"] if byline else None, "source": byline["source"] if byline else None,
            "published": byline["date"] if byline else None, "posted": footer["date"],
            "categories": [c.strip() for c in footer["categories"].split(",") if c.strip()],
            "words": len(body.split()), "body": body,
        })
    return posts


def main() -> None:
    corpus, out = Path(sys.argv[1]), Path(sys.argv[2])
    out.mkdir(parents=True, exist_ok=True)
    start = time.perf_counter()
    posts, files = [], 0
    for path in sorted(corpus.rglob("*.txt")):
        files += 1
        posts += posts_of(path.read_bytes().decode("utf-8", errors="replace"), path.name)
    table = pa.Table.from_pylist(posts)
    pq.write_table(table.drop_columns(["categories"]), out / "posts.parquet")
    pairs = [(p["post_id"], c) for p in posts for c in p["categories"]]
    pq.write_table(pa.table({"post_id": [a for a, _ in pairs], "category": [b for _, b in pairs]}),
                   out / "post_categories.parquet")
    with duckdb.connect(str(out / "naive.duckdb")) as con:
        for name in ("posts", "post_categories"):
            con.execute(f"create or replace table {name} as select * from read_parquet('{out / name}.parquet')")
    print(json.dumps({"files": files, "posts": len(posts), "seconds": round(time.perf_counter() - start, 3)}))


if __name__ == "__main__":
    main()
