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
from dataclasses import dataclass, field, replace
from datetime import date
from functools import cache

from etl.extract.dates import parse_date
from etl.settings import Reference

MAX_LINES_BEFORE_BYLINE = 5  # captions, credits and subtitles between title and byline
MAX_NAME_WORDS = 10
MAX_HEADING_WORDS = 30  # a title or caption is at most this long
NAME_PARTICLES = {"and", "de", "da", "del", "della", "di", "do", "dos", "du", "van", "von", "der", "den", "ter",
                  "al", "el", "bin", "ibn", "la", "le", "y", "e", "of", "the", "&"}

SEPARATOR_RE = re.compile(r"\s*[|•]\s*|\s+[–—-]\s+")  # dashes need spaces: Al-Manar, Hayes-Smith
BY_RE = re.compile(r"^by\s+(?P<name>.+)$", re.IGNORECASE)
FOOTER_RE = re.compile(
    r"^(?P<date>[A-Za-z]{3,9}\.? \d{1,2}, \d{4}) Posted by[^|]*\|"
    r"(?:(?P<mid>.*?)\|)?\s*"
    r"(?P<comments>Leave a comment|(?P<count>\d[\d,]*|One) Comments?|Comments Off(?: on .*)?)\s*$",
    re.IGNORECASE,
)
EXCERPT_END_RE = re.compile(
    r"(?:\s*(?:…|\.\.\.)\s*(?:continue(?: reading)?|full article)|^continue reading)\s*(?:→|»)?\s*$",
    re.IGNORECASE,
)
COMMENT_START_RE = re.compile(r"^(?P<n>\d{1,4})\.(?:\s+(?P<text>.*))?$")
COMMENT_END_RE = re.compile(r"^Comment by (?P<author>.+?) \| (?P<date>[^|]+?)(?P<reply> \| Reply)?$")
LEAVE_REPLY_RE = re.compile(r"^Leave a Reply(?: to .{1,200}?)?(?: Cancel reply)?$")
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

    @property
    def strong(self) -> bool:
        """A byline that cannot be a sentence: dated, or By with an outlet."""
        return bool(self.date_text or (self.has_by and self.source))


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
        out.append(ch.upper() if (not prev or prev in "-.(/" or after_apostrophe) else ch)
    return "".join(out)


def normal_case(name: str, keep_upper: frozenset[str] = frozenset()) -> str:
    """A name printed in capitals (BY JOHN SMITH) in normal capitalization."""
    if not name.isupper():
        return name
    return " ".join(_capitalize(w, keep_upper) for w in name.split())


def _is_name(text: str) -> bool:
    words = text.split()
    return 0 < len(words) <= MAX_NAME_WORDS and parse_date(text) is None


def _looks_like_person(name: str) -> bool:
    """`By Meryl Nass, MD` names someone; `By contrast, the army…` starts a sentence."""
    words = name.split()
    if len(words) > 8 or name[-1] in "!?:;":
        return False
    if name.endswith(".") and len(words[-1]) > 5 and "." not in words[-1][:-1]:
        return False
    return all(w[0].isupper() or not w[0].isalpha() or w.lower() in NAME_PARTICLES for w in words)


def parse_byline(text: str, ref: Reference) -> Byline | None:
    """Read a line as a byline (By A | S | D and its variants), or None.

    Separators are | and • (spaces around them optional), – and - (with spaces around
    them: names contain hyphens), never commas: author and outlet names contain commas.
    A byline printed in capitals (BY A • S • D) gives its names in normal capitalization
    (a known outlet in its known spelling).
    """
    if text.startswith("©"):
        return None
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
        author, source = names[0].strip(), (names[1].strip() if len(names) > 1 else None)
        if not (date_text or source or _looks_like_person(author)):
            return None
    elif len(names) == 2 and date_text:
        author, source = (n.strip() for n in names)
    elif len(names) == 1 and (date_text or ref.is_known_source(names[0])):
        author, source = None, names[0].strip()
    else:
        return None
    if source and text.isupper() and (by or any(c.isalpha() for c in date_text or "")):
        known = ref.is_known_source(source)
        source = ref.canonical_source(source) if known else normal_case(source, ref.upper_case_words)
    return Byline(
        author=normal_case(author, ref.upper_case_words) if author else None,
        source=source,
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
            else 1 if (m["count"] or "").lower() == "one"
            else int(m["count"].replace(",", "")) if m["count"] else 0
        ),
        comments_open=not comments.startswith("comments off"),
    )


