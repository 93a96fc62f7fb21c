"""Text of one dump → posts. Pure functions: text in, records out.

A dump is read as a list of non-empty lines (paragraphs may be separated by a blank
line or by a single newline: both read the same). A post is a title line, optional
caption / credit / subtitle lines, an optional byline, body lines and, on listing and
single-post pages, a footer line. Posts end at footers, at excerpt endings
("… continue") that no footer follows, and on pages without footers also where the
next title + byline starts.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from datetime import date
from functools import cache, lru_cache

from etl.core.reference import WIDGET_HEADING_MAX_CHARS, Reference, name_key
from etl.extract.bylines import (
    DATE_FIRST_STARTS,
    MAX_BYLINE_CHARS,
    SEPARATOR_CHAR_RE,
    TRAILING,
    Byline,
    looks_like_byline,
    looks_like_person,
    partial_byline,
    read_byline,
)
from etl.extract.dates import parse_date

MAX_LINES_BEFORE_BYLINE = 5  # captions, credits and subtitles between title and byline
MAX_HEADING_WORDS = 30  # a title or caption is at most this long
MAX_HEADER_LINES = 6  # the page header: site name, subtitle, taglines, a date
MAX_TAGLINE_WORDS = 6  # a tagline the sites list does not know is at most this long
MAX_TITLE_UNDER_TAGLINE_WORDS = 15  # and the title under it (a subtitle is often longer)
QUOTE_MARKS = ("\"“‘'«", "\"”’'»")  # a line inside these is a quote, not a title
WORD_RE = re.compile(r"[^\W\d_]+")
MAX_OUTLET_WORDS = 6  # an outlet's name alone under a title is at most this long
# `DATE Posted by | fields`, also `DATE - Posted by | …` (a dash between date and "Posted by").
FOOTER_RE = re.compile(
    r"^(?P<date>[A-Za-z]{3,9}\.? \d{1,2}, \d{4})(?: [-–—])? Posted by[^|\n]*\|(?P<rest>[^\n]*)$",
    re.IGNORECASE | re.MULTILINE,
)
# The last line of a dump cut off inside a footer's "Posted by": its date and what is left.
CUT_FOOTER_RE = re.compile(r"(?P<date>[A-Za-z]{3,9}\.? \d{1,2}, \d{4})(?: [-–—])? (?P<rest>P[^|]*)")
# The comment field, last in a footer; it may be missing. "Comments Off on <title>" (the title may hold |).
COMMENT_FIELD_RE = re.compile(
    r"(?:^|\|)\s*(?P<comments>Leave a comment|(?P<count>\d[\d,]*|One|No) (?:Comments?|Responses?)"
    r"|Comments Off(?: on .*)?)\s*$",
    re.IGNORECASE,
)
# An excerpt marker ending a line: "… continue", "... Continue reading →", "… Full article", or a
# line "Continue reading". Two expressions: the first starts with the ellipsis (no letter), so
# `re` skips to it instead of trying every position; the second is matched at the line start.
EXCERPT_END_RE = re.compile(
    r"(?:…|\.\.\.)[^\S\n]*(?:continue(?: reading)?|full article)[^\S\n]*(?:→|»)?[^\S\n]*$", re.IGNORECASE)
CONTINUE_LINE_RE = re.compile(r"continue reading[^\S\n]*(?:→|»)?[^\S\n]*$", re.IGNORECASE)
# The other teaser endings themes print: `– Read article`, `| Read more`, `Read more »`,
# `Continue →`, `[…]`, `(more…)`, `Read more` after a sentence, a line `Read the full story`.
# They may also end a paragraph inside a post (a quotation cut with […], a link to read more),
# so they end a post only on a page without footers, above a line that can be a title or at
# the end of the dump.
_TEASER_WORDS = (r"(?:continue(?: reading)?(?: (?:the|this) (?:article|story|post|entry))?|read more|read on"
                 r"|keep reading|read (?:the )?rest(?: of (?:the|this) (?:article|story|post|entry))?"
                 r"|read (?:the )?(?:(?:full|whole|entire|complete|original) )?(?:article|story|post|piece|report)"
                 r"(?: here)?|full (?:article|story|post|text|report))")
_TEASER_TRAIL = r"\s*(?:→|»|›|>>|…|\.\.\.)"
TEASER_END_RE = re.compile(  # after … – | a sentence, or alone; before an arrow; in brackets
    rf"(?:(?:^|\s*(?:…|\.\.\.)|(?:^|\s+)[–—-]|\s*\||(?<=[.!?\"”’)])\s)\s*{_TEASER_WORDS}(?:{_TEASER_TRAIL})?"
    rf"|(?:^|\s){_TEASER_WORDS}{_TEASER_TRAIL}"
    rf"|\s*[\[(]\s*(?:…|\.\.\.|more\s*(?:…|\.\.\.)?|{_TEASER_WORDS}(?:{_TEASER_TRAIL})?)\s*[\])])\s*$",
    re.IGNORECASE)
# Lines that may end an excerpt or be a footer are told by a cheap look at the line (its last
# character, a literal near its start); only those are read by the full expression.
# The last character of a cleaned line that ends in an excerpt marker (e, g: no other case forms).
EXCERPT_LAST_CHARS = "eEgG→»"
# ... or in a teaser ending: its last word (in lower case) or mark; a line ending in "." only after "...".
TEASER_LAST_WORDS = ("continue", "reading", "article", "story", "post", "entry", "more", "read on", "rest", "piece",
                     "report", "text", "here")
TEASER_LAST_MARKS = "→»›>…])"
TEASER_FIRST_WORDS = ("read", "continue", "keep", "full")  # may start a teaser ending in brackets
MARKER_LAST_CHARS = f"eEgGyYtTnN.{TEASER_LAST_MARKS}"
# ... and the character before a last ".", ")" or "]" (`Read more...`, `(more…)`, `[Read more]`, not `(AP)`).
MARKER_BEFORE_CLOSE = {".": ".", ")": "….eEgGyY→»", "]": "….eEgGyY→»"}
FOOTER_SCAN = "osted by"  # Posted by: in a footer it ends by character 31 (a date of at most 19, " - Posted by")
FOOTER_SCAN_END = 31
COMMENT_START_RE = re.compile(r"^(?P<n>\d{1,4})\.(?:\s+(?P<text>.*))?$")
COMMENT_END_RE = re.compile(r"^Comment by (?P<author>.+?) \| (?P<date>[^|]+?)(?P<reply> \| Reply)?$")
LEAVE_REPLY_RE = re.compile(r"^Leave a Reply(?: to .{1,200}?)?(?: Cancel reply)?$", re.MULTILINE)
COMMENTS_CLOSED_RE = re.compile(r"^Comments are closed\.?$", re.IGNORECASE | re.MULTILINE)
COMMENTS_CLOSED_LENGTHS = (19, 20)  # every character of the expression matches one character
CLOSING_MARKS = "'\"”’)]"  # may follow the punctuation that ends a sentence
EXCERPT_END_MAX = 40  # an excerpt ending is at most this long (lines are whitespace-collapsed)
# Page headings of WordPress archive pages, above the first post.
ARCHIVE_HEADING_RE = re.compile(
    r"^(?:(?:category|tag|daily|monthly|yearly|author) archives?:|archives? for\b|posts? tagged\b"
    r"|entries tagged\b|search results for\b|you are currently browsing\b)",
    re.IGNORECASE,
)
# Page navigation and site chrome after the last post.
NAV_RE = re.compile(
    r"^(?:«\s*)?(?:older|newer|previous|next) (?:entries|posts)(?:\s*»)?$|^blog at wordpress\.com\.?$",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Comment:
    position: int
    author: str
    commented_on: date | None
    body: str


@dataclass(frozen=True)
class Post:
    line: int  # line number of the title in the document
    title: str
    subtitle: str | None = None
    image_credit: str | None = None
    author: str | None = None
    source: str | None = None
    published_on: date | None = None
    published_on_guess: str | None = None  # reading taken for an ambiguous date
    body: str = ""  # its lines, whitespace collapsed (single spaces), joined by blank lines
    posted_on: date | None = None
    categories: tuple[str, ...] = ()
    tag_count: int = 0
    comment_count: int | None = None
    comments_open: bool | None = None
    is_complete: bool = True
    byline: str | None = None
    comments: tuple[Comment, ...] = ()


@dataclass(frozen=True)
class ParseWarning:
    line: int
    code: str
    message: str


@dataclass
class Page:
    site_name: str | None
    page_kind: str | None  # listing | home | single | fragment; None: the dump does not tell
    posts: list[Post] = field(default_factory=list)
    warnings: list[ParseWarning] = field(default_factory=list)


@dataclass(frozen=True)
class Footer:
    posted_on: date | None
    categories_text: str
    tag_count: int
    comment_count: int | None  # None: no comment field
    comments_open: bool | None  # None: no comment field
    cut: bool = False  # the dump ends inside it: only its fields followed by a | are whole


Line = tuple[int, str]  # (line number, text with whitespace collapsed)


def clean_line(line: str) -> str:
    """Collapse all whitespace, non-breaking spaces included, to single spaces."""
    return " ".join(line.split())


def parse_footer(text: str) -> Footer | None:
    """Read `Month D, YYYY [-] Posted by | categories | tag links | comments`, or None.

    The comment field may be missing (count and open None: a single page's thread tells);
    "Comments Off" means no comment and comments closed (WordPress prints it only then)."""
    m = FOOTER_RE.fullmatch(text)
    return _footer(m["date"], m["rest"]) if m else None


def _footer(date_text: str, rest: str) -> Footer:
    c = COMMENT_FIELD_RE.search(rest)
    fields = (rest[: c.start()] if c else rest).split("|")
    tag_field = None
    # The tag-link field is the last one and holds only commas (one tag: an empty field).
    only_commas = not fields[-1].replace(",", "").strip()
    if only_commas and (len(fields) >= 2 or "," in fields[0]):
        tag_field = fields.pop()
    posted = parse_date(date_text)
    count, open_ = _comment_field(c)
    return Footer(
        posted_on=posted[0] if posted else None,
        categories_text=", ".join(f.strip() for f in fields if f.strip()),
        tag_count=0 if tag_field is None else tag_field.count(",") + 1,
        comment_count=count,
        comments_open=open_,
    )


def _comment_field(c: re.Match | None) -> tuple[int | None, bool | None]:
    """(comment count, comments open) of a footer's comment field; (None, None) without one."""
    if c is None:
        return None, None
    if c["comments"].lower().startswith("comments off"):
        return 0, False
    count = (c["count"] or "0").lower()
    return (1 if count == "one" else 0 if count == "no" else int(count.replace(",", ""))), True


@cache
def _category_keys(known: tuple[str, ...]) -> tuple[dict[str, str], int]:
    """Known categories by matching key, and the most commas one of them holds, plus one."""
    return {clean_line(k).casefold(): k for k in known}, max((k.count(",") + 1 for k in known), default=1)


def split_categories(text: str, known: tuple[str, ...]) -> tuple[list[str], list[str]]:
    """Split a footer's category field, longest known name first.

    Returns (categories in footer order, fragments that matched no known name).
    Unknown fragments are kept as categories, not dropped.
    """
    found, unknown = _split_categories(text, known)
    return list(found), list(unknown)


@lru_cache(maxsize=4096)  # footers repeat their category fields
def _split_categories(text: str, known: tuple[str, ...]) -> tuple[tuple[str, ...], tuple[str, ...]]:
    by_key, longest = _category_keys(known)
    tokens = [t.strip() for t in text.split(",") if t.strip()]
    found: list[str] = []
    unknown: list[str] = []
    i = 0
    while i < len(tokens):
        for j in range(min(len(tokens), i + longest), i, -1):
            name = by_key.get(", ".join(tokens[i:j]).casefold())
            if name:
                found.append(name)
                i = j
                break
        else:
            found.append(tokens[i])
            unknown.append(tokens[i])
            i += 1
    return tuple(dict.fromkeys(found)), tuple(unknown)


def _find_byline(lines: list[Line], ref: Reference) -> tuple[tuple[int, Byline] | None, list[Byline | None]]:
    """The byline among the lines after a title: a `By …` line with a date or outlet
    first, then one naming a known outlet, then the last dated one (captions above it may
    hold dates and dashes), then a bare `By Name`; and the lines read, as bylines or None."""
    candidates = []
    read: list[Byline | None] = []
    for k, (_, text) in enumerate(lines[: MAX_LINES_BEFORE_BYLINE + 1]):
        if len(text) > MAX_BYLINE_CHARS:
            break
        b = read_byline(text, ref)
        read.append(b)
        if b and b.has_by and b.strong:
            return (k, b), read  # the first of these is taken whatever follows
        if b:
            candidates.append((k, b))
    known = [c for c in candidates if c[1].source and ref.is_known_source(c[1].source)]
    dated = [c for c in candidates if c[1].date_text]
    return (known[0] if known else dated[-1] if dated else candidates[0] if candidates else None), read


def _head_byline(rest: list[Line], ref: Reference) -> tuple[tuple[int, Byline] | None, list[ParseWarning]]:
    """The byline among the lines under a title (its index, the byline) and a byline-unread
    warning for each line above it (for the first lines, when there is none) that looks like a
    byline but reads as none, and for a byline read in part. Without a byline, the first such
    line gives what can be read of it (its date, the name after By)."""
    found, read = _find_byline(rest, ref)
    if found and found[0] == 0 and not found[1].partial:
        return found, []  # the byline directly under the title, read whole: most posts
    unread = [k for k, b in enumerate(read[: found[0]] if found else read)
              if b is None and looks_like_byline(rest[k][1], k == 0)]
    if found is None and unread:
        partial = partial_byline(rest[unread[0]][1], ref)
        found = (unread[0], partial) if partial.author or partial.date_text else None
    warnings = [ParseWarning(rest[k][0], "byline-unread", f"looks like a byline, not read: {rest[k][1][:200]!r}")
                for k in unread if not (found and k == found[0])]
    if found and found[1].partial:
        no, text = rest[found[0]]
        b = found[1]
        warnings.append(ParseWarning(no, "byline-unread", f"byline read in part (author {b.author!r}, outlet "
                                                          f"{b.source!r}, date {b.date_text!r}): {text[:200]!r}"))
    return found, warnings


def _ends_sentence(text: str) -> bool:
    """Ends in . , ; or :, perhaps followed by closing quotes and brackets."""
    return text.rstrip(CLOSING_MARKS)[-1:] in (".", ",", ";", ":")


def _is_sentence(text: str) -> bool:
    """Ends in . ! or ?, perhaps followed by closing quotes and brackets."""
    return text.rstrip(CLOSING_MARKS)[-1:] in (".", "!", "?")


def _words(text: str) -> int:
    """Words of a cleaned line (single spaces, none at the ends)."""
    return text.count(" ") + 1


def _is_heading(text: str) -> bool:
    """Could be a title or caption: short, and not ending like a sentence."""
    return _words(text) <= MAX_HEADING_WORDS and not _ends_sentence(text)


def _is_title(text: str) -> bool:
    """Could be a title: not a long paragraph, nor a sentence of more than 20 words."""
    words = _words(text)
    return words <= MAX_HEADING_WORDS and not (words > 20 and _ends_sentence(text))


def _reads_as_byline(text: str, ref: Reference) -> bool:
    """A dated byline, or `By A | S`: never a title."""
    # A strong byline is By with an outlet, or dated: the date first, or last after a separator
    # (a digit, or a letter after a time). A cheap look at its start and end first: most are titles.
    head = text[:16].lower()
    if not ("by " in head or head[:1].isdigit() or head[:3] in DATE_FIRST_STARTS
            or (SEPARATOR_CHAR_RE.search(text) and ((end := text.rstrip(TRAILING)[-1:]).isdigit()
                                                    or (end.isalpha() and ":" in text[-16:])))):
        return False
    b = read_byline(text, ref)
    return b is not None and b.strong


def _starts_post(text: str, ref: Reference) -> bool:
    """A byline that starts a post on a page without footers: dated, By with an outlet, or a known outlet."""
    b = read_byline(text, ref)
    return b is not None and (b.strong or bool(b.source and ref.is_known_source(b.source)))


def _same_text(a: str, b: str) -> bool:
    """The same line printed twice (quotes, punctuation and case aside)."""
    key = name_key(a)
    return bool(key) and key == name_key(b)


def _title_above(segment: list[Line], b: int, floor: int) -> int:
    """Index of the title of the post whose byline is segment[b]: the line above it, or above
    the captions, credits and lines printed twice there (never at or above `floor`)."""
    t = b - 1
    while t - 1 > floor and b - t <= MAX_LINES_BEFORE_BYLINE:
        text, before = segment[t][1], segment[t - 1][1]
        if not (text.startswith("©") or _same_text(text, before) or _is_heading(before)):
            break
        t -= 1
    return t


def _split_at_bylines(segment: list[Line], ref: Reference) -> list[list[Line]]:
    """On pages without footers, a post starts at each title + byline pair. The title is
    the line above the byline, or above the captions, credits and repeated lines there;
    a line that reads as a byline is never a title."""
    starts = [0]
    first = True  # the first byline of the segment is still to come
    for b in range(2, len(segment)):
        if not _starts_post(segment[b][1], ref):
            continue
        if first and _first_posts_own(segment, b, ref):
            first = False
            continue
        first = False
        t = _title_above(segment, b, starts[-1])
        if t > starts[-1] + 1 and not _reads_as_byline(segment[t][1], ref):
            starts.append(t)
    return [segment[a:z] for a, z in zip(starts, [*starts[1:], len(segment)], strict=False)]


def _first_posts_own(segment: list[Line], b: int, ref: Reference) -> bool:
    """The first byline of a segment (segment[b], below its second line) is the first post's
    own when only captions stand between them (no sentence, no byline), within reach."""
    return (b <= MAX_LINES_BEFORE_BYLINE + 1 and not any(_is_sentence(t) for _, t in segment[1:b])
            and not _starts_post(segment[1][1], ref))


@dataclass(frozen=True)
class _Built:
    post: Post
    date_text: str | None  # the byline's date as printed
    warnings: tuple[ParseWarning, ...]


def _is_body(text: str) -> bool:
    """Reads as a paragraph of body text: a sentence, or long."""
    return _words(text) > 12 or text.rstrip(CLOSING_MARKS)[-1:] in (".", "!", "?", ":")


def _outlet_alone(body: list[Line], ref: Reference, cut_off: bool) -> tuple[str | None, list[ParseWarning]]:
    """No byline found: a name alone directly under the title and above the body is the
    outlet (an organisation not in data/known_sources.txt); a name-like line elsewhere only
    gets a warning. Where the dump ends inside the paragraph under the name (`cut_off`, and
    it is the post's last line), that paragraph need not read as a whole sentence, only not
    as another name."""
    if not body:
        return None, []
    no, text = body[0]
    if not (_words(text) <= MAX_OUTLET_WORDS and _is_heading(text) and looks_like_person(text)):
        return None, []
    below = _without_marker(body[1][1]) if len(body) >= 2 else ""
    cut_paragraph = cut_off and len(body) == 2 and not looks_like_person(below)
    if below and (_is_body(below) or cut_paragraph) and not ref.is_widget_heading(text):
        return text, [ParseWarning(no, "possible-byline", f"{text!r} alone under the title read as the outlet: "
                                                      "if it is one, add it to data/known_sources.txt")]
    return None, [ParseWarning(no, "possible-byline", f"{text!r} under the title may be an outlet: if so, add it to "
                                                  "data/known_sources.txt")]


def _footer_fields(footer: Footer | None, title_line: int, ref: Reference
                   ) -> tuple[tuple[str, ...], list[ParseWarning]]:
    if footer is None:
        return (), []
    categories, unknown = _split_categories(footer.categories_text, ref.categories)
    return categories, [ParseWarning(title_line, "unknown-category",
                                f"category {fragment!r} is not in data/known_categories.txt") for fragment in unknown]


def _excerpt_marker(text: str) -> tuple[re.Match, bool] | None:
    """The excerpt marker ending a cleaned line, and whether it is one of the strong ones ("…
    continue", "… Full article": a teaser ending, TEASER_END_RE, otherwise): searched in its
    tail only, and only when the line ends as a marker does."""
    last = text[-1:]
    if last in EXCERPT_LAST_CHARS and (marker := _strong_marker(text)):
        return marker, True
    if _may_end_teaser(text, last):
        marker = TEASER_END_RE.search(text, max(0, len(text) - EXCERPT_END_MAX))
        return (marker, False) if marker else None
    return None


def _strong_marker(text: str) -> re.Match | None:
    """The strong excerpt marker ("… continue", "… Full article") ending a line that ends in e,
    g, → or »."""
    if len(text) <= EXCERPT_END_MAX and (line := CONTINUE_LINE_RE.match(text)):
        return line
    return EXCERPT_END_RE.search(text, max(0, len(text) - EXCERPT_END_MAX))


def _may_end_teaser(text: str, last: str) -> bool:
    """A cheap look at a line's end: could it end in a teaser ending (TEASER_END_RE)?"""
    if last in ")]":  # `(more…)`, `[…]`, `[Read more]`, not `(AP)` or a title's `(2345)`
        inner = text[text.rfind("(" if last == ")" else "[") + 1 : -1].strip().lower()
        return inner.endswith(("…", "...", "more")) or inner.startswith(TEASER_FIRST_WORDS)
    if last == ".":
        return text.endswith("...")
    return last in TEASER_LAST_MARKS or text[-9:].lower().endswith(TEASER_LAST_WORDS)


def _without_marker(text: str) -> str:
    """A cleaned line without the excerpt marker ending it, if any."""
    marker = _excerpt_marker(text)
    return text if marker is None else text[: marker[0].start()].rstrip()


def _strip_marker(body_lines: list[str]) -> list[str]:
    """Without its "… continue" / "… Full article" marker (an excerpt's last line)."""
    if not body_lines:
        return body_lines
    last = _without_marker(body_lines[-1])
    return [*body_lines[:-1], last] if last else body_lines[:-1]


def _joined_once(texts: list[str]) -> str | None:
    """Lines printed twice once, one a line; None for none."""
    return "\n".join(dict.fromkeys(texts)) if texts else None


def _build_post(lines: list[Line], footer: Footer | None, complete: bool, ref: Reference,
                cut_off: bool = False) -> _Built:
    """A post from its lines (title first); `cut_off`: the dump ends inside it."""
    (title_line, title), rest = lines[0], lines[1:]
    found, warnings = _head_byline(rest, ref)
    pre, byline = ([], None) if found is None else (rest[: found[0]], found[1])
    body = rest if found is None else rest[found[0] + 1 :]
    outlet = None
    if byline is None:
        outlet, alone = _outlet_alone(body, ref, cut_off)
        body = body[1:] if outlet else body
        warnings += alone
    posted_on = footer.posted_on if footer else None
    published, guess = None, None
    if byline and byline.date_text:
        published, guess = parse_date(byline.date_text, near=posted_on) or (None, None)
    categories, unknown = _footer_fields(footer, title_line, ref)
    body_lines = [t for _, t in body]
    post = Post(
        line=title_line,
        title=title,
        subtitle=_joined_once([t for _, t in pre if not t.startswith("©")]),
        image_credit=_joined_once([t for _, t in pre if t.startswith("©")]),
        author=byline.author if byline else None,
        source=byline.source if byline else outlet,
        published_on=published,
        published_on_guess=guess,
        body="\n\n".join(body_lines if complete else _strip_marker(body_lines)),
        posted_on=posted_on,
        categories=categories,
        tag_count=footer.tag_count if footer else 0,
        comment_count=footer.comment_count if footer else None,
        comments_open=footer.comments_open if footer else None,
        is_complete=complete,
        byline=" ".join(filter(None, [byline.author, byline.source, byline.date_text])) if byline else outlet,
    )
    return _Built(post, byline.date_text if byline else None, (*unknown, *warnings))


def _comment_end(text: str) -> tuple[str, date | None] | None:
    """`Comment by NAME | DATE | Reply` (no Reply when comments are closed) → (name, date)."""
    m = COMMENT_END_RE.match(text)
    if not m:
        return None
    when = parse_date(m["date"])
    if when is None and not m["reply"]:  # without "| Reply", only a date makes it a closing line
        return None
    return m["author"].strip(), when[0] if when else None


def _parse_thread(lines: list[Line]) -> tuple[tuple[Comment, ...], bool, list[ParseWarning]]:
    """Numbered comments, each closed by `Comment by NAME | DATE | Reply`; also whether any
    closing line offers "Reply" (comments open)."""
    comments: list[Comment] = []
    warnings: list[ParseWarning] = []
    current: list[str] | None = None
    reply = False
    for no, text in lines:
        start = COMMENT_START_RE.match(text)
        end = _comment_end(text) if current is not None else None
        if current is None and start:
            current = [start["text"]] if start["text"] else []
        elif end:
            comments.append(Comment(len(comments) + 1, end[0], end[1], "\n\n".join(current)))
            reply = reply or text.endswith("| Reply")
            current = None
        elif current is not None:
            current.append(text)
        else:
            warnings.append(ParseWarning(no, "ignored-line", f"line outside any comment: {text[:60]!r}"))
    if current is not None:
        warnings.append(ParseWarning(lines[-1][0], "incomplete-comment", "last comment has no closing line"))
    return tuple(comments), reply, warnings


def _thread_start(lines: list[Line], after: int) -> int | None:
    """Index of the first line of a comment thread below line index `after`, or None:
    the `1.` line that opens the comment closed by the first `Comment by` line."""
    end = next((i for i in range(after + 1, len(lines))
                if lines[i][1].startswith("Comment by ") and _comment_end(lines[i][1])), None)
    if end is None:
        return None
    first = [i for i in range(after + 1, end) if (m := COMMENT_START_RE.match(lines[i][1])) and m["n"] == "1"]
    return first[-1] if first else end


def _resolve_page_dates(posts: list[Post], date_texts: list[str | None]) -> list[Post]:
    """Ambiguous byline dates of posts without a footer date (home pages): read them
    against the nearest post of the page that has a certain date."""
    anchors = [(i, p.posted_on or (p.published_on if not p.published_on_guess else None)) for i, p in enumerate(posts)]
    anchors = [(i, d) for i, d in anchors if d]
    out = []
    for i, post in enumerate(posts):
        if post.published_on_guess and post.posted_on is None and anchors and date_texts[i]:
            near = min(anchors, key=lambda a: (abs(a[0] - i), a[0] > i))[1]
            parsed = parse_date(date_texts[i], near=near)
            if parsed:
                post = replace(post, published_on=parsed[0], published_on_guess=parsed[1])
        out.append(post)
    return out


# --- the steps of parse_page ------------------------------------------------------------

def _clean_lines(text: str) -> list[Line]:
    """Non-empty lines, whitespace collapsed, with their line numbers.

    Lines split at newlines and stripped of spaces, runs of spaces made one: that is the
    whole cleaning when the lines, joined, are printable (every whitespace character but
    the space, and every line break but the newline, is unprintable). Pages with tabs,
    no-break spaces and the like are cleaned as str.split() reads whitespace."""
    for space in COMMON_SPACES:  # read as spaces at once: one pass over the page each, in C
        if space in text:
            text = text.replace(space, " ")
    lines = [(n, c) for n, line in enumerate(text.split("\n"), 1) if (c := line.strip(" "))]
    joined = " ".join([c for _, c in lines])
    if not joined.isprintable():
        return _clean_unprintable(text, lines)
    return [(n, " ".join(c.split()) if "  " in c else c) for n, c in lines] if "  " in joined else lines


# The whitespace other than spaces that pages hold most: no-break spaces (full real dumps hold
# dozens) and tabs. Any other is read by `_clean_unprintable`, line by line.
COMMON_SPACES = ("\xa0", "\t")
# The line breaks of str.splitlines() but the newline (the reader has replaced CRs already).
OTHER_LINE_BREAKS = "\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029"


def _clean_unprintable(text: str, lines: list[Line]) -> list[Line]:
    """`_clean_lines` of a page with characters that are not printable (no-break spaces, tabs, …):
    only its unprintable lines are read as str.split() reads whitespace (as are those with double
    spaces). A page with a line break other than the newline is cleaned line by line as
    str.splitlines() cuts it (its lines are numbered so); every such break is unprintable."""
    out: list[Line] = []
    for n, c in lines:
        if not c.isprintable():
            for b in OTHER_LINE_BREAKS:
                if b in c:
                    return [(n, c) for n, raw in enumerate(text.splitlines(), 1) if (c := " ".join(raw.split()))]
            c = " ".join(c.split())
            if not c:
                continue
        elif "  " in c:
            c = " ".join(c.split())
        out.append((n, c))
    return out


def _footers(lines: list[Line]) -> tuple[dict[int, Footer], list[ParseWarning]]:
    """The footer lines of a page by line number: lines with "Posted by" where a footer has it, read
    by FOOTER_RE; and the last line of the dump read as a footer the dump cuts off (with a warning)."""
    footers = {no: _footer(m["date"], m["rest"]) for no, text in lines
               if text.find(FOOTER_SCAN, 0, FOOTER_SCAN_END) >= 0 and (m := FOOTER_RE.fullmatch(text))}
    cut = _cut_footer(lines[-1][1], footers.get(lines[-1][0])) if lines else None
    if cut is None:
        return footers, []
    no, text = lines[-1]
    footers[no] = cut
    return footers, [ParseWarning(no, "footer-cut-off", "the dump ends inside this footer: categories, tags and "
                                  f"comments are unknown past its last whole field: {text[:200]!r}")]


def _cut_footer(text: str, footer: Footer | None) -> Footer | None:
    """The last line of a dump as a footer cut off mid-field, or None: a footer without its
    comment field (`… Posted by | Ethnic Cleansing, Raci`), or a date followed by the start of
    "Posted by" (`August 25, 2022 Pos`). Only the fields followed by a | are read."""
    if footer is not None:
        if footer.comment_count is not None:
            return None
        m = FOOTER_RE.fullmatch(text)
        rest = m["rest"][: max(0, m["rest"].rfind("|"))]
        return replace(_footer(m["date"], rest), cut=True)
    m = CUT_FOOTER_RE.fullmatch(text)
    if m is None or not (m["rest"].lower().startswith("posted by") or "posted by".startswith(m["rest"].lower())):
        return None
    posted = parse_date(m["date"])
    return Footer(posted[0] if posted else None, "", 0, None, None, cut=True)


def _header(lines: list[Line], ref: Reference) -> tuple[str | None, list[Line], list[ParseWarning]]:
    """The page header heading the dump, and an archive heading under it, removed. The header
    is its first lines that are the site's name or taglines (data/sites.toml), in any order
    and number, several on one line too, or a date printed among them; and, under a site's
    name, the taglines a year's header prints that the list does not know (`_new_taglines`)."""
    site, n = None, 0
    for i, (_, text) in enumerate(lines[:MAX_HEADER_LINES]):
        found = ref.header_site(text)
        if found is not None or (text[-1].isdigit() and parse_date(text)):
            site, n = site or found, i + 1  # a known header line: every line above it is the header's
        elif site is None or not _may_be_tagline(text, ref):
            break
    warnings: list[ParseWarning] = []
    if site is not None:
        below, warnings = _new_tagline_below(lines[n:n + 3], ref)
        n += below
        warnings += [ParseWarning(no, "unknown-tagline", f"header line read as a tagline of {site} that "
                                  f"sites.toml does not list (add it there): {text[:120]!r}")
                     for no, text in lines[:n] if ref.header_site(text) is None and not parse_date(text)]
        lines = lines[n:]
    if lines and ARCHIVE_HEADING_RE.match(lines[0][1]):
        heading = ParseWarning(lines[0][0], "ignored-line", f"page heading ignored: {lines[0][1][:60]!r}")
        return site, lines[1:], [*warnings, heading]
    return site, lines, warnings


def _may_be_tagline(text: str, ref: Reference) -> bool:
    """Could be a line of a page header: short, no sentence, no byline, no archive's heading."""
    return (_words(text) <= MAX_TAGLINE_WORDS and not _ends_sentence(text) and not _is_sentence(text)
            and not ARCHIVE_HEADING_RE.match(text) and not _reads_as_byline(text, ref))


def _new_tagline_below(below: list[Line], ref: Reference) -> tuple[int, list[ParseWarning]]:
    """1 when the first of the lines under a header is a tagline the list does not know: a
    short line in title case (or capitals), directly above a title-like line and its byline.
    (A first post's own subtitle, the other reading of such lines, is a sentence, a quote, or
    a line longer than a title below a title longer than a tagline: the real pages and the
    fixtures have no other.) Such a line over a title-like line and anything else but a
    byline may be either: it is read as the first post's title, with a `possible-tagline`
    warning."""
    if len(below) < 3 or not tagline_shaped(below[0][1], ref):
        return 0, []
    (no, tagline), (_, title), (_, byline) = below[:3]
    if (_words(title) <= MAX_TITLE_UNDER_TAGLINE_WORDS and _may_be_title(title) and not _quote_or_credit(title)
            and _starts_post(byline, ref)):
        return 1, []
    if _is_heading(title) and _may_be_title(title) and not _quote_or_credit(title) and not _starts_post(title, ref):
        return 0, [ParseWarning(no, "possible-tagline", f"first line under the header, read as the first post's "
                                f"title, may be a tagline sites.toml does not list: {tagline[:120]!r}")]
    return 0, []


def tagline_shaped(text: str, ref: Reference) -> bool:
    """Could be a tagline the sites list does not know, right under a page header: short, in
    title case or capitals, no sentence, no byline. A first post's title of this shape over a
    caption and a byline reads as such a tagline over a title (docs/input-formats.md)."""
    return _may_be_tagline(text, ref) and _title_case(text)


def _quote_or_credit(text: str) -> bool:
    """A line that is a quotation from end to end, or a photo credit: a subtitle, not a title."""
    return text.startswith("©") or (text[:1] in QUOTE_MARKS[0] and text.rstrip(".,;:!?")[-1:] in QUOTE_MARKS[1])


def _may_be_title(text: str) -> bool:
    """Does not end like a clause that goes on (, ; or :): a title may ask, exclaim, or end
    in an abbreviation (`Talks in Oct./Nov.`)."""
    return text.rstrip(CLOSING_MARKS)[-1:] not in (",", ";", ":")


def _title_case(text: str) -> bool:
    """Every word of four letters or more starts with a capital (and there is one)."""
    long_words = [w for w in WORD_RE.findall(text) if len(w) >= 4]
    return bool(long_words) and all(w[0].isupper() for w in long_words)


@dataclass(frozen=True)
class _Single:
    """What a single-post page has below its post's footer."""
    thread: list[Line]
    reply_form: bool  # the "Leave a Reply" form: comments are open
    closed: bool  # "Comments are closed."


def _thread_end(lines: list[Line], after: int) -> tuple[int | None, int | None]:
    """Indexes of the first "Leave a Reply" form line and of the first "Comments are closed."
    line below line index `after` (None: none)."""
    form = closed = None
    for i in range(after + 1, len(lines)):
        text = lines[i][1]
        if form is None and text.startswith("Leave a Reply") and LEAVE_REPLY_RE.fullmatch(text):
            form = i
        elif closed is None and len(text) in COMMENTS_CLOSED_LENGTHS and COMMENTS_CLOSED_RE.fullmatch(text):
            closed = i
    return form, closed


def _last_footer(lines: list[Line], footers: dict[int, Footer]) -> int:
    """Index of the last footer line, or -1."""
    return next((i for i in range(len(lines) - 1, -1, -1) if lines[i][0] in footers), -1)


def _split_thread(lines: list[Line], footers: dict[int, Footer]) -> tuple[list[Line], _Single | None]:
    """The post lines and, on a single-post page, the comment thread and the reply form
    (or the notice that comments are closed) below the last footer."""
    last_footer = _last_footer(lines, footers)
    form, closed = _thread_end(lines, last_footer)
    ends = [i for i in (form, closed) if i is not None]
    cut = min(ends) if ends else len(lines)
    lines = lines[:cut]
    thread_at = _thread_start(lines, last_footer)
    if not ends and thread_at is None:
        return lines, None
    split = last_footer + 1 if last_footer >= 0 else thread_at if thread_at is not None else len(lines)
    return lines[:split], _Single(lines[split:], form is not None and (closed is None or form < closed),
                                  closed is not None)


def _drop_navigation(lines: list[Line]) -> tuple[list[Line], list[ParseWarning]]:
    """Page navigation and site chrome after the last post."""
    end = len(lines)
    while end > 1 and NAV_RE.match(lines[end - 1][1]):
        end -= 1
    return lines[:end], [ParseWarning(no, "ignored-line", f"page navigation ignored: {text[:60]!r}")
                         for no, text in reversed(lines[end:])]


def _widget_end(lines: list[Line], h: int, heads: set[int], ref: Reference) -> int | None:
    """End (exclusive) of the widget block headed by lines[h]: teaser titles and dates up to
    the first teaser sentence (included), the next widget heading, the title of the next post
    (title + byline) or the end of the dump; None when a footer comes first (the heading is
    then a line of a post)."""
    for j in range(h + 1, len(lines)):
        text = lines[j][1]
        if j in heads:
            return j
        if FOOTER_RE.match(text):
            return None
        if j > h + 1 and _starts_post(text, ref):
            t = _title_above(lines, j, h)
            return t if t > h else j
        if _is_body(text):
            return j + 1
    return len(lines)


def _drop_widgets(lines: list[Line], ref: Reference) -> tuple[list[Line], list[ParseWarning]]:
    """Sidebar and widget blocks (a heading of data/widget_headings.txt and its teasers): not posts."""
    heads = {i for i, (_, t) in enumerate(lines) if len(t) <= WIDGET_HEADING_MAX_CHARS and ref.is_widget_heading(t)}
    if not heads:
        return lines, []
    drop: set[int] = set()
    for h in sorted(heads):
        end = _widget_end(lines, h, heads, ref)
        drop.update(range(h, h + 1 if end is None else end))
    warnings = [ParseWarning(lines[i][0], "ignored-line", f"sidebar or widget line ignored: {lines[i][1][:60]!r}")
                for i in sorted(drop)]
    return [line for i, line in enumerate(lines) if i not in drop], warnings


@dataclass(frozen=True)
class _Segment:
    lines: list[Line]
    footer: Footer | None
    complete: bool  # ends at its footer or is followed by the next post, not cut off
    cut_off: bool = False  # the dump ends inside its last post


def _scan(lines: list[Line], footers: dict[int, Footer]) -> tuple[dict[int, Footer], set[int]]:
    """The footers by line index, and the indexes of lines ending an excerpt: a strong marker
    anywhere, a teaser ending (TEASER_END_RE) on a page without footers above a line that can
    be a title or at its end. Only lines whose last character may end a marker are read."""
    by_index = {i: footers[no] for i, (no, _) in enumerate(lines) if no in footers}
    if by_index:  # only the strong markers count
        return by_index, {i for i, (_, t) in enumerate(lines) if t[-1] in EXCERPT_LAST_CHARS and _strong_marker(t)}
    markers = {i: marker[1] for i, (_, t) in enumerate(lines)
               if (c := t[-1]) in MARKER_LAST_CHARS and (c not in ".)]" or t[-2:-1] in MARKER_BEFORE_CLOSE[c])
               and (marker := _excerpt_marker(t))}
    return by_index, {i for i, strong in markers.items()
                      if strong or i + 1 == len(lines) or _is_heading(lines[i + 1][1])}


def _segments(lines: list[Line], footers: dict[int, Footer], excerpt_ends: set[int]
              ) -> tuple[list[_Segment], list[Line], list[ParseWarning]]:
    """The page cut at footers and at excerpt endings no footer follows (on a listing page a
    post may end in "… Full article", a link to the outlet, and still have its footer); also
    the lines after the last cut and warnings."""
    segments: list[_Segment] = []
    warnings: list[ParseWarning] = []
    start = 0
    for i in sorted({*footers, *(i for i in excerpt_ends if i + 1 not in footers)}):
        if i in footers:
            if i > start:
                segments.append(_Segment(lines[start:i], footers[i], not footers[i].cut, footers[i].cut))
            else:
                warnings.append(ParseWarning(lines[i][0], "ignored-line", "footer without a post above it"))
            start = i + 1
        elif i > start:
            segments.append(_Segment(lines[start : i + 1], None, False))
            start = i + 1
    return segments, lines[start:], warnings


def _segment_posts(segment: _Segment, split: bool, ref: Reference) -> tuple[list[_Built], list[ParseWarning]]:
    """The posts of one segment. Without footers on the page, posts inside a segment start at
    title + byline pairs; those before the last one were shown in full. A part whose first
    line reads as a byline has lost its title: it is no post."""
    parts = _split_at_bylines(segment.lines, ref) if split else [segment.lines]
    built: list[_Built] = []
    warnings: list[ParseWarning] = []
    for k, part in enumerate(parts):
        last = k == len(parts) - 1
        if _reads_as_byline(part[0][1], ref):
            warnings.append(ParseWarning(part[0][0], "ignored-line", f"byline without a title: {part[0][1][:60]!r}"))
            continue
        built.append(_build_post(part, segment.footer if last else None, segment.complete or not last, ref,
                                 cut_off=segment.cut_off and last))
    return built, warnings


def _tail_posts(tail: list[Line], split: bool, ref: Reference) -> tuple[list[_Built], list[ParseWarning]]:
    """The lines after the last footer or excerpt: a post cut off by the end of the dump (a
    title alone on the last line is one too), or a line that is no post."""
    if not tail:
        return [], []
    no, text = tail[0]
    cut = ParseWarning(no, "incomplete-post", "the dump ends inside this post (no footer)")
    if len(tail) > 1:
        built, warnings = _segment_posts(_Segment(tail, None, False, cut_off=True), split, ref)
        return built, [*warnings, cut]
    if (_is_heading(text) and not _reads_as_byline(text, ref) and not ref.is_widget_heading(text)
            and ref.header_site(text) is None):
        return [_build_post(tail, None, False, ref)], [cut]
    return [], [ParseWarning(no, "ignored-line", f"trailing line ignored: {text[:60]!r}")]


def _apply_thread(post: Post, single: _Single) -> tuple[Post, list[ParseWarning]]:
    """A single page's post with its comment thread. Without a comment field in the footer,
    the thread gives the count (when its end is in the dump) and the reply form says
    comments are open; "Comments are closed." or closing lines without "Reply" say closed."""
    comments, reply, warnings = _parse_thread(single.thread)
    closed = single.closed or (bool(comments) and not reply and not single.reply_form)
    count, open_ = post.comment_count, post.comments_open
    if open_ is None:
        open_ = True if single.reply_form else False if closed else None
        count = len(comments) if single.reply_form or single.closed else None
    elif closed:
        open_ = False
    if count is not None and count != len(comments):
        warnings.append(ParseWarning(post.line, "comment-count-mismatch",
                                f"footer says {count} comments, thread has {len(comments)}"))
    return replace(post, comments=comments, comment_count=count, comments_open=open_), warnings


def _dated(posts: list[Post], date_texts: list[str | None]) -> tuple[list[Post], list[ParseWarning]]:
    """Ambiguous dates resolved across the page, each with a warning; a warning for each post
    left without any date."""
    posts = _resolve_page_dates(posts, date_texts)
    ambiguous = [ParseWarning(p.line, "ambiguous-date", f"byline date {d!r} read {p.published_on_guess}")
                 for p, d in zip(posts, date_texts, strict=True) if p.published_on_guess]
    undated = [ParseWarning(p.line, "undated-post", "no date: the dump has neither a dated byline nor a footer for "
                            f"{p.title[:60]!r}") for p in posts if p.published_on is None and p.posted_on is None]
    return posts, [*ambiguous, *undated]


def _collect(results: Iterable[tuple[list[_Built], list[ParseWarning]]]) -> tuple[list[_Built], list[ParseWarning]]:
    built: list[_Built] = []
    warnings: list[ParseWarning] = []
    for b, w in results:
        built += b
        warnings += w
    return built, warnings


def parse_page(text: str, ref: Reference) -> Page:
    """Parse the text of one dump into its posts, with warnings for what was odd."""
    site, lines, warnings = _header(_clean_lines(text), ref)
    page_footers, cut_footer = _footers(lines)
    warnings += cut_footer
    lines, single = _split_thread(lines, page_footers)
    lines, nav = _drop_navigation(lines)
    lines, widgets = _drop_widgets(lines, ref)
    footers, excerpt_ends = _scan(lines, page_footers)
    segments, tail, cuts = _segments(lines, footers, excerpt_ends)
    built, found = _collect([*(_segment_posts(s, not footers, ref) for s in segments),
                             _tail_posts(tail, not footers, ref)])
    warnings += [*nav, *widgets, *cuts, *found, *(w for b in built for w in b.warnings)]
    posts = [b.post for b in built]
    if site is None and posts and not _is_title(posts[0].title):
        warnings.append(ParseWarning(posts[0].line, "incomplete-post",
                                "the dump starts inside this post (its first line reads like body text)"))
        posts[0] = replace(posts[0], is_complete=False)
    posts, dated = _dated(posts, [b.date_text for b in built])
    warnings += dated
    # Without the site's header, a post needs a byline or a footer to count: any text would
    # otherwise read as one post cut off (a title and body lines).
    if site is None and not any(p.byline or p.posted_on or p.categories for p in posts):
        if posts:  # what was read as posts is not: the warnings about them go too
            warnings = [ParseWarning(posts[0].line, "ignored-line",
                                "no page header, byline or post footer: not a dump of posts")]
        posts = []
    if single and posts:
        posts[0], thread_warnings = _apply_thread(posts[0], single)
        warnings += thread_warnings
    kind = _page_kind(site, single, footers, excerpt_ends)
    warnings.sort(key=lambda w: w.line)
    return Page(site_name=site, page_kind=kind, posts=posts, warnings=warnings)


def _page_kind(site: str | None, single: bool, footers: dict, excerpt_ends: set[int]) -> str | None:
    """What the page is, as far as the dump shows: a fragment (no header), a single post (its
    comment thread), a listing (footers), the home page (excerpts); None when the dump ends
    before any of them (a page cut inside its first post reads the same on all three)."""
    if site is None:
        return "fragment"
    return "single" if single else "listing" if footers else "home" if excerpt_ends else None
