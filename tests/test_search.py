"""Full-text search (issue 25): `etl search`, the index the runs keep, and the search() macro.

One warehouse for the module, three runs: the sample's home page with three excerpts, then the
sample (two new posts, three excerpts replaced by their complete copies), then the real pages
of ../shared/data/real-pages (skipped with a message where that folder is absent). The
expected results were checked by hand against the posts' text."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path

import duckdb
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from etl.search.analyze import STOP_WORDS, fold, terms, tokens
from etl.search.query import parse
from etl.search.searcher import Filters, search
from etl.storage.readers import open_reader
from tests.bi_clients import clients
from tests.corpus import with_excerpts
from tests.utils import ROOT, SAMPLE, etl, index_in_step, other_day, rows, snapshot, start_etl

REAL_PAGES = ROOT.parent / "shared" / "data" / "real-pages"
LATEST_LOCATED = "select located from search_stats order by next_doc desc, docs, located desc nulls last limit 1"
NO_REAL_PAGES = f"the real pages are not here ({REAL_PAGES}): the parts that need them are skipped"


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> dict:
    root = tmp_path_factory.mktemp("search")
    wh = root / "wh"
    home = root / "home"
    home.mkdir()
    (home / "aletho-home-2020-01-09.txt").write_text(with_excerpts(3), encoding="utf-8")
    runs = []
    for inputs in ([home], [SAMPLE], [REAL_PAGES] if REAL_PAGES.is_dir() else []):
        if not inputs:
            continue
        result = etl("run", "-w", wh, *inputs)
        assert result.returncode in (0, 1), result.stdout + result.stderr  # 1: real pages with no post, rejected
        runs.append(re.search(r"run (\S+):", result.stdout).group(1))
    return {"warehouse": wh, "runs": runs, "root": root}


def cli(wh: Path, query: str, *options: str) -> subprocess.CompletedProcess:
    """`etl search OPTIONS -- QUERY` (after --, a query may start with -word)."""
    return etl("search", "-w", wh, *options, "--", query)


def found(wh: Path, query: str, *options: str) -> list[dict]:
    """The results of `etl search … -f json`, as dicts."""
    result = cli(wh, query, *options, "-f", "json")
    assert result.returncode == 0, result.stdout + result.stderr
    return json.loads(result.stdout)


def ids(wh: Path, query: str, *options: str) -> list[str]:
    return [r["post_id"] for r in found(wh, query, *options, "--limit", "1000")]


def posts_where(wh: Path, condition: str) -> set[str]:
    """Post ids whose title or body matches `condition` (SQL over `text`)."""
    return {p for p, in rows(wh, f"select post_id from (select post_id, title || ' ' || body as text from posts) "
                                 f"where {condition}")}


def test_the_runs_keep_the_index_in_step_with_the_posts(built):
    wh = built["warehouse"]
    index_in_step(wh)
    # the three excerpts of the first run were replaced by their complete copies: docs 0-9,
    # then the second run's 2 new posts and 3 replaced ones, docs 10-14 (3 of 0-9 deleted)
    assert rows(wh, "select count(*) filter (doc < 10), count(*) filter (doc between 10 and 14) "
                    "from search_docs") == [(7, 5)]
    assert rows(wh, "select max(next_doc) >= 15 from search_stats") == [(True,)]


def test_words_are_all_required_and_ranked(built):
    wh = built["warehouse"]
    got = ids(wh, "kerfuffle")
    assert got == sorted(posts_where(wh, "text ilike '%kerfuffle%'")) and len(got) == 1
    both = ids(wh, "soleimani iraq")
    two = etl("search", "-w", wh, "soleimani", "iraq", "-f", "json", "--limit", "1000")  # words as arguments
    assert [r["post_id"] for r in json.loads(two.stdout)] == both
    assert set(both) == posts_where(wh, "text ilike '%soleimani%' and text ilike '%iraq%'") and len(both) > 3
    top = found(wh, "Soleimani Killing Suddenly Alone")[0]
    assert top["title"] == "After Soleimani Killing Suddenly the US is Alone"
    assert "«Soleimani»" in top["snippet"] or "«Killing»" in top["snippet"]


def test_phrases(built):
    wh = built["warehouse"]
    phrase = set(ids(wh, '"united states"'))
    assert phrase == posts_where(wh, "regexp_matches(text, '(?i)united\\s+states')") and phrase
    loose = set(ids(wh, "united states"))
    assert phrase < loose  # a post with both words apart is not a phrase match
    # stop words keep their places: "the" in "assassination of the martyr"
    assert ids(wh, '"assassination of the martyr"') == ids(wh, '"assassination martyr"'.replace(" ", " of the ")) \
        == sorted(posts_where(wh, "text ilike '%assassination of the martyr%'"))
    assert ids(wh, '"assassination martyr"') == []


def test_exclusions_and_or(built):
    wh = built["warehouse"]
    assert set(ids(wh, "iran -trump")) == posts_where(wh, "text ilike '%iran%' and not text ilike '%trump%'")
    assert set(ids(wh, "kerfuffle OR zarif")) == set(ids(wh, "kerfuffle")) | set(ids(wh, "zarif"))
    assert set(ids(wh, "kerfuffle OR zarif")) == posts_where(wh, "text ilike '%kerfuffle%' or text ilike '%zarif%'")
    assert set(ids(wh, '"united states" OR kerfuffle -iraq')) == (
        (set(ids(wh, '"united states"')) | set(ids(wh, "kerfuffle"))) - set(ids(wh, "iraq")))


def test_stemming_and_accents(built):
    wh = built["warehouse"]
    # the sample has "sanctions" (4 posts) and never "sanction" alone
    assert posts_where(wh, "regexp_matches(text, '(?i)\\bsanction\\b')") == set()
    sanctions = posts_where(wh, "regexp_matches(text, '(?i)\\bsanctions\\b')")
    assert set(ids(wh, "sanction")) == set(ids(wh, "sanctioned")) == sanctions and sanctions
    assert ids(wh, "SOLEIMANÍ") == ids(wh, "soleimani")
    assert terms("Café Zürich, Fédération") == ["cafe", "zurich", "feder"]


@given(st.text(alphabet=st.characters(codec="utf-8"), max_size=60)
       | st.lists(st.sampled_from(["Ab", "z9", " ", "-", "\u00a0", "é", "ß", "\u2019", "\u2163", "\ufb01", "\u00b2",
                                   "Ω", "\u0301", "\t\n", "?"]), max_size=20).map("".join))
@settings(max_examples=400, deadline=None)
def test_words_are_the_runs_of_letters_and_digits_of_the_folded_text(text):
    """tokens() finds words by translate and split: the same words, in the same order, as the
    regex that defines them, on any text (non-ASCII letters and digits, marks, ligatures, "?")."""
    assert tokens(text) == re.findall("[a-z0-9]+", fold(text))
    assert tokens("Café’s ﬁle²: ß, Ⅳ?") == ["cafe", "s", "file2", "ss", "iv"]


def test_accents_in_the_text(built):
    if not REAL_PAGES.is_dir():
        pytest.skip(NO_REAL_PAGES)
    wh = built["warehouse"]
    accented = posts_where(wh, "text like '%Fédération%'")
    federation = set(ids(wh, "federation"))
    assert accented and accented <= federation and set(ids(wh, "FÉDÉRATION")) == federation


def test_filters(built):
    wh = built["warehouse"]
    press = found(wh, "iran", "--source", "press tv")
    assert {r["source"] for r in press} == {"Press TV"} and len(press) >= 2
    assert {r["post_id"] for r in press} == {p for p, in rows(wh, "select post_id from post_details where source = "
                                                                   "'Press TV' and (title || body) ilike '%iran%'")}
    assert [r["author"] for r in found(wh, "iran", "--author", "tom%")] == ["Tom Luongo"]
    (category,), = rows(wh, "select t.name from tags t join post_tags using (tag_id) group by all "
                            "order by count(*) desc, 1 limit 1")
    assert set(ids(wh, "iran", "--category", category.upper())) == {
        p for p, in rows(wh, "select post_id from post_details where list_contains(categories, ?) "
                             "and (title || body) ilike '%iran%'", [category])}
    day = found(wh, "iran", "--since", "2020-01-08", "--until", "2020-01-08", "--limit", "100")
    assert day and {r["date"] for r in day} == {"2020-01-08"}
    assert len(day) == rows(wh, "select count(*) from post_details where coalesce(published_on, posted_on) = "
                                "'2020-01-08' and (title || body) ilike '%iran%'")[0][0]


def test_limit_formats_and_scores(built):
    wh = built["warehouse"]
    two = found(wh, "iran", "--limit", "2")
    assert len(two) == 2 and two[0]["score"] >= two[1]["score"] > 0
    assert list(two[0]) == ["post_id", "title", "source", "author", "date", "score", "snippet"]
    md = cli(wh, "iran", "--limit", "2", "-f", "markdown")
    assert md.stdout.startswith("| post_id | title | source | author | date | score | snippet |")
    csv = cli(wh, "iran", "--limit", "2", "-f", "csv")
    assert csv.stdout.splitlines()[0] == "post_id,title,source,author,date,score,snippet"


@pytest.mark.parametrize("query,message", [
    ('"united states', "unbalanced quote"),
    ("iran OR", "OR needs a word or phrase on each side"),
    ("OR iran", "OR needs a word or phrase on each side"),
    ("the of", "no word to search for"),
    ("-iran", "no word to search for"),
    ('-"united states" iran', "exclude words one at a time"),
    ("", "empty query"),
])
def test_a_malformed_query_exits_2(built, query, message):
    result = cli(built["warehouse"], query)
    assert result.returncode == 2 and "error: malformed query: " in result.stderr, result.stderr
    assert message in result.stderr


def test_as_of_and_rollback(built, tmp_path):
    wh, (first, second, *_) = built["warehouse"], built["runs"]
    # the second run's two new posts, and the complete text of the excerpts it replaced
    new = {p for p, in rows(wh, "select post_id from posts where run_id = ?", [second])}
    assert len(new) == 2
    title = rows(wh, "select title from posts where run_id = ? order by post_id limit 1", [second])[0][0]
    assert ids(wh, title)[0] in new
    assert ids(wh, title, "--as-of", first) == [p for p in ids(wh, title) if p not in new]
    unknown = cli(wh, "iran", "--as-of", "nope")
    assert unknown.returncode == 1 and "no snapshot of run nope" in unknown.stderr
    copy = tmp_path / "wh"
    shutil.copytree(wh, copy, symlinks=True)
    back = etl("rollback", first, "-w", copy)
    assert back.returncode == 0, back.stdout + back.stderr
    index_in_step(copy)
    for q in ("iran", title, '"united states"', "sanctions -trump"):
        assert ids(copy, q) == ids(wh, q, "--as-of", first), q
    again = etl("run", "-w", copy, SAMPLE)  # the rolled-back posts come back, and into the index
    assert again.returncode == 0, again.stdout + again.stderr
    index_in_step(copy)
    assert ids(copy, title)[0] in new


def test_a_killed_run_leaves_index_and_tables_together(built, tmp_path):
    """Killed in its load transaction (rows merged and indexed, nothing committed): readers see
    the last run's tables and index; the next run indexes what it adds."""
    copy = tmp_path / "wh"
    shutil.copytree(built["warehouse"], copy, symlinks=True)
    before = {q: ids(copy, q) for q in ("iran", "kerfuffle OR zarif")}
    dumps = tmp_path / "dumps"
    dumps.mkdir()
    text = SAMPLE.read_text(encoding="utf-8").replace("Kerfuffle", "Brouhaha")  # a post with a new title
    (dumps / "aletho-news-2020-01-11.txt").write_text(text, encoding="utf-8")
    proc = start_etl("run", dumps, "--warehouse", copy, env={"ETL_FAILPOINTS": "load"})
    deadline_lines = []
    for line in proc.stderr:
        deadline_lines.append(line)
        if "failpoint load reached" in line:
            break
    proc.kill()
    proc.wait()
    assert any("failpoint load reached" in line for line in deadline_lines), "".join(deadline_lines)
    index_in_step(copy)
    assert {q: ids(copy, q) for q in before} == before and ids(copy, "brouhaha") == []
    rerun = etl("run", "-w", copy, dumps)
    assert rerun.returncode == 0, rerun.stdout + rerun.stderr
    index_in_step(copy)
    assert len(ids(copy, "brouhaha")) == 1


