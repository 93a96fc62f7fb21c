"""Bylines: the line under a post's title naming its author, outlet and date.

Pure functions: a cleaned line (whitespace collapsed to single spaces) in, a `Byline` or
None out. WordPress themes and the outlets a post is reposted from print the parts of a
byline in one order (By author, outlet, date) with many separators:

    By A | S | D    By A · D    By A — S — D    By A / S / D    By A :: S    A|S|D
    S • 12.03.2021    By A, March 3, 2021    By A on March 3, 2021    Transcript by A | D:

The date is read at the end of the line, and the separator in front of it is the
byline's own: the outlet is the rest of the line after the author, so an outlet name
holding another mark (`Consortium News – Washington`, `The Cradle (Beirut)`, `RT: World`)
stays whole. Names are never split at commas: `Michael Nevradakis, Ph.D.`, `Gold, Goats,
& Guns`.
"""

from __future__ import annotations

import re
from itertools import pairwise
from typing import NamedTuple

from etl.core.reference import Reference
from etl.extract.dates import DATE_RE, MONTHS, parse_date

MAX_NAME_WORDS = 10
MAX_BYLINE_CHARS = 300  # a longer line is body text, never a byline
# A byline (a cleaned line) has at most this many words: By + 10 words of name, 10 of outlet,
# a date of 8 (weekday, month, day, year, at, time, am/pm, zone), two separators of 1.
MAX_BYLINE_WORDS = 33
NAME_PARTICLES = {"and", "de", "da", "del", "della", "di", "do", "dos", "du", "van", "von", "der", "den", "ter",
                  "al", "el", "bin", "ibn", "la", "le", "y", "e", "of", "the", "&", "for", "on", "in", "at"}

# Separators. Marks that no name holds separate at any spacing: |, bullets and middle dots,
# em dashes and horizontal bars, `::`. En dashes, hyphens, minus signs, slashes, tildes and
# guillemets separate only with a space on at least one side (Al-Manar, Hayes-Smith, 24/7,
# 01/07/2020, 1933–2026). Lines are cleaned (single spaces), so a space is one " ": measured
# 2.5 times faster than \s+ in `split`. The group keeps the separators in what `split` returns.
_ANY_SPACING = "|•·∙⋅●◦▪‧・—―"
_SPACED = r"–‒−\-/~»›"
SEPARATOR_RE = re.compile(rf"( (?:[{_ANY_SPACING}{_SPACED}]|::) ?|(?:[{_ANY_SPACING}]|::) ?|[{_SPACED}] )")
# A line without one of these characters has no separator (`:` for `::`; one class, no
# alternation: `re` skips to its characters, measured twice as fast).
SEPARATOR_CHAR_RE = re.compile(rf"[{_ANY_SPACING}{_SPACED}:]")
DASHES = "–‒−-—―"
BULLETS = "•·∙⋅●◦▪‧・"
# `By NAME…`, also `Transcript by`, `Written by`, … (a role before "by": such a line needs a date).
# Lines are cleaned (single spaces); the name starts where the match ends.
BY_RE = re.compile(
    r"(?:by|(?P<role>written|transcript|transcribed|translated|translation|text|words|report|reported|story"
    r"|compiled|edited|posted|published) by) (?=\S)",
    re.IGNORECASE,
)
# `[Posted on] DATE [separator] by NAME…` or `Posted on DATE`: a byline with its date first.
DATE_FIRST_RE = re.compile(
    rf"(?P<posted>(?:posted|published) on )?(?P<date>.+?)(?:,? ?(?:[{_ANY_SPACING}{_SPACED}]|::)? ?by (?P<name>.+))?",
    re.IGNORECASE)
# The first three letters (in lower case) of a line that may be one: a month's, a weekday's, Posted, Published.
DATE_FIRST_STARTS = {m[:3] for m in MONTHS} | {"mon", "tue", "wed", "thu", "fri", "sat", "sun", "pos", "pub"}
TRAILING = " .:;"  # may follow a byline's date (`Transcript by A | January 21, 2018:`)
DIGIT_RE = re.compile(r"\d")


class Byline(NamedTuple):  # a tuple: built for every line that may be a byline, and quicker to build
    author: str | None
    source: str | None
    date_text: str | None
    has_by: bool
    partial: bool = False  # part of the line could not be read for sure (a byline-unread warning says so)

    @property
    def strong(self) -> bool:
        """A byline that cannot be a sentence: dated, or By with an outlet."""
        return bool(self.date_text or (self.has_by and self.source))


def _capitalize(word: str, keep_upper: frozenset[str]) -> str:
    """SMITH → Smith, O'NEILL → O'Neill, PH.D. → Ph.D., HAYES-SMITH → Hayes-Smith, CHILDREN'S → Children's;
    words in `keep_upper` (data/upper_case_words.txt) stay as they are."""
    if word.strip(".,()").upper() in keep_upper:
        return word
    low = word.lower()
    out = []
    for i, ch in enumerate(low):
        prev = low[i - 1] if i else ""
        after_apostrophe = prev in "'’" and len(re.match(r"[a-z]*", low[i:]).group()) >= 2
        out.append(ch.upper() if (not prev or prev in "-.(/[" or after_apostrophe) else ch)
    return "".join(out)