@cache
def _category_keys(known: tuple[str, ...]) -> tuple[dict[str, str], int]:
    """Known categories by matching key, and the most commas one of them holds, plus one."""
    return {clean_line(k).casefold(): k for k in known}, max((k.count(",") + 1 for k in known), default=1)


def split_categories(text: str, known: tuple[str, ...]) -> tuple[list[str], list[str]]:
    """Split a footer's category field, longest known name first.

    Returns (categories in footer order, fragments that matched no known name).
    Unknown fragments are kept as categories, not dropped.
    """
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
    return list(dict.fromkeys(found)), unknown


def _find_byline(lines: list[Line], ref: Reference) -> tuple[int, Byline] | None:
    """The byline among the lines after a title: a `By …` line with a date or outlet
    first, then one naming a known outlet, then the last dated one (captions above it may
    hold dates and dashes), then a bare `By Name`."""
    candidates = []
    for k, (_, text) in enumerate(lines[: MAX_LINES_BEFORE_BYLINE + 1]):
        if len(text.split()) > 40:
            break
        b = parse_byline(text, ref)
        if b:
            candidates.append((k, b))
    for pick in (lambda b: b.has_by and b.strong, lambda b: b.source and ref.is_known_source(b.source)):
        chosen = [c for c in candidates if pick(c[1])]
        if chosen:
            return chosen[0]
    dated = [c for c in candidates if c[1].date_text]
    if dated:
        return dated[-1]
    return candidates[0] if candidates else None


def _ends_sentence(text: str) -> bool:
    """Ends in . , ; or :, perhaps followed by closing quotes and brackets."""
    return text.rstrip(CLOSING_MARKS)[-1:] in (".", ",", ";", ":")


def _ends_excerpt(text: str) -> bool:
    """Ends in an excerpt marker ("… continue", "… Full article"): the regex searched in the tail only."""
    return EXCERPT_END_RE.search(text, max(0, len(text) - EXCERPT_END_MAX)) is not None


def _is_heading(text: str) -> bool:
    """Could be a title or caption: short, and not ending like a sentence."""
    return len(text.split()) <= MAX_HEADING_WORDS and not _ends_sentence(text)


def _is_title(text: str) -> bool:
    """Could be a title: not a long paragraph, nor a sentence of more than 20 words."""
    words = len(text.split())
    return words <= MAX_HEADING_WORDS and not (words > 20 and _ends_sentence(text))


def _split_at_bylines(segment: list[Line], ref: Reference) -> list[list[Line]]:
    """On pages without footers, a post starts at each title + byline pair. The title is
    the line above the byline, or above the captions, credits and repeated lines there."""
    starts = [0]
    for b in range(2, len(segment)):
        parsed = parse_byline(segment[b][1], ref)
        if not parsed or not (parsed.strong or (parsed.source and ref.is_known_source(parsed.source))):
            continue
        t = b - 1
        while t - 1 > starts[-1] and b - t <= MAX_LINES_BEFORE_BYLINE:
            text, before = segment[t][1], segment[t - 1][1]
            if not (text.startswith("©") or text == before or _is_heading(before)):
                break
            t -= 1
        if t > starts[-1] + 1:
            starts.append(t)
    return [segment[a:z] for a, z in zip(starts, [*starts[1:], len(segment)], strict=False)]


