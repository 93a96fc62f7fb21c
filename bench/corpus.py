"""Deterministic benchmark corpora: day-dumps of the blog, rendered from Post records.

    python bench/corpus.py OUT_DIR --size-mb 100 [--seed 1] [--verify]
    python bench/corpus.py OUT_DIR --posts 1000000 [--seed 1]

Two kinds of corpus, both byte-identical for the same arguments (every page draws from its
own `random.Random` seeded by (seed, day, page), never from the global random state):

- `generate(folder, size_mb)`: what a nightly scraper collects, one day after another from
  2000-01-01 (day 0). A blog's days end on 2099-12-31 (the last date the expectations
  accept; day 36,523, about 3.7 GB of dumps); the days after it are those of further blogs
  ("sites") of the same kind, each again from 2000-01-01, so a corpus of any size keeps its
  dates in range, and a corpus that fits in the first blog is the same as before sites
  were added. Each day has 12–24 new full posts (1–8 KB of English recombined from
  the bundled sample) on listing pages of 10–12 posts that also repeat the newest posts
  of the day or two before (same title and byline: the same post id, a grown comment
  count), a home page of excerpts (`… continue`) of the newest posts, and 0–3 single-post
  pages with the comment thread of a post of the day before. Headers, paragraph breaks,
  byline and date styles vary; now and then a listing page is cut off inside its last post.
  `generate_days` writes chosen days, e.g. the days after a corpus: new posts that overlap
  the corpus's last days, as tomorrow's dumps would.
- `generate_posts_corpus(folder, posts)`: N distinct short posts (1–2 short paragraphs)
  on archive listing pages of 25, four pages a day from 2000-01-01, no post repeated:
  a warehouse of N posts from about 0.52 KB of text each.

Files are named `aletho-<kind>-<YYYY-MM-DD>[-n].txt` (kind: listing, home, single,
archive), and `aletho-s<site>-<kind>-…` from the second site (site 1) on. Every page follows
the rules of tests/render.py, so it parses back into the records it was rendered from;
`verify(paths)` checks that (and that the files are what the generator writes) with
etl.extract.parse_page.
"""

from __future__ import annotations

import argparse
import functools
import re
import sys
import time
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, replace
from datetime import date, timedelta
from pathlib import Path
from random import Random

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from etl.core.reference import load_reference  # noqa: E402
from etl.core.settings import sample_input  # noqa: E402
from etl.extract.parser import Comment, Post, parse_page, tagline_shaped  # noqa: E402
from tests.render import PageShape, PostShape, render_page  # noqa: E402

EPOCH = date(2000, 1, 1)  # day 0 of `generate`
SITE_DAYS = (date(2100, 1, 1) - EPOCH).days  # a site's days: 2000-01-01 to 2099-12-31, as the expectations allow
ARCHIVE_EPOCH = date(2000, 1, 1)  # day 0 of `generate_posts_corpus`
ARCHIVE_PAGE_POSTS = 25
ARCHIVE_PAGES_PER_DAY = 4
MB = 1_000_000
NAME_RE = re.compile(r"^aletho-(?:s(?P<site>[1-9]\d*)-)?(?P<kind>listing|home|single|archive)"
                     r"-(?P<day>\d{4}-\d{2}-\d{2})(?:-(?P<n>\d+))?\.txt$")