def test_an_old_warehouse_gets_its_index_from_etl_upgrade_or_its_next_run(built, tmp_path):
    from etl.core.duck import connect as duck_connect
    from etl.storage import lake

    expected = ids(built["warehouse"], "iran")
    for how in ("upgrade", "run"):
        copy = tmp_path / how
        shutil.copytree(built["warehouse"], copy, symlinks=True)
        with duck_connect() as con:  # a warehouse from before search: no index tables
            lake.attach(con, copy)
            for table in ("search_docs", "search_postings", "search_forms", "search_stats"):
                con.execute(f"drop table lake.{table}")
        missing = cli(copy, "iran")  # a moved copy: read through the DuckLake, at its newest snapshot
        assert missing.returncode == 1 and "this snapshot has no search index" in missing.stderr, missing.stderr
        done = etl("upgrade", "-w", copy) if how == "upgrade" else etl("run", "-w", copy, SAMPLE)
        assert done.returncode == 0, done.stdout + done.stderr
        if how == "upgrade":
            assert "built the search index of its" in done.stdout
        index_in_step(copy)
        assert sorted(ids(copy, "iran")) == sorted(expected)  # the scores differ: new averages


INDEX_TABLES = ("search_docs", "search_postings", "search_forms", "search_stats")


def test_search_index_off_drops_the_index_and_on_builds_it_again(built, tmp_path):
    """search_index = false in the config: a run keeps no index and drops one it finds (its
    other tables as with the index; earlier snapshots keep theirs); `etl upgrade` builds none;
    `--search-index` turns it on again: the run builds it over every post."""
    wh, ref = tmp_path / "wh", tmp_path / "ref"
    for copy in (wh, ref):
        shutil.copytree(built["warehouse"], copy, symlinks=True)
    expected = sorted(ids(wh, "iran"))
    assert expected
    (tmp_path / "etl.toml").write_text('warehouse = "wh"\nsearch_index = false\n', encoding="utf-8")
    dump = other_day(tmp_path / "dumps")  # a new document: the run merges
    off = etl("run", dump, cwd=tmp_path)
    assert off.returncode == 0, off.stdout + off.stderr
    assert "search index dropped reason=search_index is off" in off.stderr
    assert {t: rows(wh, f"select count(*) from {t}") for t in INDEX_TABLES} == {t: [(0,)] for t in INDEX_TABLES}
    assert etl("run", dump, "-w", ref).returncode == 0  # the same run, the index on
    assert snapshot(wh) == snapshot(ref)
    missing = cli(wh, "iran")
    assert missing.returncode == 1 and "unless search_index is off in the config" in missing.stderr, missing.stderr
    assert sorted(ids(wh, "iran", "--as-of", built["runs"][-1])) == expected  # the snapshot before keeps it

    again = etl("run", SAMPLE, cwd=tmp_path)  # nothing new, no index: nothing to drop
    assert again.returncode == 0 and "search index" not in again.stderr, again.stderr
    upgraded = etl("upgrade", cwd=tmp_path)
    assert upgraded.returncode == 0 and "needs no upgrade" in upgraded.stdout, upgraded.stdout + upgraded.stderr

    on = etl("run", "--search-index", SAMPLE, cwd=tmp_path)  # nothing new: the index is built
    assert on.returncode == 0 and "search index built=True" in on.stderr, on.stderr
    index_in_step(wh)
    assert sorted(ids(wh, "iran")) == expected  # the scores differ: new averages