def _build_post(
    lines: list[Line], footer: Footer | None, complete: bool, ref: Reference, warnings: list
) -> tuple[Post, str | None]:
    """A post from its lines (title first); also the byline's date as printed."""
    (title_line, title), rest = lines[0], lines[1:]
    found = _find_byline(rest, ref)
    pre, byline = ([], None) if found is None else (rest[: found[0]], found[1])
    body = rest if found is None else rest[found[0] + 1 :]
    body_lines = [t for _, t in body]
    captions = list(dict.fromkeys(t for _, t in pre if not t.startswith("©")))
    credits = list(dict.fromkeys(t for _, t in pre if t.startswith("©")))
    posted_on = footer.posted_on if footer else None
    published, guess = None, None
    if byline and byline.date_text:
        published, guess = parse_date(byline.date_text, near=posted_on) or (None, None)
    categories: list[str] = []
    if footer:
        categories, unknown = split_categories(footer.categories_text, ref.categories)
        for fragment in unknown:
            warnings.append(Warning(title_line, "unknown-category",
                                    f"category {fragment!r} is not in data/known_categories.txt"))
    if byline is None and body_lines and _is_heading(body_lines[0]) and len(body_lines[0].split()) <= 6 \
            and _looks_like_person(body_lines[0]) and not ref.is_known_source(body_lines[0]):
        warnings.append(Warning(body[0][0], "possible-byline",
                                f"{body_lines[0]!r} under the title may be an outlet: if so, add it to "
                                "data/known_sources.txt"))
    if not complete and body_lines and _ends_excerpt(body_lines[-1]):
        last = EXCERPT_END_RE.sub("", body_lines[-1]).rstrip()
        body_lines = [*body_lines[:-1], last] if last else body_lines[:-1]
    post = Post(
        line=title_line,
        title=title,
        subtitle="\n".join(captions) or None,
        image_credit="\n".join(credits) or None,
        author=byline.author if byline else None,
        source=byline.source if byline else None,
        published_on=published,
        published_on_guess=guess,
        body="\n\n".join(body_lines),
        posted_on=posted_on,
        categories=tuple(categories),
        tag_count=footer.tag_count if footer else 0,
        comment_count=footer.comment_count if footer else None,
        comments_open=footer.comments_open if footer else None,
        is_complete=complete,
        byline=" ".join(filter(None, [byline.author, byline.source, byline.date_text]))
        if byline else None,
    )
    return post, (byline.date_text if byline else None)


def _comment_end(text: str) -> tuple[str, date | None] | None:
    """`Comment by NAME | DATE | Reply` (no Reply when comments are closed) → (name, date)."""
    m = COMMENT_END_RE.match(text)
    if not m:
        return None
    when = parse_date(m["date"])
    if when is None and not m["reply"]:  # without "| Reply", only a date makes it a closing line
        return None
    return m["author"].strip(), when[0] if when else None


def _parse_thread(lines: list[Line], warnings: list) -> tuple[Comment, ...]:
    """Numbered comments, each closed by `Comment by NAME | DATE | Reply`."""
    comments: list[Comment] = []
    current: list[str] | None = None
    for no, text in lines:
        start = COMMENT_START_RE.match(text)
        end = _comment_end(text)
        if current is None and start:
            current = [start["text"]] if start["text"] else []
        elif current is not None and end:
            comments.append(Comment(len(comments) + 1, end[0], end[1], "\n\n".join(current)))
            current = None
        elif current is not None:
            current.append(text)
        else:
            warnings.append(Warning(no, "ignored-line", f"line outside any comment: {text[:60]!r}"))
    if current is not None:
        warnings.append(Warning(lines[-1][0], "incomplete-comment", "last comment has no closing line"))
    return tuple(comments)


def _thread_start(lines: list[Line], after: int) -> int | None:
    """Index of the first line of a comment thread below line index `after`, or None:
    the `1.` line that opens the comment closed by the first `Comment by` line."""
    end = next((i for i in range(after + 1, len(lines)) if _comment_end(lines[i][1])), None)
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