def normal_case(name: str, keep_upper: frozenset[str] = frozenset()) -> str:
    """A name printed in capitals (BY JOHN SMITH) in normal capitalization."""
    if not name.isupper():
        return name
    return " ".join(_capitalize(w, keep_upper) for w in name.split())


def is_name(text: str) -> bool:
    words = text.split()
    return 0 < len(words) <= MAX_NAME_WORDS and parse_date(text) is None


def looks_like_person(name: str) -> bool:
    """`By Meryl Nass, MD` names someone; `By contrast, the army…` starts a sentence."""
    words = name.split()
    if not words or len(words) > 8 or name[-1] in "!?:;":
        return False
    if name.endswith(".") and len(words[-1]) > 5 and "." not in words[-1][:-1]:
        return False
    return all(w[0].isupper() or not w[0].isalpha() or w.lower() in NAME_PARTICLES for w in words)


# Dashes are one kind of separator, bullets and dots another; every other mark its own.
KINDS = {**dict.fromkeys(DASHES, "-"), **dict.fromkeys(BULLETS, "•")}


def _kind(separator: str) -> str:
    mark = separator.strip()
    return KINDS.get(mark, mark)


def _tokens(text: str) -> list[str]:
    """The line split at its separators, which are kept: [name, separator, name, …]."""
    return SEPARATOR_RE.split(text) if SEPARATOR_CHAR_RE.search(text) else [text]


def _date_suffix(text: str) -> tuple[str, str] | None:
    """A date ending `text` after a comma, `on` or a space (`A, March 3, 2021`, `A on
    2021-03-03`): (the name before it, the date), or None."""
    end = len(text.rstrip(TRAILING))
    if end < 8 or not text[end - 1].isdigit():
        return None
    best, pos = None, end
    for _ in range(4):  # a date without a time has at most three spaces (Wednesday, March 3, 2021)
        pos = text.rfind(" ", 0, pos)
        if pos < 0:
            break
        if parse_date(text[pos + 1 : end]):
            best = pos
    if best is None:
        return None
    head = text[:best].rstrip(" ,")
    return (head[:-3] if head[-3:].lower() == " on" else head), text[best + 1 : end]


def _date_at_end(tokens: list[str], by: bool) -> tuple[str | None, str | None, list[str]]:
    """(the date ending the line, the kind of separator in front of it: None for a comma,
    `on` or a space after a By name, the tokens before them)."""
    if len(tokens) > 1:
        tail = tokens[-1].rstrip(TRAILING)
        if tail and parse_date(tail):
            return tail, _kind(tokens[-2]), tokens[:-2]
    if by and (found := _date_suffix(tokens[-1])):
        return found[1], None, [*tokens[:-1], found[0]]
    return None, None, tokens


def _pieces(tokens: list[str], kinds: list[str], kind: str | None) -> tuple[list[str], str | None]:
    """The names between the separators of `kind` (others stay inside the names), and the
    text after the first of them: the outlet, whatever separators it holds."""
    cuts = [2 * k + 1 for k, other in enumerate(kinds) if other == kind]
    if not cuts:
        return ["".join(tokens).strip()], None
    bounds = [-1, *cuts, len(tokens)]
    pieces = ["".join(tokens[a + 1 : z]).strip() for a, z in pairwise(bounds)]
    return pieces, "".join(tokens[cuts[0] + 1 :]).strip()


def _names(tokens: list[str], date_kind: str | None, ref: Reference, by: bool
           ) -> tuple[str | None, str | None, bool] | None:
    """(author, outlet, read in part) of a byline's names, or None when they are none. They
    are cut at the separators of the kind in front of the date; on a By line without one of
    them, at those of the first kind found."""
    if len(tokens) == 1:  # one name
        pieces, rest = [tokens[0].strip()], None
    elif len(tokens) == 3 and (by or _kind(tokens[1]) == date_kind):  # two names, the common case
        pieces = [tokens[0].strip(), tokens[2].strip()]
        rest = pieces[1]
    else:
        kinds = [_kind(t) for t in tokens[1::2]]
        pieces, rest = _pieces(tokens, kinds, date_kind if date_kind in kinds else kinds[0] if by else None)
    if by:
        author, source = pieces[0], rest
    elif len(pieces) == 1 or ref.is_known_source(whole := "".join(tokens).strip()):
        author, source = None, pieces[0] if len(pieces) == 1 else whole
    elif len(pieces) == 2 or ref.is_known_source(rest):
        author, source = pieces[0], rest
    else:
        return None  # A | B | C | D: which is the outlet?
    if (author is not None and not is_name(author)) or (source is not None and not is_name(source)):
        return None
    if source and DIGIT_RE.search(source) and DATE_RE.search(source):
        return None  # By A · 25 Jan 2026 · 6 min read: a date inside is no outlet's
    return author, source, len(pieces) > 2 and not ref.is_known_source(rest)