def test_each_doc_keeps_its_posts_day_where_the_page_looks_it_up(built, tmp_path):
    """search_docs.posted_on is the post's posted_on (sql/search/hits.sql reads only the row
    groups of the page's days); a doc whose day is wrong or unknown still shows its post."""
    wh = built["warehouse"]
    assert rows(wh, "select d.posted_on from search_docs as d inner join posts as p using (post_id) "
                    "where p.title like 'The Kerfuffle War%'") == [(date(2020, 1, 9),)]  # its footer's date
    assert rows(wh, "select count(*) from search_docs as d inner join posts as p using (post_id) "
                    "where d.posted_on is distinct from p.posted_on") == [(0,)]
    assert rows(wh, LATEST_LOCATED) == [(True,)]
    expected = found(wh, "kerfuffle OR zarif")
    assert len(expected) >= 2 and any(r["title"].startswith("The Kerfuffle War") for r in expected)
    from etl.core.duck import connect as duck_connect
    from etl.storage import lake

    copy = tmp_path / "wh"
    shutil.copytree(wh, copy, symlinks=True)
    for day in ("'1999-01-01'", "null"):  # wrong: looked up again by id alone; unknown: by id alone
        with duck_connect() as con:
            lake.attach(con, copy)
            con.execute(f"update lake.search_docs set posted_on = {day} where post_id = ?", [expected[0]["post_id"]])
        assert found(copy, "kerfuffle OR zarif") == expected