def parse_page(text: str, ref: Reference) -> Page:
    """Parse the text of one dump into its posts, with warnings for what was odd."""
    lines: list[Line] = [(n, c) for n, raw in enumerate(text.splitlines(), 1) if (c := clean_line(raw))]
    warnings: list[Warning] = []
    site = None
    sites = {name.casefold(): name for name in ref.sites}
    if lines and lines[0][1].casefold() in sites:
        site = sites[lines[0][1].casefold()]
        lines = lines[1:]
        if lines and lines[0][1].casefold() in {t.casefold() for t in ref.sites[site]}:
            lines = lines[1:]
    if lines and ARCHIVE_HEADING_RE.match(lines[0][1]):
        warnings.append(Warning(lines[0][0], "ignored-line", f"page heading ignored: {lines[0][1][:60]!r}"))
        lines = lines[1:]

    footer_at = [i for i, (_, t) in enumerate(lines) if FOOTER_RE.match(t)]
    last_footer = footer_at[-1] if footer_at else -1
    # A single-post page: the comment thread and the reply form come after the post's footer.
    reply = next((i for i, (_, t) in enumerate(lines) if i > last_footer and LEAVE_REPLY_RE.match(t)), None)
    if reply is not None:
        lines = lines[:reply]
    thread_at = _thread_start(lines, last_footer)
    single = reply is not None or thread_at is not None
    thread: list[Line] = []
    if single:
        cut = last_footer + 1 if footer_at else thread_at if thread_at is not None else len(lines)
        lines, thread = lines[:cut], lines[cut:]
    while len(lines) > 1 and NAV_RE.match(lines[-1][1]):
        warnings.append(Warning(lines[-1][0], "ignored-line", f"page navigation ignored: {lines[-1][1][:60]!r}"))
        lines = lines[:-1]

    footers = {i: f for i, (_, t) in enumerate(lines) if (f := parse_footer(t))}
    posts: list[Post] = []
    date_texts: list[str | None] = []
    segment: list[Line] = []

    def close(segment: list[Line], footer: Footer | None, ends_complete: bool) -> None:
        # Without footers, posts inside a segment start at title + byline pairs; those
        # before the last one were shown in full. The last one is complete if it has its
        # footer, an excerpt if it ends in "… continue", and cut off otherwise.
        parts = _split_at_bylines(segment, ref) if not footers else [segment]
        for k, part in enumerate(parts):
            last = k == len(parts) - 1
            post, date_text = _build_post(part, footer if last else None, ends_complete or not last, ref, warnings)
            posts.append(post)
            date_texts.append(date_text)

    for i, (no, text) in enumerate(lines):
        if i in footers:
            if segment:
                close(segment, footers[i], True)
            else:
                warnings.append(Warning(no, "ignored-line", "footer without a post above it"))
            segment = []
            continue
        segment.append((no, text))
        # "… continue" ends an excerpt; on a listing page a post may end in "… Full article"
        # (a link to the outlet) and still have its footer.
        if _ends_excerpt(text) and len(segment) > 1 and i + 1 not in footers:
            close(segment, None, False)
            segment = []
    if len(segment) > 1:
        close(segment, None, False)
        warnings.append(Warning(segment[0][0], "incomplete-post",
                                "the dump ends inside this post (no footer)"))
    elif segment:
        warnings.append(Warning(segment[0][0], "ignored-line",
                                f"trailing line ignored: {segment[0][1][:60]!r}"))

    if site is None and posts and not _is_title(posts[0].title):
        warnings.append(Warning(posts[0].line, "incomplete-post",
                                "the dump starts inside this post (its first line reads like body text)"))
        posts[0] = replace(posts[0], is_complete=False)
    posts = _resolve_page_dates(posts, date_texts)
    for post, date_text in zip(posts, date_texts, strict=True):
        if post.published_on_guess:
            warnings.append(Warning(post.line, "ambiguous-date",
                                    f"byline date {date_text!r} read {post.published_on_guess}"))

    # Without the site's header, a post needs a byline or a footer to count: any text would
    # otherwise read as one post cut off (a title and body lines).
    if site is None and not any(p.byline or p.comments_open is not None for p in posts):
        if posts:  # what was read as posts is not: the warnings about them go too
            warnings = [Warning(posts[0].line, "ignored-line",
                                "no page header, byline or post footer: not a dump of posts")]
        posts = []
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
    warnings.sort(key=lambda w: w.line)
    return Page(site_name=site, page_kind=kind, posts=posts, warnings=warnings)