AUTHORS = (
    "Joaquin Flores", "Paul Antonopoulos", "Tyler Durden", "Tom Luongo", "Jonathan Cook", "Kit Klarenberg",
    "Vanessa Beeley", "Finian Cunningham", "Ramzy Baroud", "Elijah J. Magnier", "Drago Bosnic", "Whitney Webb",
    "Meryl Nass, MD", "Michael Nevradakis, Ph.D.", "Caitlin Johnstone", "Craig Murray", "Pepe Escobar",
    "Patrick Lawrence", "Ron Paul", "Daniel McAdams", "Kevin Barrett", "Philip Giraldi", "Stephen Lendman",
    "Eric Zuesse", "Robert Bridge", "Scott Ritter", "Eva Bartlett", "Alastair Crooke", "Max Blumenthal",
    "Aaron Maté", "Ben Norton", "Rania Khalek", "Ali Abunimah", "Ilan Pappé", "Miko Peled", "Jeremy Salt",
    "Ann Wright", "Sharmine Narwani", "Dr. Jacob Nordangård", "Staff",
)
OTHER_SOURCES = (
    "The National", "Foreign Policy Journal", "Voltaire Network", "Substack", "Middle East Eye",
    "Consortium Papers", "Unherd", "The American Conservative", "Asia Times", "Responsible Statecraft",
)
CAPTIONS = (
    "Ben Wallace in a combative mood in the House of Commons", "Protesters outside the parliament in Athens",
    "A Predator drone at Kandahar airfield", "Divers of the US Navy during an exercise in the Baltic",
    "Smoke rises over the city after an air strike", "The foreign minister speaks to reporters in Tehran",
    "Farmers block a motorway with their tractors", "A checkpoint near the separation wall",
    "Delegates arrive for the summit in Geneva", "An oil tanker off the coast of Fujairah",
)
CREDITS = ("© Reuters / Alaa al-Marjani", "© US Navy", "© UN Photo / Violaine Martin", "© AFP / Getty Images",
           "© Sputnik / Alexey Vitvitsky")
SUBJECTS = (
    "Iran", "Israel", "NATO", "The Pentagon", "Washington", "Gaza", "Ukraine", "The EU", "Big Pharma", "The BBC",
    "Moscow", "Beijing", "The Fed", "Syria", "Yemen", "Venezuela", "The IMF", "Britain", "Berlin", "The WHO",
    "Lebanon", "Iraq", "Saudi Arabia", "Turkey", "Congress", "The CIA", "Silicon Valley", "The Guardian",
    "Bolivia", "Kiev",
)
PREDICATES = (
    "Escalates Again", "Blames Beijing for Its Own Failures", "Quietly Admits the Data Were Wrong",
    "Strikes Back", "Faces a Reckoning Over Sanctions", "Doubles Down on a Failed Policy",
    "Ignores the Evidence", "Spreads Fear Before the Vote", "Loses the Information War",
    "Buries the Report", "Calls for Talks as the Ceasefire Collapses", "Moves Troops to the Border",
    "Cuts a Grain Deal", "Rewrites History", "Silences Its Critics", "Bets on a Pipeline",
    "Slashes Rates Again", "Hides the Cost of the War", "Pays for Regime Change", "Prepares New Lockdowns",
    "Backs the Coup", "Stonewalls the Inquiry", "Funds Both Sides", "Denies Any Role in the Attack",
    "Sees Protests Spread", "Turns to China", "Blocks the UN Resolution", "Counts the Cost of the Blockade",
)
COMMENTERS = ("Victor G.", "papasan", "Brewski", "Ann Wright", "Jon Dhoe", "roberthstiver", "michaelkenny",
              "Martin Usher", "Kathy", "aletho", "Richard Ong", "Jerry Alatalo", "Diana", "ish", "Bill Francis")
LISTING_HEADERS = ("greek",) * 10 + ("current",) * 5 + ("empty",) * 4 + ("none",)
HOME_HEADERS = ("greek",) * 10 + ("current",) * 5 + ("empty",) * 4
BYLINE_KINDS = ("by-source-date",) * 11 + ("by-date",) * 2 + ("source-date",) * 5 + ("source-only", "none")
BYLINE_STYLES = ("pipe",) * 12 + ("en-dash",) * 3 + ("hyphen", "bullets", "bullets", "upper-bullets", "upper-bullets")
DATE_STYLES = ("long",) * 30 + ("zero-padded",) * 4 + ("abbreviated",) * 4 + ("dotted",) * 4 + ("iso",) * 3 \
    + ("slash-month-first",)
UNSAFE_RE = re.compile(
    r"^by\s|posted by|(?:…|\.\.\.)\s*(?:continue|full article)|continue reading|^\d{1,4}\.|^comment by"
    r"|^leave a (?:reply|comment)|^(?:«\s*)?(?:older|newer|previous|next) (?:entries|posts)|wordpress\.com"
    r"|^(?:(?:category|tag|daily|monthly|yearly|author) archives?:|archives? for|posts? tagged|entries tagged"
    r"|search results for|you are currently browsing)",
    re.IGNORECASE,
)
SENTENCE_SPLIT_RE = re.compile(r"(?:(?<=[.!?])|(?<=[.!?][”’\"]))\s+(?=[A-Z“‘\"])")