def test_an_index_from_before_posted_on_gets_it_from_etl_upgrade_or_its_next_run(built, tmp_path):
    from etl.core.duck import connect as duck_connect
    from etl.storage import lake

    expected = found(built["warehouse"], "iran")
    for how in ("upgrade", "run"):
        copy = tmp_path / how
        shutil.copytree(built["warehouse"], copy, symlinks=True)
        with duck_connect() as con:  # an index of the release before: no posted_on, no located
            lake.attach(con, copy)
            con.execute("alter table lake.search_docs drop column posted_on")
            con.execute("alter table lake.search_stats drop column located")
        assert found(copy, "iran") == expected  # read through the DuckLake: no day, the posts by id alone
        done = etl("upgrade", "-w", copy) if how == "upgrade" else etl("run", "-w", copy, SAMPLE)
        assert done.returncode == 0, done.stdout + done.stderr
        if how == "upgrade":
            assert "the search index now locates its" in done.stdout, done.stdout
        index_in_step(copy)
        assert rows(copy, "select count(*), count(d.posted_on) from search_docs as d inner join posts as p "
                          "using (post_id) where d.posted_on is not distinct from p.posted_on") == \
            rows(copy, "select count(*), count(posted_on) from posts")
        assert rows(copy, LATEST_LOCATED) == [(True,)]
        assert found(copy, "iran") == expected
        again = etl("upgrade", "-w", copy)
        assert again.returncode == 0 and "needs no upgrade" in again.stdout, again.stdout + again.stderr


