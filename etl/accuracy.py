"""How right is the extractor? Field-level accuracy on hand-annotated dumps.

    python -m etl.accuracy [FIXTURES_DIR]        (make accuracy)

FIXTURES_DIR (default tests/fixtures) holds gold/*.json, one per annotated dump; the dump
itself is dumps/<same name>.txt, or the file named by the gold's "dump" key (relative to
the repository root, for the bundled sample). A gold file gives the page's `page_kind`
and `site_name`, the warning codes the page must raise, the shapes of dumps it covers and
the expected fields of every post, in page order.

Parsed posts are paired with gold posts by title, in order (difflib); unpaired gold posts
are *missed*, unpaired parsed posts *invented*. A field's accuracy is the share of gold
posts for which the parsed value is exactly the gold value (a missed post counts wrong in
every field). Prints a table and every failure; exits 1 unless everything is 100%.
"""

from __future__ import annotations

import json
import sys
from collections import Counter
from dataclasses import dataclass, field
from difflib import SequenceMatcher
from pathlib import Path

from etl.extract.parser import Post, parse_page
from etl.settings import ROOT, Reference, load_reference, name_key

DEFAULT_FIXTURES = ROOT / "tests" / "fixtures"

# The ten fields the issue measures, then fields checked where the gold annotates them.
FIELDS = ("title", "author", "source", "published_on", "posted_on", "categories", "tag_count",
          "comment_count", "comments_open", "is_complete")
EXTRA_FIELDS = ("subtitle", "image_credit", "published_on_guess", "comments")

# Every shape of real dumps the fixtures must cover (gold files list theirs under "shapes").
SHAPES = (
    # page kinds and layout
    "page-listing", "page-home", "page-single", "page-fragment",
    "header-greek-tagline", "header-empty-tagline", "header-current-news", "header-none",
    "paragraphs-blank-line", "paragraphs-single-newline", "cut-off-last-post",
    "excerpt-continue", "excerpt-full-article", "comment-thread",
    # bylines
    "byline-by-author-source-date", "byline-by-author-date", "byline-source-date-pipe",
    "byline-source-date-dash", "byline-by-dashes", "byline-upper-bullets", "byline-hyphen",
    "byline-commas-in-names", "byline-no-date", "byline-outlet-person-or-channel", "byline-original-post",
    "byline-none",
    "pre-byline-caption", "pre-byline-caption-twice", "pre-byline-credit", "pre-byline-subtitle",
    "pre-byline-dates-and-dashes",
    "title-with-dash", "title-all-caps", "title-with-pipe", "body-line-like-byline",
    # dates
    "date-month-name", "date-zero-padded", "date-upper-case", "date-abbreviated-month", "date-dotted",
    "date-slash-month-first", "date-slash-day-first", "byline-date-differs-days", "byline-date-differs-months",
    # footers
    "footer-tags", "footer-no-tags", "footer-one-tag",
    "comments-leave", "comments-one", "comments-many", "comments-off", "comments-off-title-with-pipe",
    "categories-with-commas", "categories-unknown",
    # sources
    "source-spelling-variants", "source-aliases",
)


def post_values(post: Post) -> dict:
    """A parsed post's measured fields, as JSON values (dates ISO, tuples lists)."""
    values = {name: getattr(post, name) for name in FIELDS + EXTRA_FIELDS if name != "comments"}
    for name in ("published_on", "posted_on"):
        values[name] = values[name].isoformat() if values[name] else None
    values["categories"] = list(post.categories)
    values["comments"] = [
        {"author": c.author, "commented_on": c.commented_on.isoformat() if c.commented_on else None,
         "body": c.body}
        for c in post.comments
    ]
    return values


@dataclass
class FixtureResult:
    name: str
    gold_posts: int = 0
    found: int = 0
    missed: int = 0
    invented: int = 0
    correct: Counter = field(default_factory=Counter)  # field -> gold posts with the right value
    checked: Counter = field(default_factory=Counter)  # field -> gold posts that annotate it
    page_checks: Counter = field(default_factory=Counter)  # page_kind / site_name / warnings -> right
    expected_warnings: int = 0
    failures: list[str] = field(default_factory=list)
    shapes: tuple[str, ...] = ()


@dataclass
class Report:
    fixtures: list[FixtureResult]

    def total(self, counter: str, name: str) -> int:
        return sum(getattr(f, counter)[name] for f in self.fixtures)

    def count(self, attr: str) -> int:
        return sum(getattr(f, attr) for f in self.fixtures)

    @property
    def shapes(self) -> set[str]:
        return {s for f in self.fixtures for s in f.shapes}

    @property
    def perfect(self) -> bool:
        return bool(self.fixtures) and not any(f.failures for f in self.fixtures)

    def accuracy(self, name: str) -> float:
        checked = self.total("checked", name)
        return 1.0 if checked == 0 else self.total("correct", name) / checked


def _pairs(gold: list[dict], parsed: list[Post]) -> tuple[list[tuple[int, int]], list[int], list[int]]:
    """(gold index, parsed index) pairs, missed gold indexes, invented parsed indexes.
    Equal titles pair in order; between them, posts pair by position."""
    keys_g = [name_key(g["title"]) for g in gold]
    keys_p = [name_key(p.title) for p in parsed]
    pairs, missed, invented = [], [], []
    for op, g1, g2, p1, p2 in SequenceMatcher(None, keys_g, keys_p, autojunk=False).get_opcodes():
        n = min(g2 - g1, p2 - p1) if op in ("equal", "replace") else 0
        pairs += [(g1 + k, p1 + k) for k in range(n)]
        missed += list(range(g1 + n, g2))
        invented += list(range(p1 + n, p2))
    return pairs, missed, invented


