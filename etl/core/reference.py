"""The user-editable reference lists in data/ (categories, sources and their aliases, sites,
widget headings), and the name key that matches names against them."""

from __future__ import annotations

import csv
import io
import re
import tomllib
import unicodedata
from dataclasses import dataclass
from functools import cache, cached_property, lru_cache
from pathlib import Path

from etl.core.settings import default_lists_dir

NON_WORD_RE = re.compile(r"[\W_]+")
WIDGET_HEADING_MAX_CHARS = 80
TRAILING_MARKS = " .,:;!?)]}'\"”’»…"  # may end a line after its last word (none has a case or is a letter)
WORD_RE = re.compile(r"[^\W_]+")
HEADER_MAX_CHARS = 120  # a page header line (site name and taglines) is at most this long


@lru_cache(maxsize=8192)  # names of authors, outlets, categories and sites repeat on every page
def name_key(name: str) -> str:
    """The matching key of a name: case, spaces and punctuation ignored."""
    return NON_WORD_RE.sub("", name.casefold())


def _text(path: Path) -> str:
    """A list file's text in Unicode NFC, the form the dumps are read in (etl/extract/reader.py):
    a name typed on a Mac (NFD) matches the same name in a dump."""
    return unicodedata.normalize("NFC", path.read_text(encoding="utf-8"))


def header_key(text: str) -> str:
    """The matching key of a page header line: its name_key without accents, & read as "and"
    (Αληθώς matches ΑΛΗΘΩΣ, News & Analysis matches News and Analysis)."""
    plain = unicodedata.normalize("NFKD", text)
    if plain != text:  # accents decomposed: drop them
        plain = "".join(c for c in plain if not unicodedata.combining(c))
    return name_key(plain.replace("&", " and "))


def _split_header(key: str, parts: dict[str, str]) -> str | None:
    """The site of the first of the header parts (site names, taglines) that `key` is made of, or None."""
    for part, site in parts.items():
        if key.startswith(part) and (len(part) == len(key) or _split_header(key[len(part) :], parts)):
            return site
    return None


def _lines(path: Path) -> list[str]:
    text = _text(path)
    return [s for line in text.splitlines() if (s := line.strip()) and not s.startswith("#")]