def test_known_items_on_real_pages(built):
    """Each real post whose title no other post has, searched by its title's words as typed
    and by its three longest words, comes first."""
    if not REAL_PAGES.is_dir():
        pytest.skip(NO_REAL_PAGES)
    wh, (*_, real_run) = built["warehouse"], built["runs"]
    posts = rows(wh, "select post_id, title from posts where run_id = ? and title in "
                     "(select title from posts group by title having count(*) = 1) order by post_id", [real_run])
    queries = []
    for post_id, title in posts:
        words = [w for w in re.findall(r"[^\W_]+", title) if w.casefold() not in STOP_WORDS]
        if len(words) >= 3:
            queries += [(post_id, " ".join(words)), (post_id, " ".join(sorted(words, key=len, reverse=True)[:3]))]
    assert len(queries) >= 100
    with open_reader(wh) as con:
        misses = [(p, q) for p, q in queries if [h.post_id for h in search(con, parse(q), Filters(), 1)] != [p]]
    assert misses == []


def test_search_macro_in_sql_and_bi_clients(built, tmp_path):
    """search(q) in published.duckdb: the CLI's ranking for plain words, from `etl sql`, the
    project's DuckDB and the BI clients (DuckDB 1.0 and 1.1 Python, the DuckDB CLI), none of
    which loads an extension for it."""
    wh = built["warehouse"]
    queries = ["iran strikes", "Soleimani killing", "sanctions", "UNITED STATES", "kerfuffle"]
    expected = {q: ids(wh, q, "--limit", "5")[:5] for q in queries}
    for q in queries:
        result = etl("sql", "-w", wh, "-f", "json", f"select post_id from search('{q}', max_hits := 5)")
        assert [r["post_id"] for r in json.loads(result.stdout)] == expected[q], q
    script = ("import duckdb, json, sys\n"
              "con = duckdb.connect(sys.argv[1], read_only=True, config={'autoload_known_extensions': False, "
              "'autoinstall_known_extensions': False})\n"
              "out = {q: [r[0] for r in con.execute('select post_id from search(?, max_hits := 5)', [q]).fetchall()] "
              "for q in sys.argv[2:]}\n"
              "print(json.dumps({'version': duckdb.__version__, 'results': out}))\n")
    (tmp_path / "dump.py").write_text(script, encoding="utf-8")
    for client in clients():
        if client.name not in ("duckdb-py-1.1", "duckdb-py-1.0", "cli"):
            continue
        client.require()
        python = client.requires[0]
        if client.name == "cli":
            statement = " union all ".join(
                f"select {i} as q, post_id, row_number() over () as n from search('{q}', max_hits := 5)"
                for i, q in enumerate(queries))
            out = subprocess.run([str(python), "-readonly", "-json", str(wh / "published.duckdb"), "-c",
                                  f"select q, post_id from ({statement}) order by q, n"],
                                 capture_output=True, text=True, cwd=tmp_path, timeout=120)
            assert out.returncode == 0, out.stderr
            got = {q: [r["post_id"] for r in json.loads(out.stdout) if r["q"] == i] for i, q in enumerate(queries)}
        else:
            out = subprocess.run([str(python), str(tmp_path / "dump.py"), str(wh / "published.duckdb"), *queries],
                                 capture_output=True, text=True, cwd=tmp_path, timeout=120)
            assert out.returncode == 0, out.stderr
            dumped = json.loads(out.stdout)
            assert dumped["version"] == client.version.lstrip("v")
            got = dumped["results"]
        assert got == expected, client.name