@dataclass(frozen=True)
class Story:
    """A post as the blog has it; its copies on listing, home and single pages derive from it."""

    post: Post  # the full post, comment count as on the day it was posted
    shape: PostShape  # the same on every page, so every copy gets the same post id
    excerpt: str  # what the home page shows
    day: int
    growth: int  # comments added per day


@dataclass(frozen=True)
class Doc:
    """One dump: its file name and the records it is rendered from."""

    name: str
    posts: list[Post]
    shape: PageShape
    post_shapes: list[PostShape]

    def __post_init__(self) -> None:
        """Under a page header, a first post whose title reads like a tagline has no caption:
        the parser would read that title as the header's tagline (docs/input-formats.md)."""
        first = self.posts[0] if self.posts else None
        if first and first.subtitle and self.shape.header != "none" and tagline_shaped(first.title, load_reference()):
            object.__setattr__(self, "posts", [replace(first, subtitle=None), *self.posts[1:]])

    def text(self) -> str:
        return render_page(self.posts, self.shape, self.post_shapes)


@dataclass(frozen=True)
class Pools:
    paragraphs: tuple[str, ...]  # 2–6 sentences
    short_paragraphs: tuple[str, ...]  # 1–3 sentences, under 400 characters
    comment_texts: tuple[str, ...]
    titles: tuple[str, ...]  # title stems: subject + predicate
    upper_authors: tuple[str, ...]  # plain names: printed in capitals, they read back the same
    known_sources: tuple[str, ...]
    categories: tuple[str, ...]


def clean_line(text: str) -> str:
    return " ".join(text.split())


def _safe(text: str) -> bool:
    """A body or comment paragraph the parser cannot take for anything else (no byline,
    footer, excerpt ending, comment line, reply form or page navigation; ends like a
    sentence). Rules of our own rather than the parser's, so that the corpus does not
    change when the parser does; `verify` checks the result with the parser."""
    return (
        clean_line(text) == text
        and text.rstrip("'\"”’)]")[-1:] in (".", ",", ";", ":")
        and not any(c in text for c in "|•©")
        and not UNSAFE_RE.search(text)
    )


@functools.cache
def pools() -> Pools:
    """Text to draw from, cut from the bundled sample (built once, independent of the seed):
    the sentences of its body paragraphs (its lines of 15 words or more)."""
    ref = load_reference()
    sentences = []
    for line in sample_input().read_text(encoding="utf-8").splitlines():
        if len(line.split()) >= 15:
            sentences += [clean_line(s) for s in SENTENCE_SPLIT_RE.split(line)]
    sentences = list(dict.fromkeys(s for s in sentences if 5 <= len(s.split()) <= 60 and _safe(s)))
    rng = Random(20200109)

    def build(count: int, low: int, high: int, limit: int) -> tuple[str, ...]:
        out: list[str] = []
        while len(out) < count:
            start = rng.randrange(len(sentences))
            text = " ".join(sentences[start:start + rng.randint(low, high)])
            if len(text) <= limit and _safe(text):
                out.append(text)
        return tuple(out)

    return Pools(
        paragraphs=build(3000, 2, 6, 2000),
        short_paragraphs=build(2000, 1, 3, 400),
        comment_texts=build(500, 1, 2, 240),
        titles=tuple(f"{s} {p}" for s in SUBJECTS for p in PREDICATES),
        upper_authors=tuple(a for a in AUTHORS if all(w.isalpha() and w.istitle() for w in a.split())),
        known_sources=ref.sources,
        categories=ref.categories,
    )


def day_date(day: int, epoch: date = EPOCH) -> date:
    return epoch + timedelta(days=day)


def site_of(day: int) -> int:
    """The site (blog) whose dumps day `day` of `generate` is: 0 for the first SITE_DAYS days."""
    return day // SITE_DAYS


