"""How right is the extractor? Field-level accuracy on hand-annotated dumps.

    python -m tests.accuracy [FIXTURES_DIR] [--real-pages DIR | --no-real-pages]   (make accuracy)

Two sets, reported separately:

- the fixtures: FIXTURES_DIR (default tests/fixtures) holds gold/*.json, one per annotated
  dump; the dump itself is dumps/<same name>.txt, or the file named by the gold's "dump" key
  (relative to the repository root, for the bundled sample). A gold file gives the page's
  `page_kind` and `site_name`, the warning codes the page must raise, the shapes of dumps it
  covers and the expected fields of every post, in page order. They must be 100% right.
- the real pages: ../shared/data/real-pages (relative to the repository root; skipped with a
  message when absent) holds real dumps NAME.txt and hand-made gold/NAME.json in their own
  format (`real_gold` converts it: `complete`, `pre_byline`, `alternatives` = other readings
  also counted right). They must reach REAL_TARGETS (fields right, posts found, none invented).

Parsed posts are paired with gold posts by title, in order (difflib); unpaired gold posts
are *missed*, unpaired parsed posts *invented*. A field's accuracy is the share of gold
posts for which the parsed value is exactly the gold value (a missed post counts wrong in
every field; a gold post's alternative readings count right when they fit better). Prints a
table per set and every failure; exits 1 unless the fixtures are 100% right and the real
pages, when present, reach REAL_TARGETS.
"""

from __future__ import annotations

import json
import sys
from collections import Counter
from dataclasses import dataclass, field
from difflib import SequenceMatcher
from pathlib import Path

from etl.core.reference import Reference, load_reference, name_key
from etl.extract.parser import Post, parse_page

ROOT = Path(__file__).resolve().parent.parent  # the checkout: a development tool (make accuracy), not in the package

DEFAULT_FIXTURES = ROOT / "tests" / "fixtures"
REAL_PAGES = ROOT.parent / "shared" / "data" / "real-pages"  # ../shared/data/real-pages
# What the real pages must reach: share of fields right, share of posts found, posts invented,
# silent field losses (wrong or missing fields of a post the parser gave no warning about).
REAL_TARGETS = {"fields": 0.995, "found": 0.99, "invented": 0, "silent": 0}

# The ten fields the issue measures, then fields checked where the gold annotates them.
FIELDS = ("title", "author", "source", "published_on", "posted_on", "categories", "tag_count",
          "comment_count", "comments_open", "is_complete")
EXTRA_FIELDS = ("subtitle", "image_credit", "published_on_guess", "comments")
REAL_EXTRA_FIELDS = ("pre_byline",)  # the real gold annotates captions and credits as one list