def test_the_macro_drops_the_analyzers_stop_words():
    text = (ROOT / "sql" / "bi" / "search.sql").read_text(encoding="utf-8")
    listed = re.search(r"not in \(([^)]*)\)", text).group(1)
    assert set(re.findall(r"'([a-z]+)'", listed)) == STOP_WORDS


def test_the_index_reads_no_extension(built):
    with duckdb.connect(str(built["warehouse"] / "published.duckdb"), read_only=True, config={
            "autoload_known_extensions": False, "autoinstall_known_extensions": False}) as con:
        assert con.execute("select count(*) from search('iran')").fetchall()[0][0] == 10


@contextmanager
def rebuilt_index(built: dict, copy: Path, jobs: int) -> Iterator[tuple]:
    """A copy of the module's warehouse with its index dropped, then built again in this
    process (etl/search/index.py `update`, on `jobs`) and committed: the lake's connection (its
    tables in use) and what `update` returned."""
    from etl.core.duck import connect as duck_connect
    from etl.search import index
    from etl.storage import lake

    shutil.copytree(built["warehouse"], copy, symlinks=True)
    (copy.parent / "spill").mkdir(exist_ok=True)
    with duck_connect(spill_to=copy.parent / "spill") as con:
        lake.attach(con, copy)
        con.execute("use lake")
        con.begin()
        index.drop(con)
        done = index.update(con, copy.parent / f"{copy.name}-analyzed", jobs)
        con.commit()
        yield con, done


def test_an_index_analyzed_in_processes_is_the_one_analyzed_here(built, tmp_path, monkeypatch):
    """A run of more than one batch analyzes them in forked processes (etl/search/index.py
    `analyzed`: the first build's sample for its averages, then the posts) and sorts the
    postings on more threads: the index is the same, row for row and in the same order, as
    one analyzed batch by batch in the run's process."""
    from etl.core import children
    from etl.search import index

    pools = []
    monkeypatch.setattr(index, "BATCH", 2)  # the sample's 12 posts (and the real pages', if here) in several batches
    monkeypatch.setattr(index, "process_pool", lambda *a: pools.append(a) or children.process_pool(*a))
    tables = {}
    for jobs in (1, 2):
        with rebuilt_index(built, tmp_path / f"jobs{jobs}", jobs) as (con, done):
            assert done is not None and done.built and done.docs == done.total > 3 * index.BATCH
            tables[jobs] = {t: con.execute(f"select * from {t}").fetchall()  # in stored order
                            for t in INDEX_TABLES}
        assert len(pools) == 2 * (jobs - 1)  # only jobs=2 started processes: the averages', the analysis's
    assert tables[1] == tables[2]
    postings = tables[2]["search_postings"]
    assert postings == sorted(postings, key=lambda p: (p[0], p[1]))  # by term, then doc


def test_more_postings_than_one_sort_takes_go_into_several_files_each_sorted(built, tmp_path, monkeypatch):
    """A build of more than POSTINGS_PER_SORT postings inserts them a run of files at a time
    (one sort of 176M runs out of the writer's memory): each file sorted by term, then doc;
    the same rows, and the same results, as a build in one sort."""
    from etl.search import index

    monkeypatch.setattr(index, "BATCH", 2)
    tables, results, files = {}, {}, {}
    for limit in (index.POSTINGS_PER_SORT, 600):
        monkeypatch.setattr(index, "POSTINGS_PER_SORT", limit)
        with rebuilt_index(built, tmp_path / f"limit{limit}", 2) as (con, done):
            assert done.built
            tables[limit] = {t: sorted(con.execute(f"select * from {t}").fetchall(), key=repr) for t in INDEX_TABLES}
            results[limit] = [(h.post_id, h.score) for h in search(con, parse("iran war"), limit=100)]
            files[limit] = [con.execute("select term, doc from read_parquet(?)", [f]).fetchall()
                            for f, in con.execute("select data_file from ducklake_list_files('lake', "
                                                  "'search_postings')").fetchall()]
    one, several = files
    assert len(files[one]) == 1 and len(files[several]) > 2
    assert all(rows_ == sorted(rows_) for rows_ in files[several])  # each file by term, then doc
    assert sum(map(len, files[several])) == len(files[one][0])
    assert tables[one] == tables[several]
    assert results[one] == results[several] and results[one]