def calendar_date(day: int) -> date:
    """The date of day `day` of `generate` on its site's calendar (every site starts on EPOCH)."""
    return day_date(day % SITE_DAYS)


def day_number(site: int, d: date) -> int:
    """The day of `generate` that a file of `site` dated `d` belongs to (inverse of the two above)."""
    return site * SITE_DAYS + (d - EPOCH).days


def _byline(rng: Random, p: Pools, published: date) -> tuple[dict, PostShape]:
    """Author, source, byline date and a post shape that renders them so they parse back."""
    kind = rng.choice(BYLINE_KINDS)
    style = rng.choice(BYLINE_STYLES)
    if style == "upper-bullets" and not kind.startswith("by"):
        style = "bullets"
    date_style = "long" if style == "upper-bullets" else rng.choice(DATE_STYLES)
    if date_style.startswith("slash") and published.day <= 12 and published.day != published.month:
        date_style = "long"  # no ambiguous slash dates: they would be read as guesses
    upper = style == "upper-bullets"
    author = rng.choice(p.upper_authors if upper else AUTHORS) if kind.startswith("by") else None
    if kind == "source-only":
        source = rng.choice(p.known_sources)
    elif kind in ("by-source-date", "source-date"):
        source = rng.choice(p.known_sources if upper or rng.random() < 0.8 else OTHER_SOURCES)
    else:
        source = None
    dated = kind in ("by-source-date", "by-date", "source-date")
    fields = {"author": author, "source": source, "published_on": published if dated else None}
    if kind != "none" and rng.random() < 0.15:
        fields["subtitle"] = rng.choice(CAPTIONS)
    if kind != "none" and rng.random() < 0.1:
        fields["image_credit"] = rng.choice(CREDITS)
    shape = PostShape(byline=style, date_style=date_style, caption_twice=rng.random() < 0.2,
                      excerpt_marker=rng.choice(("… continue", "… continue", "… Full article")),
                      marker_inline=rng.random() < 0.5)
    return fields, shape


def _story(rng: Random, p: Pools, number: int, day: int, posted: date, short: bool = False) -> Story:
    fields, shape = _byline(rng, p, posted - timedelta(days=min(rng.randint(0, 3), rng.randint(0, 10))))
    if short:
        body = [rng.choice(p.short_paragraphs) for _ in range(rng.randint(1, 2))]
    else:
        target = int(1000 * 8 ** rng.random())  # 1–8 KB, log-uniform
        i, size, body = rng.randrange(len(p.paragraphs)), 0, []
        while size < target:
            body.append(p.paragraphs[i % len(p.paragraphs)])
            size += len(body[-1]) + 2
            i += 1
    comments_open = rng.random() < 0.92
    post = Post(
        line=0, title=f"{rng.choice(p.titles)} ({number})", **fields, body="\n\n".join(body), posted_on=posted,
        categories=tuple(rng.sample(p.categories, rng.choice((1, 1, 1, 2, 2, 3)))),
        tag_count=rng.randint(0, 9), comment_count=rng.randint(0, 5) if comments_open else 0,
        comments_open=comments_open,
    )
    return Story(post, shape, body[0], day, rng.randint(0, 3))


@functools.lru_cache(maxsize=8)
def stories(seed: int, day: int) -> tuple[Story, ...]:
    """The posts the blog posted on `day` (none before day 0), oldest first."""
    if day < 0:
        return ()
    rng = Random(f"{seed}:stories:{day}")
    p = pools()
    return tuple(_story(rng, p, day * 100 + k, day, calendar_date(day)) for k in range(rng.randint(12, 24)))


def earlier_stories(seed: int, day: int, back: int) -> tuple[Story, ...]:
    """The posts of `back` days before `day` on the same site (none before the site's first day)."""
    return stories(seed, day - back) if site_of(day - back) == site_of(day) else ()


def on_listing(story: Story, day: int) -> Post:
    """The post on a listing page of `day`: its comment count has grown since it was posted."""
    post = story.post
    if not post.comments_open or day == story.day:
        return post
    return replace(post, comment_count=post.comment_count + story.growth * (day - story.day))