@dataclass(frozen=True)
class Reference:
    """The reference lists the extractor and transformer consult."""

    categories: tuple[str, ...]
    sources: tuple[str, ...]
    aliases: dict[str, str]  # name_key(alias) -> canonical name
    sites: dict[str, tuple[str, ...]]  # site name -> taglines
    upper_case_words: frozenset[str]  # kept in capitals when a name printed in capitals is recased
    # Sidebar and widget headings (never titles): exact headings, and "… tail" entries = any heading ending so.
    widget_headings: tuple[str, ...] = ()

    @cached_property
    def _widget_keys(self) -> tuple[frozenset[str], tuple[str, ...]]:
        exact = frozenset(name_key(h) for h in self.widget_headings if not h.startswith(("…", "...")))
        tails = tuple(name_key(h.lstrip("….")) for h in self.widget_headings if h.startswith(("…", "...")))
        return exact, tuple(t for t in tails if t)

    @cached_property
    def _widget_last_words(self) -> frozenset[str]:
        return frozenset(w[-1] for h in self.widget_headings if (w := WORD_RE.findall(h.casefold())))

    @cached_property
    def _widget_last_chars(self) -> frozenset[str]:
        return frozenset(w[-1] for w in self._widget_last_words)

    def is_widget_heading(self, line: str) -> bool:
        """A sidebar or widget heading (data/widget_headings.txt): never a post title."""
        if len(line) > WIDGET_HEADING_MAX_CHARS:
            return False
        end = line.rstrip(TRAILING_MARKS)[-1:].casefold()[-1:]  # a letter or digit here ends the last word
        if end.isalnum() and end not in self._widget_last_chars:
            return False
        last = WORD_RE.findall(line[-30:].casefold())
        if not last or last[-1] not in self._widget_last_words:
            return False
        exact, tails = self._widget_keys
        key = name_key(line)
        return bool(key) and (key in exact or key.endswith(tails))

    @cached_property
    def _header_parts(self) -> dict[str, str]:
        """header_key of every site name and tagline → its site."""
        parts = {header_key(site): site for site in self.sites}
        for site, taglines in self.sites.items():
            parts.update({k: site for t in taglines if (k := header_key(t)) and k not in parts})
        parts.pop("", None)
        return parts

    def header_site(self, line: str) -> str | None:
        """The site whose page header this line belongs to: its name, one of its taglines, or
        several of them on one line in any order (`Aletho News – ΑΛΗΘΩΣ`), case, accents,
        spaces and punctuation aside; None for any other line."""
        if len(line) > HEADER_MAX_CHARS:
            return None
        if (site := self._header_lines.get(line)) is not None:
            return site
        if (first := header_key(line[:3])[:1]) and first not in self._header_first_chars:
            return None  # a title: its key starts with no part's key (a quick look at 3 characters)
        key = header_key(line)
        return _split_header(key, self._header_parts) if key else None

    @cached_property
    def _header_first_chars(self) -> frozenset[str]:
        return frozenset(k[0] for k in self._header_parts)

    @cached_property
    def _header_lines(self) -> dict[str, str]:
        """Every site name and tagline as data/sites.toml spells it → its site: most headers."""
        return {**{t: site for site, taglines in self.sites.items() for t in taglines}, **{s: s for s in self.sites}}

    @cached_property
    def _known_sources(self) -> dict[str, str]:
        """name_key → known spelling (of equal keys, the first listed)."""
        known: dict[str, str] = {}
        for s in self.sources:
            known.setdefault(name_key(s), s)
        return known

    def canonical_source(self, name: str) -> str:
        """The spelling of an outlet to store: its alias target, else the known spelling
        with the same key, else the name as given."""
        name = self.aliases.get(name_key(name), name)
        return self._known_sources.get(name_key(name), name)

    def source_key(self, name: str) -> str:
        """The key that makes two spellings of one outlet one source."""
        return name_key(self.canonical_source(name))

    def known_spelling(self, name: str) -> str | None:
        """The listed spelling of this very name (case, spaces, punctuation aside; no alias), or None."""
        return self._known_sources.get(name_key(name))

    @cached_property
    def _known_source_keys(self) -> frozenset[str]:
        """The name_key of every name is_known_source accepts: of listed outlets without an
        alias of their own, and of aliases naming a listed outlet."""
        own = {k for k in self._known_sources if k not in self.aliases}
        return frozenset(own | {k for k, target in self.aliases.items() if name_key(target) in self._known_sources})

    def is_known_source(self, name: str) -> bool:
        """Its source key is a listed outlet's: the same as source_key(name) in the list,
        read off the name's own key."""
        return name_key(name) in self._known_source_keys


# The files of a lists folder (the package's data/, or a project's lists/): what a run reads.
LIST_FILES = ("known_categories.txt", "known_sources.txt", "source_aliases.csv", "sites.toml",
              "upper_case_words.txt", "widget_headings.txt")


def missing_lists(data_dir: Path) -> list[str]:
    """The list files `data_dir` lacks."""
    return [name for name in LIST_FILES if not (data_dir / name).is_file()]


@cache
def load_reference(data_dir: Path | None = None) -> Reference:
    """The reference lists in `data_dir` (default: the ones the package ships)."""
    data_dir = data_dir or default_lists_dir()
    aliases = csv.DictReader(io.StringIO(_text(data_dir / "source_aliases.csv"), newline=""))
    rows = [r for r in aliases if r["alias"] and not r["alias"].startswith("#")]
    sites = tomllib.loads(_text(data_dir / "sites.toml"))["site"]
    return Reference(
        categories=tuple(_lines(data_dir / "known_categories.txt")),
        sources=tuple(_lines(data_dir / "known_sources.txt")),
        aliases={name_key(r["alias"]): r["canonical"].strip() for r in rows},
        sites={s["name"]: tuple(s.get("taglines", ())) for s in sites},
        upper_case_words=frozenset(w.upper() for w in _lines(data_dir / "upper_case_words.txt")),
        widget_headings=tuple(_lines(data_dir / "widget_headings.txt")),
    )