# Every shape of real dumps the fixtures must cover (gold files list theirs under "shapes").
SHAPES = (
    # page kinds and layout
    "page-listing", "page-home", "page-single", "page-fragment",
    "header-greek-tagline", "header-empty-tagline", "header-current-news", "header-none",
    "header-three-lines", "header-any-order", "header-new-tagline",
    "paragraphs-blank-line", "paragraphs-single-newline", "cut-off-last-post", "cut-off-title-only",
    "excerpt-continue", "excerpt-full-article", "excerpt-read-more", "excerpt-bracket", "comment-thread",
    # bylines
    "byline-by-author-source-date", "byline-by-author-date", "byline-source-date-pipe",
    "byline-source-date-dash", "byline-by-dashes", "byline-upper-bullets", "byline-hyphen",
    "byline-commas-in-names", "byline-no-date", "byline-outlet-person-or-channel", "byline-original-post",
    "byline-none", "byline-middle-dot", "byline-em-dash-tight", "byline-slash", "byline-double-colon",
    "byline-pipe-tight", "byline-bullet-numeric-date", "byline-date-after-comma-or-on", "byline-role-by",
    "byline-unread", "byline-date-first", "source-punctuated",
    "pre-byline-caption", "pre-byline-caption-twice", "pre-byline-credit", "pre-byline-subtitle",
    "pre-byline-dates-and-dashes",
    "title-with-dash", "title-all-caps", "title-with-pipe", "body-line-like-byline",
    "byline-author-outlet-dotted", "byline-outlet-alone", "pre-byline-caption-twice-single", "widget-headings",
    # dates
    "date-month-name", "date-zero-padded", "date-upper-case", "date-abbreviated-month", "date-dotted",
    "date-slash-month-first", "date-slash-day-first", "date-numeric-other", "byline-date-differs-days",
    "byline-date-differs-months",
    # footers
    "footer-tags", "footer-no-tags", "footer-one-tag", "footer-dash", "footer-no-comment-field", "footer-cut-off",
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
    values["pre_byline"] = [*(post.subtitle or "").split("\n"), *(post.image_credit or "").split("\n")]
    values["pre_byline"] = [x for x in values["pre_byline"] if x]
    return values


def real_gold(gold: dict) -> dict:
    """A real page's gold (the real-pages README's format) in the fixtures' format.

    `complete` is `is_complete`; a post without its footer in the dump has no categories
    and 0 tags (the gold's nulls); `pre_byline` lines are compared once each (the parser
    keeps a caption printed twice once); `alternatives` are kept as field overrides."""
    posts = []
    for g in gold["posts"]:
        post = {f: g.get(f) for f in FIELDS if f != "is_complete"}
        post["is_complete"] = g["complete"]
        post["categories"] = g.get("categories") or []
        post["tag_count"] = g.get("tag_count") or 0
        post["pre_byline"] = list(dict.fromkeys(g.get("pre_byline") or []))
        post["alternatives"] = g.get("alternatives") or []
        posts.append(post)
    return {"page_kind": gold["page_kind"], "site_name": gold.get("site"), "posts": posts,
            "description": gold.get("notes", "")}


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
    silent: int = 0  # wrong or missing fields (FIELDS) of gold posts without a warning in their lines


@dataclass
class Report:
    fixtures: list[FixtureResult]
    extra_fields: tuple[str, ...] = EXTRA_FIELDS
    title: str = "fixtures"

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

    @property
    def fields_right(self) -> float:
        """Share of the measured fields (FIELDS) of all gold posts that are right."""
        checked = sum(self.total("checked", f) for f in FIELDS)
        return 1.0 if checked == 0 else sum(self.total("correct", f) for f in FIELDS) / checked

    @property
    def found_share(self) -> float:
        gold = self.count("gold_posts")
        return 1.0 if gold == 0 else self.count("found") / gold

    @property
    def meets_real_targets(self) -> bool:
        return (bool(self.fixtures) and self.fields_right >= REAL_TARGETS["fields"]
                and self.found_share >= REAL_TARGETS["found"] and self.count("invented") <= REAL_TARGETS["invented"]
                and self.count("silent") <= REAL_TARGETS["silent"])


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


def _measured(expected: dict, fields: tuple[str, ...]) -> list[str]:
    return [f for f in fields if f != "comments" or f in expected]


def _best_reading(expected: dict, got: dict, fields: list[str]) -> dict:
    """The gold reading (the main one or an alternative's overrides) the parsed post fits best."""
    readings = [expected, *({**expected, **alt} for alt in expected.get("alternatives", ()))]
    return max(readings, key=lambda r: sum(got[f] == r.get(f) for f in fields))


def _check_page(page, gold: dict, result: FixtureResult) -> None:
    for key in ("page_kind", "site_name"):
        got = getattr(page, key)
        if got == gold[key]:
            result.page_checks[key] += 1
        elif key == "page_kind" and got is None:  # the dump does not tell: said, not wrong
            result.page_checks["page_kind_untold"] += 1
        else:
            result.failures.append(f"page {key}: expected {gold[key]!r}, got {got!r}")
    codes = {w.code for w in page.warnings}
    result.expected_warnings = len(gold.get("warnings", []))
    for code in gold.get("warnings", []):
        if code in codes:
            result.page_checks["warnings"] += 1
        else:
            result.failures.append(f"page warnings: expected a {code!r} warning, got {sorted(codes)}")


def _gold_lines(text: str, gold: list[dict], pairs: dict[int, int], page) -> list[int | None]:
    """The line of each gold post's title in the dump: its parsed post's line, else (a missed
    post) the first line after the post before it that holds its title; None if none does."""
    keys = [(n, name_key(line)) for n, line in enumerate(text.splitlines(), 1)]
    lines: list[int | None] = []
    after = 0
    for g, post in enumerate(gold):
        if g in pairs:
            line = page.posts[pairs[g]].line
        else:
            title = name_key(post["title"])
            line = next((n for n, key in keys if n > after and key == title), None)
        lines.append(line)
        after = line or after
    return lines


def _warned(text: str, gold: list[dict], pairs: dict[int, int], page) -> list[bool]:
    """Whether the parser warned about each gold post: a warning in the post's lines (from its
    title to the next post's), an ignored line counting only for a missed post."""
    starts = _gold_lines(text, gold, pairs, page)
    found = sorted(line for line in starts if line is not None)
    warned = []
    for g, start in enumerate(starts):
        end = next((line for line in found if line > start), None) if start is not None else None
        warned.append(start is not None and any(
            start <= w.line and (end is None or w.line < end) and (w.code != "ignored-line" or g not in pairs)
            for w in page.warnings))
    return warned


def _compare(result: FixtureResult, g: int, expected: dict, got: dict | None, fields: list[str], warned: bool,
             line: int | None) -> None:
    """Count one gold post's fields right or wrong (all wrong for a missed post, got None)."""
    for f in fields:
        result.checked[f] += 1
        if got is not None and got[f] == expected.get(f):
            result.correct[f] += 1
            continue
        silent = f in FIELDS and not warned
        result.silent += silent
        if got is not None:
            result.failures.append(
                f"post {g + 1} {expected['title'][:50]!r} (line {line}): {f}: expected {expected.get(f)!r}, "
                f"got {got[f]!r}" + (" (silent: no warning on this post)" if silent else ""))


def evaluate(text: str, gold: dict, ref: Reference, name: str = "",
             extra_fields: tuple[str, ...] = EXTRA_FIELDS) -> FixtureResult:
    """Parse one dump and compare it with its gold annotation."""
    page = parse_page(text, ref)
    result = FixtureResult(name=name, gold_posts=len(gold["posts"]), shapes=tuple(gold.get("shapes", ())))
    _check_page(page, gold, result)
    pairs, missed, invented = _pairs(gold["posts"], page.posts)
    result.found, result.missed, result.invented = len(pairs), len(missed), len(invented)
    warned = _warned(text, gold["posts"], dict(pairs), page)
    for g in missed:
        result.failures.append(f"missed post {g + 1}: {gold['posts'][g]['title']!r}"
                               + ("" if warned[g] else " (silent: no warning on its lines)"))
        _compare(result, g, gold["posts"][g], None, _measured(gold["posts"][g], FIELDS + extra_fields), warned[g],
                 None)
    for p in invented:
        result.failures.append(f"invented post (line {page.posts[p].line}): {page.posts[p].title!r}")
    for g, p in pairs:
        got = post_values(page.posts[p])
        fields = _measured(gold["posts"][g], FIELDS + extra_fields)
        _compare(result, g, _best_reading(gold["posts"][g], got, fields), got, fields, warned[g],
                 page.posts[p].line)
    return result


def load_fixtures(fixtures_dir: Path) -> list[tuple[str, str, dict]]:
    """(name, dump text, gold) for every gold file under fixtures_dir/gold."""
    out = []
    for gold_path in sorted((fixtures_dir / "gold").glob("*.json")):
        gold = json.loads(gold_path.read_text(encoding="utf-8"))
        dump = ROOT / gold["dump"] if gold.get("dump") else fixtures_dir / "dumps" / f"{gold_path.stem}.txt"
        out.append((gold_path.stem, dump.read_text(encoding="utf-8"), gold))
    return out


def load_real_pages(folder: Path = REAL_PAGES) -> list[tuple[str, str, dict]]:
    """(name, dump text, gold in the fixtures' format) for every gold/NAME.json of the real
    pages, whose dump is NAME.txt (or the gold's "document")."""
    out = []
    for gold_path in sorted((folder / "gold").glob("*.json")):
        gold = json.loads(gold_path.read_text(encoding="utf-8"))
        dump = folder / gold.get("document", f"{gold_path.stem}.txt")
        out.append((gold_path.stem, dump.read_text(encoding="utf-8"), real_gold(gold)))
    return out


def measure(fixtures_dir: Path = DEFAULT_FIXTURES, ref: Reference | None = None) -> Report:
    ref = ref or load_reference()
    return Report([evaluate(text, gold, ref, name) for name, text, gold in load_fixtures(fixtures_dir)])


def measure_real(folder: Path = REAL_PAGES, ref: Reference | None = None) -> Report:
    """The real pages' report (raises FileNotFoundError when `folder` has no gold/)."""
    if not (folder / "gold").is_dir():
        raise FileNotFoundError(f"no real pages at {folder} (expected gold/*.json and the dumps)")
    ref = ref or load_reference()
    return Report([evaluate(text, gold, ref, name, REAL_EXTRA_FIELDS)
                   for name, text, gold in load_real_pages(folder)], REAL_EXTRA_FIELDS, "real pages")


def _field_table(report: Report) -> list[str]:
    lines = [f"{'field':<20} {'right':>7} {'of':>5} {'accuracy':>9}"]
    for f in FIELDS + report.extra_fields:
        lines.append(f"{f:<20} {report.total('correct', f):>7} {report.total('checked', f):>5} "
                     f"{report.accuracy(f):>9.1%}")
    checked = sum(report.total("checked", f) for f in FIELDS)
    right = sum(report.total("correct", f) for f in FIELDS)
    lines.append(f"{'fields (the 10 above)':<20} {right:>7} {checked:>5} {report.fields_right:>9.1%}")
    return lines


def _failure_lines(report: Report) -> list[str]:
    failing = [f for f in report.fixtures if f.failures]
    if not failing:
        return []
    lines = ["", "failures:"]
    for f in failing:
        lines.append(f"  {f.name}:")
        lines += [f"    {x}" for x in f.failures]
    return lines


def format_report(report: Report) -> str:
    lines = _field_table(report)
    lines.append("")
    gold = report.count("gold_posts")
    lines.append(f"posts: {gold} annotated, {report.count('found')} found ({report.found_share:.1%}), "
                 f"{report.count('missed')} missed, {report.count('invented')} invented "
                 f"({len(report.fixtures)} dumps)")
    page = {k: sum(f.page_checks[k] for f in report.fixtures)
            for k in ("page_kind", "page_kind_untold", "site_name", "warnings")}
    dumps = len(report.fixtures)
    lines.append(f"pages: page_kind {page['page_kind']}/{dumps} (not told by the dump: {page['page_kind_untold']}), "
                 f"site_name {page['site_name']}/{dumps}, "
                 f"expected warnings {page['warnings']}/{report.count('expected_warnings')}")
    lines.append(f"silent field losses: {report.count('silent')} (wrong or missing fields of the ten whose post "
                 "has no warning)")
    if report.title == "fixtures":
        covered = report.shapes
        unknown = sorted(covered - set(SHAPES))
        missing = [s for s in SHAPES if s not in covered]
        lines.append(f"shapes: {len(set(SHAPES) & covered)}/{len(SHAPES)} covered"
                     + (f"; missing: {', '.join(missing)}" if missing else "")
                     + (f"; unknown names: {', '.join(unknown)}" if unknown else ""))
    lines += _failure_lines(report)
    lines.append("")
    if report.title == "fixtures":
        lines.append("accuracy: 100% on every field" if report.perfect else "accuracy: BELOW 100%")
    else:
        t = REAL_TARGETS
        lines.append(f"real pages: {report.fields_right:.1%} of fields right (target {t['fields']:.1%}), "
                     f"{report.found_share:.1%} of posts found (target {t['found']:.0%}), "
                     f"{report.count('invented')} invented (target {t['invented']}), "
                     f"{report.count('silent')} silent field losses (target {t['silent']}): "
                     + ("targets met" if report.meets_real_targets else "BELOW TARGET"))
    return "\n".join(lines)


USAGE = "usage: python -m tests.accuracy [FIXTURES_DIR] [--real-pages DIR | --no-real-pages]"


def _parse_args(args: list[str]) -> tuple[Path, Path | None] | None:
    """(fixtures folder, real pages folder or None), or None for a usage error."""
    fixtures_dir, real = DEFAULT_FIXTURES, REAL_PAGES
    positional: list[str] = []
    it = iter(args)
    for arg in it:
        if arg == "--no-real-pages":
            real = None
        elif arg == "--real-pages":
            real = Path(next(it, ""))
            if not str(real) or str(real) == ".":
                return None
        elif arg.startswith("-"):
            return None
        else:
            positional.append(arg)
    if len(positional) > 1:
        return None
    return (Path(positional[0]) if positional else fixtures_dir), real


def main(argv: list[str] | None = None) -> int:
    parsed = _parse_args(sys.argv[1:] if argv is None else argv)
    if parsed is None:
        print(USAGE, file=sys.stderr)
        return 2
    fixtures_dir, real = parsed
    if not (fixtures_dir / "gold").is_dir():
        print(f"no gold/ folder under {fixtures_dir}", file=sys.stderr)
        return 2
    report = measure(fixtures_dir)
    print(f"== fixtures ({fixtures_dir}) ==")
    print(format_report(report))
    ok = report.perfect
    if real is not None:
        print()
        print(f"== real pages ({real}) ==")
        if (real / "gold").is_dir():
            real_report = measure_real(real)
            print(format_report(real_report))
            ok = ok and real_report.meets_real_targets
        else:
            print(f"real pages: skipped, {real} is absent (they live outside the repository, in ../shared)")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