def excerpt(story: Story) -> Post:
    """The post on a home page: no footer, the first paragraph, then the excerpt marker."""
    p = story.post
    return Post(line=0, title=p.title, subtitle=p.subtitle, image_credit=p.image_credit, author=p.author,
                source=p.source, published_on=p.published_on, body=story.excerpt, is_complete=False)


def cut_off(story: Story) -> Post:
    """The post as a dump that ends inside it shows it: no footer, the text cut mid-sentence."""
    p = story.post
    paragraphs = p.body.split("\n\n")[:2]
    paragraphs[-1] = paragraphs[-1].rsplit(" ", 3)[0]
    return replace(excerpt(story), body="\n\n".join(paragraphs))


def with_thread(story: Story, day: int, rng: Random) -> Post:
    """The post on its own page on `day`, with its comment thread."""
    p = pools()
    post = on_listing(story, day)
    start = calendar_date(story.day)
    comments = tuple(
        Comment(k + 1, rng.choice(COMMENTERS), start + timedelta(days=(day - story.day) * k // post.comment_count),
                "\n\n".join(rng.choice(p.comment_texts) for _ in range(rng.choice((1, 1, 1, 2)))))
        for k in range(post.comment_count)
    )
    return replace(post, comments=comments)


def _name(kind: str, d: date, n: int, site: int = 0) -> str:
    return f"aletho-{f's{site}-' if site else ''}{kind}-{d.isoformat()}{'' if n == 1 else f'-{n}'}.txt"


def day_documents(day: int, seed: int = 1) -> list[Doc]:
    """The dumps of one day: listing pages, maybe a home page, single-post pages."""
    rng = Random(f"{seed}:pages:{day}")
    d, site = calendar_date(day), site_of(day)
    new = list(reversed(stories(seed, day)))  # pages show the newest first
    before = list(reversed(earlier_stories(seed, day, 1)))
    carried = before[:rng.randint(2, 6)]
    if rng.random() < 0.25:
        carried += list(reversed(earlier_stories(seed, day, 2)))[:rng.randint(1, 3)]
    shown = new + carried
    docs: list[Doc] = []
    i = 0
    while i < len(shown):
        chunk = shown[i:i + rng.randint(10, 12)]
        i += len(chunk)
        cut = rng.random() < 0.02 and len(chunk) > 1
        posts = [on_listing(s, day) for s in chunk]
        if cut:
            posts[-1] = cut_off(chunk[-1])
        shape = PageShape("listing", rng.choice(LISTING_HEADERS), rng.choice(("\n\n",) * 4 + ("\n",)), cut)
        docs.append(Doc(_name("listing", d, len(docs) + 1, site), posts, shape, [s.shape for s in chunk]))
    if rng.random() < 0.8:
        chunk = shown[:rng.randint(8, 10)]
        shape = PageShape("home", rng.choice(HOME_HEADERS), rng.choice(("\n\n",) * 4 + ("\n",)))
        docs.append(Doc(_name("home", d, 1, site), [excerpt(s) for s in chunk], shape, [s.shape for s in chunk]))
    threads = [s for s in before if s.post.comments_open and on_listing(s, day).comment_count]
    for k, story in enumerate(rng.sample(threads, min(len(threads), rng.randint(0, 3))), 1):
        shape = PageShape("single", rng.choice(HOME_HEADERS), rng.choice(("\n\n",) * 4 + ("\n",)))
        docs.append(Doc(_name("single", d, k, site), [with_thread(story, day, rng)], shape, [story.shape]))
    return docs


def archive_page(page: int, seed: int = 1, posts: int = ARCHIVE_PAGE_POSTS) -> Doc:
    """Page `page` of the posts corpus: `posts` distinct short posts of one day."""
    rng = Random(f"{seed}:archive:{page}")
    p = pools()
    day = page // ARCHIVE_PAGES_PER_DAY
    d = day_date(day, ARCHIVE_EPOCH)
    chunk = [_story(rng, p, page * 100 + k, day, d, short=True) for k in range(posts)]
    shape = PageShape("listing", rng.choice(LISTING_HEADERS[:-1]), rng.choice(("\n\n",) * 4 + ("\n",)))
    return Doc(_name("archive", d, page % ARCHIVE_PAGES_PER_DAY + 1), [s.post for s in chunk], shape,
               [s.shape for s in chunk])


def _write(folder: Path, docs: Iterable[Doc], limit_bytes: float = float("inf"),
           limit_docs: float = float("inf")) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    paths: list[Path] = []
    size = 0
    for doc in docs:
        if size >= limit_bytes or len(paths) >= limit_docs:
            break
        data = doc.text().encode("utf-8")
        path = folder / doc.name
        path.write_bytes(data)
        paths.append(path)
        size += len(data)
    return paths


def _days(days: Iterable[int], seed: int) -> Iterator[Doc]:
    for day in days:
        yield from day_documents(day, seed)


def generate(folder: Path, size_mb: float, *, seed: int = 1, first_day: int = 0) -> list[Path]:
    """Day-dumps from `first_day` on until they total `size_mb` MB (10^6 bytes); returns
    the files in the order written (by day)."""
    return _write(Path(folder), _days(range(first_day, 1 << 30), seed), limit_bytes=size_mb * MB)


def generate_days(folder: Path, days: range, *, seed: int = 1, limit: int | None = None) -> list[Path]:
    """The dumps of `days` (at most `limit` documents). Days after a corpus (`next_day(paths)`
    on) are what later nights bring: new posts, and repeats of the corpus's last days."""
    return _write(Path(folder), _days(days, seed), limit_docs=float("inf") if limit is None else limit)


def generate_posts_corpus(folder: Path, posts: int, *, seed: int = 1) -> list[Path]:
    """Archive listing pages holding `posts` distinct short posts (no repeats, none cut off)."""
    pages = -(-posts // ARCHIVE_PAGE_POSTS)
    last = posts - (pages - 1) * ARCHIVE_PAGE_POSTS
    docs = (archive_page(k, seed, ARCHIVE_PAGE_POSTS if k < pages - 1 else last) for k in range(pages))
    return _write(Path(folder), docs)


SAMPLE_HEADER_LINES = 4  # "Aletho News", "", "ΑΛΗΘΩΣ", "": the sample's header
SAMPLE_FOOTER_RE = re.compile(r"^[A-Z][a-z]+ \d{1,2}, \d{4} Posted by \| ")


@functools.cache
def sample_posts_text() -> tuple[str, tuple[tuple[str, str], ...]]:
    """The sample page as its header and its posts, each (title line, the rest up to and with its footer)."""
    lines = sample_input().read_text(encoding="utf-8").split("\n")
    header, posts, chunk = "\n".join(lines[:SAMPLE_HEADER_LINES]), [], []
    for line in lines[SAMPLE_HEADER_LINES:]:
        if not chunk and not line.strip():
            continue
        chunk.append(line)
        if SAMPLE_FOOTER_RE.match(line):
            posts.append((chunk[0], "\n".join(chunk[1:])))
            chunk = []
    return header, tuple(posts)


def like_sample_page(n: int, seed: int = 1) -> str:
    """Page `n` of a corpus like the sample: its header, then its twelve posts in an order of the
    page's own, each under a title of its own (the sample's title and a number: every post of
    the corpus is distinct), with everything else as the sample prints it: long bodies,
    no-break spaces, captions, bylines and footers."""
    header, posts = sample_posts_text()
    order = list(range(len(posts)))
    Random(f"{seed}/like-sample/{n}").shuffle(order)
    body = "\n\n".join(f"{posts[i][0]} ({n * len(posts) + k + 1})\n{posts[i][1]}" for k, i in enumerate(order))
    return f"{header}\n{body}\n"


def generate_like_sample(folder: Path, size_mb: float, *, seed: int = 1) -> list[Path]:
    """A corpus of pages like the sample (`like_sample_page`), `size_mb` MB in all: what full
    home-page dumps carry, which the day-dump corpus (`generate`) does not (no-break spaces,
    long bodies)."""
    folder.mkdir(parents=True, exist_ok=True)
    paths, written, n = [], 0, 0
    while written < size_mb * MB:
        path = folder / f"aletho-like-sample-{n:06d}.txt"
        data = like_sample_page(n, seed).encode("utf-8")
        path.write_bytes(data)
        paths.append(path)
        written += len(data)
        n += 1
    return paths


def next_day(paths: Iterable[Path]) -> int:
    """The first day after the days of these day-dumps."""
    days = [day_number(int(m["site"] or 0), date.fromisoformat(m["day"]))
            for p in paths if (m := NAME_RE.match(Path(p).name))]
    return max(days, default=-1) + 1


def _fields(post: Post) -> tuple:
    return (post.title, post.subtitle, post.image_credit, post.author, post.source, post.published_on,
            post.published_on_guess, post.body, post.posted_on, post.categories, post.tag_count,
            post.comment_count, post.comments_open, post.is_complete, post.comments)


def verify(paths: Iterable[Path], seed: int = 1) -> dict:
    """Check generated files: each is what the generator writes for its name and seed, and
    parses back (etl.extract.parse_page) into the posts it was rendered from."""
    ref = load_reference()
    report: dict = {"documents": 0, "posts": 0, "bytes": 0, "not_as_generated": [], "mismatched": [],
                    "page_kinds": Counter(), "warnings": Counter()}
    for path in paths:
        path = Path(path)
        m = NAME_RE.match(path.name)
        if not m:
            report["not_as_generated"].append(path.name)
            continue
        n = int(m["n"] or 1)
        if m["kind"] == "archive":
            page = (date.fromisoformat(m["day"]) - ARCHIVE_EPOCH).days * ARCHIVE_PAGES_PER_DAY + n - 1
            doc = archive_page(page, seed)
            count = len(parse_page(path.read_text(encoding="utf-8"), ref).posts)
            if count < len(doc.posts):  # the last page of a corpus may hold fewer posts
                doc = archive_page(page, seed, count)
        else:
            day = day_number(int(m["site"] or 0), date.fromisoformat(m["day"]))
            doc = next((d for d in day_documents(day, seed) if d.name == path.name), None)
        data = path.read_bytes()
        if doc is None or doc.text().encode("utf-8") != data:
            report["not_as_generated"].append(path.name)
            continue
        page = parse_page(data.decode("utf-8"), ref)
        report["documents"] += 1
        report["posts"] += len(page.posts)
        report["bytes"] += len(data)
        report["page_kinds"][page.page_kind] += 1
        report["warnings"].update(w.code for w in page.warnings)
        if [_fields(p) for p in page.posts] != [_fields(p) for p in doc.posts]:
            report["mismatched"].append(path.name)
    return report


def main() -> None:
    parser = argparse.ArgumentParser(description="Write a deterministic benchmark corpus of blog day-dumps.")
    parser.add_argument("out", type=Path)
    parser.add_argument("--size-mb", type=float, default=100.0, help="corpus size in MB (10^6 bytes)")
    parser.add_argument("--posts", type=int, help="instead: archive pages holding this many distinct posts")
    parser.add_argument("--like-sample", action="store_true",
                        help="instead: pages like the bundled sample (its posts shuffled, titles made unique)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--verify", action="store_true", help="then parse every file back and compare")
    args = parser.parse_args()
    start = time.perf_counter()
    if args.posts:
        paths = generate_posts_corpus(args.out, args.posts, seed=args.seed)
    elif args.like_sample:
        paths = generate_like_sample(args.out, args.size_mb, seed=args.seed)
    else:
        paths = generate(args.out, args.size_mb, seed=args.seed)
    seconds = time.perf_counter() - start
    size = sum(p.stat().st_size for p in paths)
    print(f"{len(paths)} files, {size / MB:.1f} MB in {seconds:.1f} s ({size / MB / seconds:.0f} MB/s): {args.out}")
    if args.verify:
        r = verify(paths, args.seed)
        print(f"verified {r['documents']} documents, {r['posts']} posts; page kinds {dict(r['page_kinds'])}; "
              f"warnings {dict(r['warnings'])}")
        print(f"not as generated: {len(r['not_as_generated'])}; posts not parsed back: {len(r['mismatched'])}")
        for name in (r["not_as_generated"] + r["mismatched"])[:10]:
            print(f"  {name}")
        if r["not_as_generated"] or r["mismatched"]:
            sys.exit(1)


if __name__ == "__main__":
    main()
