"""The analyzer: the one way text becomes index terms, for the posts a run indexes and for
the words of a query. Fold (case folded, accents off), split into runs of [a-z0-9], drop
Lucene's 33 English stop words (they still take a position, so phrases keep their gaps),
stem with the Snowball English stemmer (PyStemmer)."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from functools import cache

# Lucene's English stop words (also tantivy's): small, so that few words a user means are
# dropped. sql/bi/search.sql repeats them for SQL users: tests/test_search.py checks they agree.
STOP_WORDS = frozenset((
    "a", "an", "and", "are", "as", "at", "be", "but", "by", "for", "if", "in", "into", "is", "it", "no", "not",
    "of", "on", "or", "such", "that", "the", "their", "then", "there", "these", "they", "this", "to", "was",
    "will", "with"))
# A word is a run of [a-z0-9] in the folded text (any other character, non-ASCII ones
# included, separates words): every other byte of the text's ASCII encoding (non-ASCII
# characters encoded as "?") becomes a space, and the words are what str.split finds, about
# twice as fast as a regex's findall (tests/test_search.py checks they agree).
WORD_BYTES = b"abcdefghijklmnopqrstuvwxyz0123456789"
_SEPARATE = bytes(b if b in WORD_BYTES else ord(" ") for b in range(256))
MAX_WORD = 40  # longer runs (hashes, URLs' remains) are not indexed
# Combining marks, what NFKD splits accents into (the blocks DuckDB's strip_accents drops too).
_MARKS = re.compile("[\u0300-\u036f\u1ab0-\u1aff\u1dc0-\u1dff\u20d0-\u20ff\ufe20-\ufe2f]")


@cache
def _stemmer():
    import Stemmer  # PyStemmer: the Snowball project's C stemmers

    return Stemmer.Stemmer("english")


def fold(text: str) -> str:
    """Case folded, accents off: 'Café Zürich' -> 'cafe zurich'."""
    text = text.casefold()
    if text.isascii():
        return text
    return _MARKS.sub("", unicodedata.normalize("NFKD", text))


def tokens(text: str) -> list[str]:
    """The folded words of `text` (its runs of [a-z0-9]), stop words included (each takes a
    position)."""
    return fold(text).encode("ascii", "replace").translate(_SEPARATE).decode("ascii").split()


def kept(word: str) -> bool:
    return word not in STOP_WORDS and len(word) <= MAX_WORD


def kept_count(words: list[str]) -> int:
    """How many of `words` are kept (as `kept`, at C speed: few words are stop words or long)."""
    dropped = sum(map(STOP_WORDS.__contains__, words))
    if words and max(map(len, words)) > MAX_WORD:
        dropped += sum(1 for w in words if len(w) > MAX_WORD and w not in STOP_WORDS)
    return len(words) - dropped


def stems(words: Iterable[str]) -> dict[str, str]:
    """Each distinct word's stem."""
    distinct = list(set(words))
    return dict(zip(distinct, _stemmer().stemWords(distinct), strict=True))


def terms(text: str) -> list[str]:
    """The index terms of `text`, in order (stop words left out)."""
    words = [w for w in tokens(text) if kept(w)]
    return _stemmer().stemWords(words)