def _date_first(text: str, ref: Reference) -> Byline | None:
    """A byline with its date first, as WordPress's own themes print it: `Posted on March 3,
    2021 by A`, `March 3, 2021 | By A | S`, `Posted on March 3, 2021` (a date alone); or None.
    parse_byline reads only lines starting with a digit, a month or weekday or `Posted` /
    `Published` so."""
    if (m := DATE_FIRST_RE.fullmatch(text)) is None or not (date_text := m["date"]) or not parse_date(date_text):
        return None
    if m["name"] is None:
        return Byline(None, None, date_text, False) if m["posted"] else None
    b = parse_byline(f"By {m['name']}", ref)
    return b._replace(date_text=date_text) if b and not b.date_text else None


def parse_byline(text: str, ref: Reference) -> Byline | None:
    """Read a line as a byline (By A | S | D and its variants, module docstring), or None.

    A byline printed in capitals (BY A • S • D) gives its names in normal capitalization
    (a known outlet in its known spelling). A By line whose outlet holds its own separator
    (By A | B | C | D) is read as author A and outlet `B | C`, marked `partial`.
    """
    if text[:1] == "©":
        return None
    by = BY_RE.match(text) if "by " in text[:16].lower() else None  # the longest role is 11 letters
    if not by and (text[:1].isdigit() or text[:3].lower() in DATE_FIRST_STARTS) and (first := _date_first(text, ref)):
        return first
    if not by and not SEPARATOR_CHAR_RE.search(text):  # one part: a known outlet alone, or none
        return Byline(None, text, None, False) if ref.is_known_source(text) else None
    tokens = SEPARATOR_RE.split(text) if not by or SEPARATOR_CHAR_RE.search(text) else [text]
    if by:
        tokens[0] = tokens[0][by.end() :]
    date_text, date_kind, tokens = _date_at_end(tokens, bool(by))
    if not by and not date_text:
        return Byline(None, text, None, False) if ref.is_known_source(text) else None
    names = _names(tokens, date_kind, ref, bool(by))
    if names is None:
        return None
    author, source, partial = names
    if by and ((by["role"] and not date_text) or not (date_text or source or looks_like_person(author))):
        return None  # By contrast, the army…; Translated by A (a role needs a date)
    if by and date_text and date_kind is None and not source and not looks_like_person(author):
        return None  # By the end of March 3, 2021
    if source and text.isupper() and (by or any(c.isalpha() for c in date_text or "")):
        source = ref.known_spelling(source) or normal_case(source, ref.upper_case_words)
    return Byline(
        author=normal_case(author, ref.upper_case_words) if author else None,
        source=source,
        date_text=date_text,
        has_by=bool(by),
        partial=partial,
    )


# Lines read by read_byline → (the Reference they were read with, the reading). Dumps repeat
# their bylines and first lines (a post is on its day's listing page, the next day's, the home
# page and its own page): over the bench corpus 55% of the lines read are repeats. Emptied when
# full (at most ~5 MB: lines of at most 300 characters).
_READ: dict[str, tuple[Reference, Byline | None]] = {}
READ_CACHE_SIZE = 16384


def read_byline(text: str, ref: Reference) -> Byline | None:
    """parse_byline of a cleaned line, a long one (a paragraph) rejected without reading it;
    a line read before with the same Reference is not read again."""
    if len(text) > MAX_BYLINE_CHARS or text.count(" ") >= MAX_BYLINE_WORDS:
        return None
    seen = _READ.get(text)
    if seen is not None and seen[0] is ref:
        return seen[1]
    if len(_READ) >= READ_CACHE_SIZE:
        _READ.clear()
    byline = _READ[text] = ref, parse_byline(text, ref)
    return byline[1]


def looks_like_byline(text: str, under_title: bool) -> bool:
    """A line a reader takes for a byline: one starting with By or BY that is no sentence
    (it has a separator or a digit, or does not end like a sentence); directly under a
    title, also one holding a date and a separator."""
    if len(text) > MAX_BYLINE_CHARS or text.count(" ") >= MAX_BYLINE_WORDS:
        return False
    if text.startswith(("By ", "BY ", "Posted on ", "Published on ")):
        return bool(SEPARATOR_RE.search(text) or DIGIT_RE.search(text)) or text[-1] not in ".!?"
    return (under_title and DIGIT_RE.search(text) is not None and SEPARATOR_RE.search(text) is not None
            and DATE_RE.search(text) is not None)


def partial_byline(text: str, ref: Reference) -> Byline:
    """What can be read of a line that looks like a byline but is none of the known forms:
    its first date, and after By the name up to the first separator."""
    by = BY_RE.match(text)
    found = next((m.group() for m in DATE_RE.finditer(text) if parse_date(m.group())), None)
    author = None
    if by:
        name = _tokens(text[by.end() :])[0].strip()
        if is_name(name) and looks_like_person(name) and not DIGIT_RE.search(name):
            author = normal_case(name, ref.upper_case_words)
    return Byline(author, None, found, bool(by), partial=True)