def evaluate(text: str, gold: dict, ref: Reference, name: str = "") -> FixtureResult:
    """Parse one dump and compare it with its gold annotation."""
    page = parse_page(text, ref)
    result = FixtureResult(name=name, gold_posts=len(gold["posts"]), shapes=tuple(gold.get("shapes", ())))
    for key in ("page_kind", "site_name"):
        got = getattr(page, key)
        if got == gold[key]:
            result.page_checks[key] += 1
        else:
            result.failures.append(f"page {key}: expected {gold[key]!r}, got {got!r}")
    codes = {w.code for w in page.warnings}
    result.expected_warnings = len(gold.get("warnings", []))
    for code in gold.get("warnings", []):
        if code in codes:
            result.page_checks["warnings"] += 1
        else:
            result.failures.append(f"page warnings: expected a {code!r} warning, got {sorted(codes)}")

    pairs, missed, invented = _pairs(gold["posts"], page.posts)
    result.found, result.missed, result.invented = len(pairs), len(missed), len(invented)
    for g in missed:
        result.failures.append(f"missed post {g + 1}: {gold['posts'][g]['title']!r}")
    for p in invented:
        result.failures.append(f"invented post (line {page.posts[p].line}): {page.posts[p].title!r}")
    for g in missed:
        for f in FIELDS + EXTRA_FIELDS:
            if f != "comments" or f in gold["posts"][g]:
                result.checked[f] += 1
    for g, p in pairs:
        expected, got = gold["posts"][g], post_values(page.posts[p])
        for f in FIELDS + EXTRA_FIELDS:
            if f == "comments" and f not in expected:
                continue
            want = expected.get(f)
            result.checked[f] += 1
            if got[f] == want:
                result.correct[f] += 1
            else:
                result.failures.append(
                    f"post {g + 1} {expected['title'][:50]!r} (line {page.posts[p].line}): "
                    f"{f}: expected {want!r}, got {got[f]!r}")
    return result


def load_fixtures(fixtures_dir: Path) -> list[tuple[str, str, dict]]:
    """(name, dump text, gold) for every gold file under fixtures_dir/gold."""
    out = []
    for gold_path in sorted((fixtures_dir / "gold").glob("*.json")):
        gold = json.loads(gold_path.read_text(encoding="utf-8"))
        dump = ROOT / gold["dump"] if gold.get("dump") else fixtures_dir / "dumps" / f"{gold_path.stem}.txt"
        out.append((gold_path.stem, dump.read_text(encoding="utf-8"), gold))
    return out


def measure(fixtures_dir: Path = DEFAULT_FIXTURES, ref: Reference | None = None) -> Report:
    ref = ref or load_reference()
    return Report([evaluate(text, gold, ref, name) for name, text, gold in load_fixtures(fixtures_dir)])


def format_report(report: Report) -> str:
    lines = [f"{'field':<20} {'right':>7} {'of':>5} {'accuracy':>9}"]
    for f in FIELDS + EXTRA_FIELDS:
        lines.append(f"{f:<20} {report.total('correct', f):>7} {report.total('checked', f):>5} "
                     f"{report.accuracy(f):>9.1%}")
    lines.append("")
    gold = report.count("gold_posts")
    lines.append(f"posts: {gold} annotated, {report.count('found')} found, {report.count('missed')} missed, "
                 f"{report.count('invented')} invented ({len(report.fixtures)} dumps)")
    page = {k: sum(f.page_checks[k] for f in report.fixtures) for k in ("page_kind", "site_name", "warnings")}
    dumps = len(report.fixtures)
    lines.append(f"pages: page_kind {page['page_kind']}/{dumps}, site_name {page['site_name']}/{dumps}, "
                 f"expected warnings {page['warnings']}/{report.count('expected_warnings')}")
    covered = report.shapes
    unknown = sorted(covered - set(SHAPES))
    missing = [s for s in SHAPES if s not in covered]
    lines.append(f"shapes: {len(set(SHAPES) & covered)}/{len(SHAPES)} covered"
                 + (f"; missing: {', '.join(missing)}" if missing else "")
                 + (f"; unknown names: {', '.join(unknown)}" if unknown else ""))
    failing = [f for f in report.fixtures if f.failures]
    if failing:
        lines.append("")
        lines.append("failures:")
        for f in failing:
            lines.append(f"  {f.name}:")
            lines += [f"    {x}" for x in f.failures]
    lines.append("")
    lines.append("accuracy: 100% on every field" if report.perfect else "accuracy: BELOW 100%")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if len(args) > 1 or (args and args[0].startswith("-")):
        print("usage: python -m etl.accuracy [FIXTURES_DIR]", file=sys.stderr)
        return 2
    fixtures_dir = Path(args[0]) if args else DEFAULT_FIXTURES
    if not (fixtures_dir / "gold").is_dir():
        print(f"no gold/ folder under {fixtures_dir}", file=sys.stderr)
        return 2
    report = measure(fixtures_dir)
    print(format_report(report))
    return 0 if report.perfect else 1


if __name__ == "__main__":
    sys.exit(main())
