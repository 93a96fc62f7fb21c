"""Text of one dump → posts. Pure functions: text in, records out.

A dump is read as a list of non-empty lines (paragraphs may be separated by a blank
line or by a single newline: both read the same). A post is a title line, optional
caption / credit / subtitle lines, an optional byline, body lines and, on listing and
single-post pages, a footer line. Posts end at footers, at excerpt endings
("… continue"), and on pages without footers also where the next title + byline
starts.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from datetime import date

from etl.extract.dates import parse_date
from etl.settings import Reference, name_key

MAX_LINES_BEFORE_BYLINE = 5  # captions, credits and subtitles between title and byline
MAX_NAME_WORDS = 10
KEEP_UPPER = {"MD", "II", "III", "IV", "RN", "DO", "PHD", "USA", "UK", "US"}

SEPARATOR_RE = re.compile(r"\s+[|•–—-]\s+")
BY_RE = re.compile(r"^by\s+(?P<name>.+)$", re.IGNORECASE)
FOOTER_RE = re.compile(
    r"^(?P<date>[A-Za-z]{3,9}\.? \d{1,2}, \d{4}) Posted by[^|]*\|"
    r"(?:(?P<mid>.*?)\|)?\s*"
    r"(?P<comments>Leave a comment|(?P<count>\d[\d,]*) Comments?|Comments Off(?: on .*)?)\s*$",
    re.IGNORECASE,
)
EXCERPT_END_RE = re.compile(
    r"\s*(?:…|\.\.\.)\s*(?:continue(?: reading)?|full article)\s*(?:→|»)?\s*$", re.IGNORECASE
)
COMMENT_START_RE = re.compile(r"^(?P<n>\d+)\.\s+(?P<text>.*)$")
COMMENT_END_RE = re.compile(r"^Comment by (?P<author>.+?) \| (?P<date>[^|]+?) \| Reply$")
LEAVE_REPLY_RE = re.compile(r"^Leave a Reply\b", re.IGNORECASE)


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
    body: str = ""
    posted_on: date | None = None
    categories: tuple[str, ...] = ()
    tag_count: int = 0
    comment_count: int | None = None
    comments_open: bool | None = None
    is_complete: bool = True
    byline: str | None = None
    comments: tuple[Comment, ...] = ()


@dataclass(frozen=True)
class Warning:
    line: int
    code: str
    message: str


@dataclass
class Page:
    site_name: str | None
    page_kind: str  # listing | home | single | fragment
    posts: list[Post] = field(default_factory=list)
    warnings: list[Warning] = field(default_factory=list)


@dataclass(frozen=True)
class Byline:
    author: str | None
    source: str | None
    date_text: str | None
    has_by: bool


@dataclass(frozen=True)
class Footer:
    posted_on: date | None
    categories_text: str
    tag_count: int
    comment_count: int | None
    comments_open: bool


Line = tuple[int, str]  # (line number, text with whitespace collapsed)


def clean_line(line: str) -> str:
    """Collapse all whitespace, non-breaking spaces included, to single spaces."""
    return " ".join(line.split())


def normal_case(name: str) -> str:
    """A name printed in capitals (BY JOHN SMITH) in normal capitalization."""
    if not name.isupper():
        return name
    return " ".join(w if w.strip(".,") in KEEP_UPPER else w.title() for w in name.split())


def _is_name(text: str) -> bool:
    words = text.split()
    return 0 < len(words) <= MAX_NAME_WORDS and parse_date(text) is None


def parse_byline(text: str, ref: Reference) -> Byline | None:
    """Read a line as a byline (By A | S | D and its variants), or None.

    Separators are |, •, – and - with spaces around them, never commas: author and
    outlet names contain commas.
    """
    parts = SEPARATOR_RE.split(text)
    if len(parts) > 3:
        return None
    by = BY_RE.match(parts[0])
    names = [by["name"], *parts[1:]] if by else parts
    date_text = None
    if len(parts) >= 2 and parse_date(parts[-1]) is not None:
        date_text = parts[-1].strip()
        names = names[:-1]
    if not all(_is_name(n) for n in names):
        return None
    if by:
        author, source = names[0], (names[1] if len(names) > 1 else None)
    elif len(names) == 2 and date_text:
        author, source = names
    elif len(names) == 1 and (date_text or ref.is_known_source(names[0])):
        author, source = None, names[0]
    else:
        return None
    return Byline(
        author=normal_case(author.strip()) if author else None,
        source=source.strip() if source else None,
        date_text=date_text,
        has_by=bool(by),
    )


def parse_footer(text: str) -> Footer | None:
    """Read `Month D, YYYY Posted by | categories | tag links | comments`, or None."""
    m = FOOTER_RE.match(text)
    if not m:
        return None
    fields = (m["mid"] or "").split("|")
    tag_field = None
    # The tag-link field is the last one and holds only commas (one tag: an empty field).
    only_commas = not fields[-1].replace(",", "").strip()
    if only_commas and (len(fields) >= 2 or "," in fields[0]):
        tag_field = fields.pop()
    comments = m["comments"].lower()
    posted = parse_date(m["date"])
    return Footer(
        posted_on=posted[0] if posted else None,
        categories_text=", ".join(f.strip() for f in fields if f.strip()),
        tag_count=0 if tag_field is None else tag_field.count(",") + 1,
        comment_count=(
            None if comments.startswith("comments off")
            else int(m["count"].replace(",", "")) if m["count"] else 0
        ),
        comments_open=not comments.startswith("comments off"),
    )


def split_categories(text: str, known: tuple[str, ...]) -> tuple[list[str], list[str]]:
    """Split a footer's category field, longest known name first.

    Returns (categories in footer order, fragments that matched no known name).
    Unknown fragments are kept as categories, not dropped.
    """
    by_key = {clean_line(k).casefold(): k for k in known}
    longest = max((k.count(",") + 1 for k in known), default=1)
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
    return list(dict.fromkeys(found)), unknown


def _find_byline(lines: list[Line], ref: Reference) -> tuple[int, Byline] | None:
    """The byline among the lines after a title: a `By …` line first, then one naming a
    known outlet, else the last candidate (captions above it may hold dates and dashes)."""
    candidates = []
    for k, (_, text) in enumerate(lines[: MAX_LINES_BEFORE_BYLINE + 1]):
        if len(text.split()) > 40:
            break
        b = parse_byline(text, ref)
        if b:
            candidates.append((k, b))
    for pick in (lambda b: b.has_by, lambda b: b.source and ref.is_known_source(b.source)):
        chosen = [c for c in candidates if pick(c[1])]
        if chosen:
            return chosen[0]
    return candidates[-1] if candidates else None


def _split_at_bylines(segment: list[Line], ref: Reference) -> list[list[Line]]:
    """On pages without footers, a post starts at each title + byline pair."""
    starts = [0]
    for b in range(2, len(segment)):
        text = segment[b][1]
        parsed = parse_byline(text, ref)
        if not parsed or not (parsed.has_by or parsed.date_text):
            continue
        t = b - 1
        while t > starts[-1] + 1 and (
            segment[t][1].startswith("©") or segment[t][1] == segment[t - 1][1]
        ):
            t -= 1
        if t > starts[-1] + 1:
            starts.append(t)
    return [segment[a:z] for a, z in zip(starts, [*starts[1:], len(segment)], strict=False)]


def _build_post(
    lines: list[Line], footer: Footer | None, complete: bool, ref: Reference, warnings: list
) -> Post:
    (title_line, title), rest = lines[0], lines[1:]
    found = _find_byline(rest, ref)
    pre, byline = ([], None) if found is None else (rest[: found[0]], found[1])
    body_lines = rest if found is None else rest[found[0] + 1 :]
    captions = list(dict.fromkeys(t for _, t in pre if not t.startswith("©")))
    credits = [t for _, t in pre if t.startswith("©")]
    posted_on = footer.posted_on if footer else None
    published, guess = None, None
    if byline and byline.date_text:
        published, guess = parse_date(byline.date_text, near=posted_on) or (None, None)
        if guess:
            warnings.append(Warning(title_line, "ambiguous-date",
                                    f"byline date {byline.date_text!r} read {guess}"))
    categories: list[str] = []
    if footer:
        categories, unknown = split_categories(footer.categories_text, ref.categories)
        for fragment in unknown:
            warnings.append(Warning(title_line, "unknown-category",
                                    f"category {fragment!r} is not in data/known_categories.txt"))
    body = "\n\n".join(t for _, t in body_lines)
    if not complete:
        body = EXCERPT_END_RE.sub("", body)
    return Post(
        line=title_line,
        title=title,
        subtitle="\n".join(captions) or None,
        image_credit="\n".join(credits) or None,
        author=byline.author if byline else None,
        source=byline.source if byline else None,
        published_on=published,
        published_on_guess=guess,
        body=body,
        posted_on=posted_on,
        categories=tuple(categories),
        tag_count=footer.tag_count if footer else 0,
        comment_count=footer.comment_count if footer else None,
        comments_open=footer.comments_open if footer else None,
        is_complete=complete,
        byline=" ".join(filter(None, [byline.author, byline.source, byline.date_text]))
        if byline else None,
    )


def _parse_thread(lines: list[Line], warnings: list) -> tuple[Comment, ...]:
    """Numbered comments, each closed by `Comment by NAME | DATE | Reply`."""
    comments: list[Comment] = []
    current: list[str] | None = None
    for no, text in lines:
        start = COMMENT_START_RE.match(text)
        end = COMMENT_END_RE.match(text)
        if current is None and start and int(start["n"]) == len(comments) + 1:
            current = [start["text"]] if start["text"] else []
        elif current is not None and end:
            when = parse_date(end["date"])
            comments.append(Comment(len(comments) + 1, end["author"].strip(),
                                    when[0] if when else None, "\n\n".join(current)))
            current = None
        elif current is not None:
            current.append(text)
        else:
            warnings.append(Warning(no, "ignored-line", f"line outside any comment: {text[:60]!r}"))
    if current is not None:
        warnings.append(Warning(lines[-1][0], "incomplete-comment", "last comment has no closing line"))
    return tuple(comments)


def parse_page(text: str, ref: Reference) -> Page:
    """Parse the text of one dump into its posts, with warnings for what was odd."""
    lines: list[Line] = [(n, c) for n, raw in enumerate(text.splitlines(), 1) if (c := clean_line(raw))]
    warnings: list[Warning] = []
    site = None
    if lines and lines[0][1] in ref.sites:
        site = lines[0][1]
        lines = lines[1:]
        if lines and lines[0][1] in ref.sites[site]:
            lines = lines[1:]

    reply = next((i for i, (_, t) in enumerate(lines) if LEAVE_REPLY_RE.match(t)), None)
    has_thread = any(COMMENT_END_RE.match(t) for _, t in lines)
    single = reply is not None or has_thread
    if reply is not None:
        lines = lines[:reply]

    footers = {i: f for i, (_, t) in enumerate(lines) if (f := parse_footer(t))}
    thread: list[Line] = []
    if single:
        cut = min(footers) + 1 if footers else next(
            (i for i, (_, t) in enumerate(lines) if COMMENT_START_RE.match(t)), len(lines))
        lines, thread = lines[:cut], lines[cut:]

    posts: list[Post] = []
    segment: list[Line] = []

    def close(segment: list[Line], footer: Footer | None, ends_complete: bool) -> None:
        # Without footers, posts inside a segment start at title + byline pairs; those
        # before the last one were shown in full. The last one is complete if it has its
        # footer, an excerpt if it ends in "… continue", and cut off otherwise.
        parts = _split_at_bylines(segment, ref) if not footers else [segment]
        for part in parts[:-1]:
            posts.append(_build_post(part, None, True, ref, warnings))
        posts.append(_build_post(parts[-1], footer, ends_complete, ref, warnings))

    for i, (no, text) in enumerate(lines):
        if i in footers:
            if segment:
                close(segment, footers[i], True)
            else:
                warnings.append(Warning(no, "ignored-line", "footer without a post above it"))
            segment = []
            continue
        segment.append((no, text))
        if EXCERPT_END_RE.search(text) and len(segment) > 1:
            close(segment, None, False)
            segment = []
    if len(segment) > 1 or (segment and _find_byline(segment[1:], ref)):
        close(segment, None, False)
        warnings.append(Warning(segment[0][0], "incomplete-post",
                                "the dump ends inside this post (no footer)"))
    elif segment:
        warnings.append(Warning(segment[0][0], "ignored-line",
                                f"trailing line ignored: {segment[0][1][:60]!r}"))

    if single and posts:
        comments = _parse_thread(thread, warnings)
        first = posts[0]
        if first.comment_count is not None and first.comment_count != len(comments):
            warnings.append(Warning(first.line, "comment-count-mismatch",
                                    f"footer says {first.comment_count} comments, "
                                    f"thread has {len(comments)}"))
        posts[0] = replace(first, comments=comments)

    kind = ("fragment" if site is None else "single" if single
            else "listing" if footers else "home")
    return Page(site_name=site, page_kind=kind, posts=posts, warnings=warnings)


def source_key(name: str, ref: Reference) -> str:
    """The key that makes two spellings of one outlet one source."""
    return name_key(ref.canonical_source(name))
