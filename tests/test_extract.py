"""The parser on the real sample and on the shapes of real dumps, with hand-checked values."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import pytest

from etl.core.reference import load_reference
from etl.extract.bylines import normal_case, parse_byline
from etl.extract.parser import parse_footer, parse_page, split_categories
from tests.accuracy import DEFAULT_FIXTURES
from tests.utils import SAMPLE

pytestmark = pytest.mark.quick  # the parser: pure functions

REF = load_reference()
ECRZ = "Ethnic Cleansing, Racism, Zionism"


def page_of(*lines: str, header: str = "Aletho News\n\nΑΛΗΘΩΣ\n\n"):
    return parse_page(header + "\n\n".join(lines) + "\n", REF)


def fixture(name: str):
    return parse_page((DEFAULT_FIXTURES / "dumps" / f"{name}.txt").read_text(encoding="utf-8"), REF)


# --- the real sample -------------------------------------------------------------------

@pytest.fixture(scope="module")
def sample():
    return parse_page(SAMPLE.read_text(encoding="utf-8"), REF)


def test_sample_gives_its_12_posts(sample):
    assert sample.site_name == "Aletho News" and sample.page_kind == "listing"
    assert len(sample.posts) == 12
    assert all(p.is_complete and p.posted_on for p in sample.posts)
    assert [w.code for w in sample.warnings] == ["ambiguous-date", "ambiguous-date"]


def test_sample_first_post(sample):
    first = sample.posts[0]
    assert first.title == "The Kerfuffle War – Trump’s Iran De-escalation Succeeds"  # nbsp collapsed
    assert (first.author, first.source) == ("Joaquin Flores", "Strategic Culture Foundation")
    assert first.published_on == first.posted_on == date(2020, 1, 9)
    assert first.categories == (ECRZ, "Timeless or most popular", "Wars for Israel")
    assert first.tag_count == 7
    assert (first.comment_count, first.comments_open) == (0, True)
    assert first.body.startswith("Just like that, it was over.")
    assert "\n\nTrump’s Balancing Policy on Iran and America’s leadership crisis\n\n" in first.body


def test_sample_zerohedge_post(sample):
    post = next(p for p in sample.posts if p.title == "Russia Proposes To Secure Iraqi Airspace With S-400 Air Defense")
    assert (post.author, post.source) == ("Tyler Durden", "Zero Hedge")
    assert REF.canonical_source(post.source) == "ZeroHedge"
    assert (post.published_on, post.published_on_guess) == (date(2020, 1, 7), "month-first")
    assert post.posted_on == date(2020, 1, 8)
    assert post.categories == ("Aletho News",)
    assert (post.tag_count, post.comment_count) == (3, 1)


def test_sample_bylines_without_author_and_with_caption(sample):
    rt = sample.posts[4]
    assert (rt.author, rt.source, rt.published_on) == (None, "RT", date(2020, 1, 8))
    assert rt.image_credit == "© Reuters / Alaa al-Marjani" and rt.subtitle is None
    uk = sample.posts[10]
    assert uk.subtitle == "Ben Wallace in a combative mood in the House of Commons"
    assert (uk.source, uk.published_on) == ("Press TV", date(2020, 1, 7))
    fars = sample.posts[8]  # byline a day after the footer: both kept
    assert (fars.published_on, fars.posted_on) == (date(2020, 1, 8), date(2020, 1, 7))
    antonopoulos = sample.posts[1]
    assert (antonopoulos.author, antonopoulos.source) == ("Paul Antonopoulos", None)


# --- bylines ---------------------------------------------------------------------------

@pytest.mark.parametrize(("line", "author", "source", "date_text"), [
    ("By Joaquin Flores | Strategic Culture Foundation | January 9, 2020", "Joaquin Flores",
     "Strategic Culture Foundation", "January 9, 2020"),
    ("By Paul Antonopoulos | January 9, 2020", "Paul Antonopoulos", None, "January 9, 2020"),
    ("RT | January 8, 2020", None, "RT", "January 8, 2020"),
    ("Press TV – January 7, 2020", None, "Press TV", "January 7, 2020"),
    ("Al-Manar - October 14, 2015", None, "Al-Manar", "October 14, 2015"),
    ("By Tyler Durden – ZeroHedge – 01/07/2020", "Tyler Durden", "ZeroHedge", "01/07/2020"),
    ("BY MICHAEL NEVRADAKIS, PH.D. • THE DEFENDER • SEPTEMBER 21, 2021", "Michael Nevradakis, Ph.D.",
     "The Defender", "SEPTEMBER 21, 2021"),
    ("BY SEYMOUR HERSH • SEYMOUR HERSH SUBSTACK • FEBRUARY 8, 2023", "Seymour Hersh", "Seymour Hersh Substack",
     "FEBRUARY 8, 2023"),
    ("By Meryl Nass, MD | Meryl’s COVID Newsletter | September 20, 2021", "Meryl Nass, MD",
     "Meryl’s COVID Newsletter", "September 20, 2021"),
    ("By Tom Luongo | Gold, Goats, & Guns | January 6, 2020", "Tom Luongo", "Gold, Goats, & Guns",
     "January 6, 2020"),
    ("By Richard Hugus | Aletho News | June 6, 2024", "Richard Hugus", "Aletho News", "June 6, 2024"),
    ("Richard Medhurst | September 20, 2021", None, "Richard Medhurst", "September 20, 2021"),
    ("TASS | 15.10.2015", None, "TASS", "15.10.2015"),
    ("Strategic Culture Foundation", None, "Strategic Culture Foundation", None),  # known outlet, no date
    ("By Daniel McAdams | Ron Paul Institute", "Daniel McAdams", "Ron Paul Institute", None),
    ("By Whitney Webb", "Whitney Webb", None, None),
    # every separator a theme prints, in any spacing: the date at the end, the outlet between
    ("By Jonas Ferreira · January 27, 2026", "Jonas Ferreira", None, "January 27, 2026"),
    ("By Ewa Marchetti — Strategic Culture Foundation — January 24, 2026", "Ewa Marchetti",
     "Strategic Culture Foundation", "January 24, 2026"),
    ("Lloyd’s List (Maritime)—January 26, 2026", None, "Lloyd’s List (Maritime)", "January 26, 2026"),
    ("By Pieter de Wit / Consortium News – Washington / June 11, 2025", "Pieter de Wit",
     "Consortium News – Washington", "June 11, 2025"),
    ("By Amadou Diallo::Sahel Observer (Niamey)::September 13, 2023", "Amadou Diallo", "Sahel Observer (Niamey)",
     "September 13, 2023"),
    ("By Ewa Marchetti :: RT :: January 24, 2026", "Ewa Marchetti", "RT", "January 24, 2026"),
    ("By María José Duarte|teleSUR English|June 10, 2025", "María José Duarte", "teleSUR English", "June 10, 2025"),
    ("NHK World-Japan|2023.09.13", None, "NHK World-Japan", "2023.09.13"),
    ("Press TV • 24.01.2026", None, "Press TV", "24.01.2026"),
    ("The Cradle (Beirut) • 11-06-2025", None, "The Cradle (Beirut)", "11-06-2025"),
    ("By Carl Whitfield, June 10, 2025", "Carl Whitfield", None, "June 10, 2025"),
    ("By Owen Mercer on March 4, 2024", "Owen Mercer", None, "March 4, 2024"),
    ("Transcript by Lena Hart | March 3, 2024:", "Lena Hart", None, "March 3, 2024"),
    # the date first, as WordPress's own themes print it
    ("Posted on March 3, 2021 by Jane Doe", "Jane Doe", None, "March 3, 2021"),
    ("March 3, 2021 | By Jane Doe | RT", "Jane Doe", "RT", "March 3, 2021"),
    ("2021-03-03 · By Jane Doe", "Jane Doe", None, "2021-03-03"),
    ("Posted on March 3, 2021", None, None, "March 3, 2021"),
    # an outlet holding a dash, a colon or brackets is read whole between the byline's separators
    ("By Ilse Brandt | Euractiv – Brussels Desk | January 26, 2026", "Ilse Brandt", "Euractiv – Brussels Desk",
     "January 26, 2026"),
    ("By Rhea Sandoval | Sputnik: Opinion | June 11, 2025", "Rhea Sandoval", "Sputnik: Opinion", "June 11, 2025"),
    ("By Anouk Visser — NL Times [English edition] — 04/03/2024", "Anouk Visser", "NL Times [English edition]",
     "04/03/2024"),
    ("Tales of the American Empire – YouTube | May 27, 2021", None, "Tales of the American Empire – YouTube",
     "May 27, 2021"),  # no By: the outlet is what stands before the date's separator
])
def test_bylines(line, author, source, date_text):
    b = parse_byline(line, REF)
    assert b is not None
    assert (b.author, b.source, b.date_text) == (author, source, date_text)


@pytest.mark.parametrize("line", [
    "The Kerfuffle War – Trump’s Iran De-escalation Succeeds",  # a title with a dash
    "Turkey Expels Israeli Ambassador | Downgrades Ties",  # a title with a pipe
    "THE WAR ON TERROR IS NOT OVER – IT HAS COME HOME",  # all capitals
    "From System Update with Glenn Greenwald, June 7, 2024.",  # a body line with a date
    "Some Unknown Blog",  # neither date, nor By, nor a known outlet
    "By contrast, the Pentagon said nothing.",  # a sentence starting with By
    "By any standard, his treatment amounts to punishment before trial.",
    "By Sunday, eighteen civilians had been killed.",
    "© US Air Force / Lt. Col. Leslie Pratt",  # a credit
    "A | B | C | January 1, 2020",  # too many parts
    "Ben Wallace in a combative mood in the House of Commons",
    "By the end of the talks on March 3, 2021",  # a sentence, not a name, before the date
    "Translated by Nadia Rahim",  # a role without a date
    "By Kofi Mensah · Updated March 4, 2024 · 4 min read",  # a date inside, none at the end
    "Glenn Greenwald: How the Media Manufactured Consent",  # a colon is no separator
    "March 3, 2021",  # a date alone
    "May Day Rally Draws Thousands by the River",
])
def test_not_bylines(line):
    assert parse_byline(line, REF) is None


def test_a_by_line_whose_outlet_holds_its_separator_is_read_in_part():
    b = parse_byline("By Kofi Mensah | Pan-African Review | Opinion | March 2, 2024", REF)
    assert (b.author, b.source, b.date_text, b.partial) == (
        "Kofi Mensah", "Pan-African Review | Opinion", "March 2, 2024", True)
    assert not parse_byline("By Kofi Mensah | Pan-African Review | March 2, 2024", REF).partial


@pytest.mark.parametrize(("byline", "author", "published", "unread"), [
    # read in part: the name after By and the first date, with a warning carrying the line
    ("By Hanna Lindqvist · 23 Jan 2026 · 6 min read", "Hanna Lindqvist", date(2026, 1, 23), True),
    ("BY INGRID HOLM · 18 NOV 2025 · 5 MIN READ", "Ingrid Holm", date(2025, 11, 18), True),
    # a date and a separator right under the title, in no form a byline has: the date is kept
    ("Gaza | Rafah | Khan Younis | March 2, 2024", None, date(2024, 3, 2), True),
    # sentences starting with By are no bylines, and get no warning
    ("By any standard, his treatment amounts to punishment before trial.", None, None, False),
])
def test_a_line_that_looks_like_a_byline_keeps_what_can_be_read(byline, author, published, unread):
    page = page_of("A Title", byline, "A body sentence long enough to be a paragraph of its own, and more.",
                   "March 5, 2024 Posted by | Civil Liberties | Leave a comment")
    (post,) = page.posts
    assert (post.author, post.source, post.published_on) == (author, None, published)
    warnings = [w for w in page.warnings if w.code == "byline-unread"]
    assert [(w.line, byline in w.message) for w in warnings] == ([(7, True)] if unread else [])


@pytest.mark.parametrize(("name", "expected"), [
    ("MICHAEL NEVRADAKIS, PH.D.", "Michael Nevradakis, Ph.D."),
    ("MERYL NASS, MD", "Meryl Nass, MD"),
    ("SEAN O'NEILL", "Sean O'Neill"),
    ("CHILDREN’S HEALTH DEFENSE", "Children’s Health Defense"),
    ("ANNE-MARIE HAYES-SMITH", "Anne-Marie Hayes-Smith"),
    ("ELIJAH J. MAGNIER", "Elijah J. Magnier"),
    ("Kit Klarenberg", "Kit Klarenberg"),  # not in capitals: untouched
])
def test_normal_case(name, expected):
    assert normal_case(name, REF.upper_case_words) == expected


# --- footers and categories ------------------------------------------------------------

@pytest.mark.parametrize(("line", "posted", "categories", "tags", "count", "open_"), [
    ("January 9, 2020 Posted by | Ethnic Cleansing, Racism, Zionism, Timeless or most popular, Wars for Israel "
     "| , , , , , , | Leave a comment", date(2020, 1, 9),
     "Ethnic Cleansing, Racism, Zionism, Timeless or most popular, Wars for Israel", 7, 0, True),
    ("January 8, 2020 Posted by | Illegal Occupation | , | Leave a comment", date(2020, 1, 8),
     "Illegal Occupation", 2, 0, True),
    ("September 6, 2011 Posted by | Video | Leave a comment", date(2011, 9, 6), "Video", 0, 0, True),
    ("April 7, 2017 Posted by | Video | | 1 Comment", date(2017, 4, 7), "Video", 1, 1, True),
    ("April 8, 2017 Posted by aletho | Deception | , , | 1,234 Comments", date(2017, 4, 8), "Deception", 3,
     1234, True),
    ("September 6, 2011 Posted by | Illegal Occupation, Wars for Israel | , , | Comments Off on Turkey Expels "
     "Israeli Ambassador | Downgrades Ties", date(2011, 9, 6), "Illegal Occupation, Wars for Israel", 3, 0,
     False),  # "Comments Off": WordPress prints it only when there is no comment
    ("May 6, 2011 - Posted by | Video | , | Comments Off", date(2011, 5, 6), "Video", 2, 0, False),
    ("May 6, 2011 – Posted by | Video, Militarism | , ,", date(2011, 5, 6), "Video, Militarism", 3, None, None),
    ("May 6, 2011 - Posted by | Video", date(2011, 5, 6), "Video", 0, None, None),
])
def test_footers(line, posted, categories, tags, count, open_):
    f = parse_footer(line)
    assert f is not None
    assert (f.posted_on, f.categories_text, f.tag_count, f.comment_count, f.comments_open) == (
        posted, categories, tags, count, open_)


def test_categories_longest_known_name_first_and_unknown_fragments_reported():
    found, unknown = split_categories(
        "Full Spectrum Dominance, Mainstream Media, Warmongering, Militarism, Smoke and Mirrors", REF.categories)
    assert found == ["Full Spectrum Dominance", "Mainstream Media, Warmongering", "Militarism", "Smoke and Mirrors"]
    assert unknown == ["Smoke and Mirrors"]
    assert split_categories(f"{ECRZ}, War Crimes", REF.categories) == ([ECRZ, "War Crimes"], [])


def test_unknown_category_is_a_warning():
    page = fixture("fragment-2015-10-16")
    unknown = [w for w in page.warnings if w.code == "unknown-category"]
    assert len(unknown) == 1 and "'Smoke and Mirrors'" in unknown[0].message


# --- page kinds and layout -------------------------------------------------------------

def test_header_variants_and_fragment():
    post = "Title Here\n\nRT | January 8, 2020\n\nBody of the post, long enough to be a sentence.\n\n" \
           "January 8, 2020 Posted by | Video | Leave a comment\n"
    for header in ("Aletho News\n\nΑΛΗΘΩΣ\n\n", "Aletho News\n\n\n\n", "Aletho News\nCurrent News and Analysis\n",
                   # the site name, subtitle and tagline of other years: in any order and number, on one
                   # line or several, spelled otherwise, with the day's date among them
                   "Aletho News\n\nΑΛΗΘΩΣ\n\nCurrent News and Analysis\n\n", "ΑΛΗΘΩΣ\nAletho News\n",
                   "Current News and Analysis\nAletho News\nΑΛΗΘΩΣ\nTuesday, March 5, 2024\n",
                   "Aletho News – ΑΛΗΘΩΣ\n\nCurrent News & Analysis\n\n", "ALETHO NEWS | Αληθώς\n\n",
                   "Current News and Analysis\n\n"):
        page = parse_page(header + post, REF)
        assert (page.site_name, page.page_kind, [p.title for p in page.posts]) == (
            "Aletho News", "listing", ["Title Here"]), header
    page = parse_page(post, REF)
    assert (page.site_name, page.page_kind, [p.title for p in page.posts]) == (None, "fragment", ["Title Here"])
    # a date alone heads no page: without the site's name or a tagline it is the first line of a fragment
    assert parse_page("Tuesday, March 5, 2024\n\n" + post, REF).site_name is None


def test_a_page_cut_inside_its_first_post_has_no_kind():
    """Under the header, a post without footer, excerpt end or thread reads the same on the home
    page, a listing and a single post: the kind is None (unknown), not a guess."""
    post = "Title Here\n\nRT | January 8, 2020\n\nBody of the post, long enough to be a sentence.\n"
    page = parse_page("Aletho News\n\n" + post, REF)
    assert (page.site_name, page.page_kind, [p.title for p in page.posts]) == ("Aletho News", None, ["Title Here"])
    footer = "\nJanuary 8, 2020 Posted by | Video | Leave a comment\n"
    assert parse_page("Aletho News\n\n" + post + footer, REF).page_kind == "listing"
    excerpt = post.replace("sentence.", "sentence. … continue")
    assert parse_page("Aletho News\n\n" + excerpt, REF).page_kind == "home"


def test_a_header_line_at_the_end_of_the_dump_is_no_post():
    page = page_of("A Title", "RT | March 4, 2024", "A body sentence long enough to be a paragraph of its own.",
                   "March 5, 2024 Posted by | Militarism | Leave a comment", "Aletho News")
    assert [p.title for p in page.posts] == ["A Title"] and page.posts[0].is_complete
    assert [(w.code, w.line) for w in page.warnings] == [("ignored-line", 13)]


FIRST = "The body sentence is here and it is long enough to be a paragraph of text."


@pytest.mark.parametrize("ending", ["– Read article", "Read more", "Read More »", "Continue →", "[…]", "[...]",
                                    "(more…)", "| Read more", "… Read the full story", "Keep reading →",
                                    "Continue reading this article", "… continue", "… Full article"])
@pytest.mark.parametrize("inline", [False, True])
def test_teaser_endings(ending, inline):
    """Every common teaser ending, at the end of the teaser's paragraph or on a line of its own,
    ends the post (not complete) and is not kept in its body."""
    teaser = [f"{FIRST} {ending}"] if inline else [FIRST, ending]
    page = page_of("First Title", "By A Smith | RT | March 3, 2020", *teaser,
                   "Second Title", "Press TV – March 2, 2020", "Another sentence of the second teaser, and more.",
                   "… continue")
    assert [(p.title, p.is_complete, p.body) for p in page.posts] == [
        ("First Title", False, FIRST), ("Second Title", False, "Another sentence of the second teaser, and more.")]


@pytest.mark.parametrize("footer", [True, False])
def test_teaser_endings_inside_a_post_do_not_end_it(footer):
    """A quotation cut with […] or a `Read more` link above another paragraph, and any teaser
    ending on a page with footers (but for the strong … continue / … Full article), stay in the body."""
    body = ["He said the talks would go on, and then added: “We will not stop […]",
            "A second paragraph of the same post, which is long enough to read as a body paragraph.",
            "Read more",
            "A third paragraph, again long enough to be body text of the post, and it goes on."]
    end = ["March 5, 2024 Posted by | Militarism | Leave a comment"] if footer else [
        "Next Title", "Press TV – March 2, 2024", "A sentence of the next post, and more of it here."]
    page = page_of("A Title", "RT | March 4, 2024", *body, *end)
    assert page.posts[0].body == "\n\n".join(body) and page.posts[0].is_complete
    assert len(page.posts) == (1 if footer else 2)


POST = ("A Title", "RT | March 4, 2024", "A body sentence long enough to be a paragraph of its own, and more.")


@pytest.mark.parametrize(("footer", "categories", "tags"), [
    ("March 5, 2024 Posted by | Civil Liberties, Ethnic Cleansing, Raci", (), 0),  # inside the categories
    ("March 5, 2024 Posted by | Civil Liberties, Militarism | , , | 4 Comm", ("Civil Liberties", "Militarism"), 3),
    ("March 5, 2024 Posted by | Militarism | , ,", ("Militarism",), 0),  # the tag links may be cut too
    ("March 5, 2024 Posted by | Militarism | Comments O", ("Militarism",), 0),
    ("March 5, 2024 Post", (), 0),  # inside "Posted by"
    ("March 5, 2024 – Posted by", (), 0),
])
def test_a_footer_cut_off_by_the_end_of_the_dump(footer, categories, tags):
    """Only the fields followed by a | are whole; the post is not complete; a warning carries the line."""
    page = page_of(*POST, footer)
    (post,) = page.posts
    assert (post.posted_on, post.categories, post.tag_count, post.comment_count, post.comments_open,
            post.is_complete) == (date(2024, 3, 5), categories, tags, None, None, False)
    assert page.page_kind == "listing"
    assert [(w.code, w.line, footer in w.message) for w in page.warnings] == [("footer-cut-off", 11, True)]


def test_a_whole_footer_at_the_end_of_the_dump_is_complete():
    page = page_of(*POST, "March 5, 2024 Posted by | Militarism | , | Comments Off on A Title")
    assert page.posts[0].is_complete and page.warnings == []
    # a footer without its comment field is whole above the thread of a single page
    single = fixture("single-dash-footer-2016-09-16")
    assert single.posts[0].is_complete and "footer-cut-off" not in {w.code for w in single.warnings}


def test_a_post_without_any_date_gets_a_warning():
    page = fixture("home-2026-01-28")
    assert [(w.line, w.code) for w in page.warnings if w.code == "undated-post"] == [(31, "undated-post")]
    assert page.posts[3].title == "Video: A Week at the Rafah Crossing" and page.posts[3].published_on is None


def test_single_newline_reads_like_blank_lines():
    text = SAMPLE.read_text(encoding="utf-8")
    tight = "\n".join(line for line in text.splitlines() if line.strip())
    unnumbered = [replace(p, line=0) for p in parse_page(tight, REF).posts]
    assert unnumbered == [replace(p, line=0) for p in parse_page(text, REF).posts]


def test_home_page_excerpts_and_full_post():
    page = fixture("home-2022-08-17")
    assert page.page_kind == "home"
    assert [p.is_complete for p in page.posts] == [False, False, True, False, False, False]
    first, second = page.posts[0], page.posts[1]
    assert first.body.endswith("Not one was headed for the Horn of Africa.")  # marker stripped
    assert second.body.endswith("critics say have nothing to do with the war.")
    assert all(p.posted_on is None and p.comment_count is None and p.comments_open is None for p in page.posts)
    cuba = page.posts[3]
    assert (cuba.published_on, cuba.published_on_guess) == (date(2022, 8, 7), "day-first")  # against the page


def test_cut_off_post_is_kept_and_marked():
    page = fixture("listing-cutoff-2020-03-11")
    last = page.posts[-1]
    assert last.title == "Russia Today: Italy Locks Down the Entire Country"
    assert not last.is_complete and last.posted_on is None
    assert last.body.endswith("Prime Minister Giuseppe Conte said")
    assert [w.code for w in page.warnings if w.line == last.line] == ["incomplete-post"]


def test_single_post_page_with_thread():
    page = fixture("single-2022-08-18")
    assert page.page_kind == "single" and len(page.posts) == 1
    post = page.posts[0]
    assert "1. the end of free mass testing in April;" in post.body  # the body's own numbered list
    assert [(c.position, c.author, c.commented_on) for c in post.comments] == [
        (1, "Victor G.", date(2022, 8, 18)), (2, "papasan", date(2022, 8, 18)), (3, "Brewski", date(2022, 8, 19))]
    assert post.comments[1].body == ("The ONS has done the same with its excess death series.\n\n"
                                     "2. And the MHRA Yellow Card reports are now released only quarterly.")
    assert "comment-count-mismatch" not in {w.code for w in page.warnings}


def test_single_page_with_comments_closed():
    page = fixture("single-comments-off-2015-03-02")
    post = page.posts[0]
    assert page.page_kind == "single" and len(page.posts) == 1
    assert (post.comment_count, post.comments_open) == (2, False)
    assert [c.author for c in post.comments] == ["Jon Dhoe", "Ann Wright"]


def test_comment_thread_details():
    page = page_of(
        "A Post", "RT | January 8, 2020", "Body of the post, long enough to be a sentence.",
        "January 8, 2020 Posted by | Video | 3 Comments",
        "  1.\n     First comment, on the line after its number.",
        "    Comment by Victor G. | August 18, 2022 at 3:41 pm | Reply",
        "    1. A nested reply, numbered again.", "    Comment by papasan | August 19, 2022 | Reply",
        "  2. Last one.", "    Comment by Brewski | Unknown date | Reply",
        "Leave a Reply", "Name (required)")
    comments = page.posts[0].comments
    assert [(c.position, c.author, c.commented_on, c.body) for c in comments] == [
        (1, "Victor G.", date(2022, 8, 18), "First comment, on the line after its number."),
        (2, "papasan", date(2022, 8, 19), "A nested reply, numbered again."),
        (3, "Brewski", None, "Last one."),
    ]


def test_excerpt_marker_followed_by_footer_keeps_the_footer():
    page = fixture("listing-tag-2011-06-06")
    nakba = page.posts[2]
    assert nakba.is_complete and nakba.posted_on == date(2011, 6, 5) and nakba.comment_count == 3
    assert nakba.body.endswith("… Full article")  # a complete post: its text as the blog shows it
    assert "footer without a post above it" not in [w.message for w in page.warnings]


def test_body_lines_that_look_like_bylines():
    page = fixture("listing-tag-2011-06-06")
    nato, fracking = page.posts[1], page.posts[3]
    assert (nato.author, nato.source, nato.published_on) == (None, "Voltaire Network", date(2011, 6, 5))
    assert nato.subtitle == "A building hit in central Tripoli – June 4, 2011"
    assert nato.body.endswith("By Sunday, eighteen civilians had been killed.")
    assert (fracking.author, fracking.source, fracking.published_on) == (None, None, None)
    assert fracking.body.startswith("From The Real News Network, June 3, 2011.")


def test_leave_a_reply_in_a_listing_body_does_not_end_the_page():
    page = page_of(
        "First Post", "RT | January 8, 2020", "Leave a Reply",
        "January 8, 2020 Posted by | Video | Leave a comment",
        "Second Post", "Press TV – January 8, 2020", "Body of the second post, long enough to be a sentence.",
        "January 8, 2020 Posted by | Militarism | , | 1 Comment")
    assert page.page_kind == "listing"
    assert [p.title for p in page.posts] == ["First Post", "Second Post"]


def test_archive_heading_and_page_navigation_are_not_posts():
    page = page_of(
        "Category Archives: Video", "A Post", "RT | January 8, 2020", "Body, long enough to be a sentence.",
        "January 8, 2020 Posted by | Video | Leave a comment", "« Older Entries", "Blog at WordPress.com.")
    assert [p.title for p in page.posts] == ["A Post"]
    assert page.posts[0].is_complete
    assert [w.code for w in page.warnings] == ["ignored-line"] * 3


def test_home_page_post_boundary_skips_captions_and_credits():
    page = parse_page((DEFAULT_FIXTURES / "dumps" / "fragment-home-2019-11-05.txt").read_text(encoding="utf-8"), REF)
    lebanon, syria = page.posts[1], page.posts[2]
    assert lebanon.is_complete and lebanon.body.startswith("For the third week")
    assert syria.title == "The Next Phase of the Syrian Constitutional Committee"
    assert syria.subtitle == "Members of the committee at the UN in Geneva"
    assert syria.image_credit == "© UN Photo / Violaine Martin"
    assert (syria.published_on, syria.published_on_guess) == (date(2019, 11, 3), "day-first")


def test_nothing_recognizable_gives_no_posts():
    assert parse_page("", REF).posts == []
    assert parse_page("just one line", REF).posts == []
    assert parse_page("Aletho News\n\nΑΛΗΘΩΣ\n", REF).posts == []


# --- sources ---------------------------------------------------------------------------

def test_spellings_of_one_outlet_are_one_source():
    assert len({REF.source_key(s) for s in ("ZeroHedge", "Zero Hedge", "ZEROHEDGE", "Zero-Hedge", "ZH")}) == 1
    assert REF.canonical_source("ZEROHEDGE") == "ZeroHedge"
    assert REF.canonical_source("Middle East Monitor") == "MEMO"
    assert REF.canonical_source("PressTV") == "Press TV"
    assert REF.canonical_source("Russia Today") == "RT"
    assert REF.canonical_source("OFF-Guardian") == "OffGuardian"
    assert REF.canonical_source("Some New Outlet") == "Some New Outlet"


def test_prose_without_header_byline_or_footer_is_no_post():
    text = "Notes from the meeting\n\nWe talked about the budget for next year.\n\nNothing was decided.\n"
    page = parse_page(text, REF)
    assert page.posts == []
    assert [w.code for w in page.warnings] == ["ignored-line"]


def test_outlet_alone_above_a_one_line_excerpt():
    """The body under an outlet alone may be one sentence with the excerpt marker after it."""
    page = page_of("Iran Iran | Iran", "Centre for Rural Water Studies",
                   "From System Update with Glenn Greenwald, June 7, 2024. … continue")
    assert [(p.source, p.body, p.is_complete) for p in page.posts] == [
        ("Centre for Rural Water Studies", "From System Update with Glenn Greenwald, June 7, 2024.", False)]


@pytest.mark.parametrize("cut", [
    "By any standard, the treatment he received amounts to punishment before trial,",
    "Critics point out that neither reason had prevented publication in the",
])
def test_outlet_alone_above_a_paragraph_the_dump_cuts_off(cut):
    """The dump ends inside the first paragraph under an outlet alone: the cut line ends like
    no sentence, and is short, yet it is the body (found by tests/test_properties.py)."""
    page = page_of("Iran Iran | Iran", "Centre for Rural Water Studies", cut)
    assert [(p.source, p.body, p.is_complete) for p in page.posts] == [("Centre for Rural Water Studies", cut, False)]
    assert "incomplete-post" in {w.code for w in page.warnings}


def test_name_alone_above_another_name_the_dump_cuts_off_is_no_outlet():
    """The same place, but the last line reads as a name too: neither is taken for the outlet."""
    page = page_of("Iran Iran | Iran", "Centre for Rural Water Studies", "Harbour Workers Union")
    assert [(p.source, p.body) for p in page.posts] == [
        (None, "Centre for Rural Water Studies\n\nHarbour Workers Union")]


def _clean_lines_by_splitlines(text: str) -> list[tuple[int, str]]:
    """The definition _clean_lines keeps: every str.splitlines() line, its whitespace read by str.split()."""
    return [(n, c) for n, raw in enumerate(text.splitlines(), 1) if (c := " ".join(raw.split()))]


@pytest.mark.parametrize("text", [
    "Title\u00a0one\n\nBy A\u00a0| B |\u00a0May 1, 2020\n\u00a0\n\t\nbody  text\u00a0\u00a0here\n",
    "a\u2009b\u202fc\n \u3000 \nd\x1fe\n",  # thin, narrow and ideographic spaces; a unit separator
    "a\u00a0b\nc\u2028d\ne\x0cf\n\u0085g\n",  # line breaks other than \n: numbered as splitlines() does
    "a\u00a0b\nzero\u200bwidth and\u00adsoft hyphen\n  lead and  double  \n",  # unprintable but no whitespace
    "plain\n\n  two  spaces \nend",
])
def test_clean_lines_reads_whitespace_as_str_split_and_lines_as_splitlines(text):
    from etl.extract.parser import _clean_lines

    assert _clean_lines(text) == _clean_lines_by_splitlines(text)


def test_clean_lines_on_random_whitespace():
    """Pages of words, spaces of every kind and line breaks of every kind, in random order."""
    import random

    from etl.extract.parser import _clean_lines

    pieces = ["word", "Zeta", "é", " ", "  ", "\n", "\n\n", "\t", "\u00a0", "\u2009", "\u3000", "\x1f", "\u200b",
              "\x0b", "\x0c", "\x1c", "\x85", "\u2028", "\u2029", "\r"]
    rng = random.Random(24)
    for _ in range(3000):
        text = "".join(rng.choice(pieces) for _ in range(rng.randint(0, 30)))
        assert _clean_lines(text) == _clean_lines_by_splitlines(text), repr(text)
