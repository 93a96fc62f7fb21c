"""Open published.duckdb as a hardened BI server would, then try what its users should not manage.

    python probe_hardened.py MODE RECIPE_FILE PROBES_JSON

MODE says how RECIPE_FILE (code taken from docs/bi.md, paths already replaced) opens the file:
- `python`: the lines define `con`, a duckdb connection, and harden it;
- `sqlalchemy`: the lines register the `superset_config.py` hook; PROBES_JSON's "uri" and
  "engine" (the URI and engine parameters docs/bi.md gives Superset) make the engine.

PROBES_JSON also maps labels to statements. Prints {label: ["ok", rows] | ["error", message]}.
Standalone on purpose (the standard library, duckdb, sqlalchemy): tests/test_bi_hardening.py
runs it as an unprivileged user, who cannot import the project from a folder it cannot read.
"""

import json
import sys


def outcome(run, statement):
    try:
        return ["ok", [list(r) for r in run(statement)]]
    except Exception as e:  # every failure is an outcome to report
        return ["error", f"{type(e).__name__}: {str(e).splitlines()[0]}"]


def main() -> None:
    mode, spec = sys.argv[1], json.loads(sys.argv[3])
    with open(sys.argv[2]) as f:
        recipe = f.read()
    if mode == "python":
        import duckdb

        scope = {"duckdb": duckdb}
        exec(recipe, scope)
        con = scope["con"]

        def run(statement):
            return con.execute(statement).fetchall()
    else:
        import sqlalchemy

        exec(recipe, {})
        engine = sqlalchemy.create_engine(spec["uri"], **spec["engine"])

        def run(statement):  # a connection of the pool each, as a BI server takes one per query
            with engine.connect() as connection:
                result = connection.exec_driver_sql(statement)
                return result.fetchall() if result.returns_rows else []
    print(json.dumps({label: outcome(run, statement) for label, statement in spec["probes"].items()}))


if __name__ == "__main__":
    main()
