"""The query syntax of `etl search`: words (all required), "quoted phrases" (their words in
that order, stop words keeping their places), `-word` (posts with it are left out), and
`a OR b` (either). Pure: text in, a Query of index terms out, or QueryError."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from etl.search.analyze import kept, stems, tokens


class QueryError(ValueError):
    """A query that cannot be searched (unbalanced quote, a dangling OR, no word to find)."""


@dataclass(frozen=True)
class Alternative:
    """A word or a phrase: its terms, each with its offset from the first (stop words count)."""

    terms: tuple[tuple[str, int], ...]
    phrase: bool = False


@dataclass
class Query:
    """Every group must hold (one of its alternatives), and no excluded term may."""

    groups: list[list[Alternative]] = field(default_factory=list)
    excluded: list[str] = field(default_factory=list)

    @property
    def terms(self) -> list[str]:
        """Every term a post is scored on, once each."""
        return sorted({t for g in self.groups for a in g for t, _ in a.terms})

    def rows(self) -> list[dict]:
        """The query as rows for sql/search/rank.sql: one per term of each alternative."""
        return [{"grp": g, "alt": a, "term": t, "off": o, "size": len(alt.terms), "phrase": alt.phrase}
                for g, group in enumerate(self.groups) for a, alt in enumerate(group) for t, o in alt.terms]


TOKEN = re.compile(r'(-?)"([^"]*)"|(-?)([^\s"]+)|(")')


def parse(text: str) -> Query:
    q, pending_or = Query(), False
    for m in TOKEN.finditer(text):
        neg_phrase, phrase, neg_word, word, stray = m.groups()
        if stray:
            raise QueryError('unbalanced quote: close the phrase with a second "')
        if word == "OR":
            if not q.groups or pending_or:
                raise QueryError("OR needs a word or phrase on each side")
            pending_or = True
            continue
        negative = bool(neg_phrase or neg_word)
        body = phrase if phrase is not None else word
        if negative and phrase is not None:
            raise QueryError(f'-"{phrase}": exclude words one at a time (-word)')
        alt = _alternative(body)
        if negative:
            if pending_or:
                raise QueryError(f"OR -{body}: an excluded word cannot be an alternative")
            q.excluded += [t for t, _ in alt.terms] if alt else []
            continue
        if alt is None:  # stop words only, or punctuation
            if pending_or:
                raise QueryError(f"OR {body}: {body!r} is only stop words, which are not indexed")
            continue
        if pending_or:
            q.groups[-1].append(alt)
        else:
            q.groups.append([alt])
        pending_or = False
    if pending_or:
        raise QueryError("OR needs a word or phrase on each side")
    if not q.groups:
        raise QueryError("no word to search for (stop words such as 'the' are not indexed; "
                         "a query of -words only finds nothing)" if text.strip() else "empty query")
    return q


def _alternative(text: str) -> Alternative | None:
    words = tokens(text)
    stem = stems(w for w in words if kept(w))
    found = [(stem[w], i) for i, w in enumerate(words) if kept(w)]
    if not found:
        return None
    first = found[0][1]
    # A word that folds into several ("U.S.", "al-Quds") is a phrase of them, as a quoted one.
    return Alternative(tuple((t, i - first) for t, i in found), len(found) > 1)
