"""Search at scale: p50 and p99 of two-word searches over N entries, on SQLite and PostgreSQL.

    python benchmarks/search.py [--entries 1000000] [--db sqlite,postgresql]
        [--pg-url postgresql+psycopg://postgres@127.0.0.1:5432/bench_search] [--sqlite-path FILE]

Builds the data set with benchmarks/dataset.py (bulk rows, bypassing the editorial service),
adds two rare place names to a few entries (the generated text has a vocabulary of forty words, so
every word in it is common), then fills the search index the way migration 0015 does
(`syndicate.search.index.fill`; on PostgreSQL the GIN index is built after the rows, as there).
A data set already built at the same size is reused (its index is refilled only with --refill).

Then it times, in process, the app's search for one page of results (find, load, snippets)
for common and rare two-word queries, newest and best first, and one series through HTTP (the
test client, with the page cache emptied before each request so every one is rendered).
Target (issue 17): p99 under 100 ms for a two-word query on PostgreSQL. Not run by CI.
"""
from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
import dataset  # noqa: E402

COMMON = ["shelling ceasefire", "convoy border", "hospital water", "drone artillery", "village bridge",
          "refugees corridor", "mayor council", "electricity school"]
RARE = ["zugdidi poti", "poti zugdidi", "zugdidi ceasefire", "poti hospital"]
SECRET = "search-benchmark"


def add_rare_words(app) -> None:
    """Zugdidi in one entry in 500, Poti in one in 700 (both in one in 3,500)."""
    from sqlalchemy import text

    from syndicate.extensions import db

    with app.app_context(), db.engine.begin() as conn:
        conn.execute(text("UPDATE entry SET body_text = body_text || ' Ships left Zugdidi.' WHERE id % 500 = 0"))
        conn.execute(text("UPDATE entry SET body_text = body_text || ' The port of Poti.' WHERE id % 700 = 0"))


def fill_index(app, log) -> float:
    from sqlalchemy import text

    from syndicate.extensions import db
    from syndicate.search import index

    started = time.perf_counter()
    with app.app_context():
        postgres = db.engine.dialect.name == "postgresql"
        with db.engine.begin() as conn:
            if postgres:
                conn.execute(text(f"DROP INDEX IF EXISTS {index.GIN_INDEX}"))
                conn.execute(text("SET statement_timeout = 0"))
            else:
                conn.exec_driver_sql("PRAGMA synchronous=OFF")

            def progress(last: int, done: int) -> None:
                if done % 100_000 < 5000:
                    log(f"    indexed {done:,} (to id {last:,}, {time.perf_counter() - started:.0f} s)")

            index.fill(conn, batch=5000, log=progress)
            if postgres:
                for statement in index.POSTGRES_DDL:
                    conn.execute(text(statement))
        if postgres:
            with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                conn.exec_driver_sql("VACUUM ANALYZE search_document")
    return time.perf_counter() - started


def percentiles(samples: list[float]) -> tuple[float, float]:
    ordered = sorted(samples)
    p99 = ordered[min(len(ordered) - 1, round(0.99 * (len(ordered) - 1)))]
    return statistics.median(ordered) * 1000, p99 * 1000


def time_searches(app, queries: list[str], sort: str, rounds: int) -> tuple[float, float, int]:
    """p50, p99 (ms) of one results page through the app's search functions, and the hits on page 1."""
    from syndicate import timeutil
    from syndicate.search import query

    samples, hits = [], 0
    with app.test_request_context("/search"):
        for r in range(rounds):
            for q in queries:
                started = time.perf_counter()
                found = query.find(q, "en", sort, 1 + (r % 3 == 2), timeutil.now())
                entries = query.load(found.ids)
                query.snippets(entries, q, "en")
                samples.append(time.perf_counter() - started)
                hits = max(hits, len(found.ids))
                from syndicate.extensions import db

                db.session.rollback()
    return (*percentiles(samples), hits)


def time_http(app, queries: list[str], rounds: int) -> tuple[float, float]:
    from syndicate import documents

    client = app.test_client()
    samples = []
    with app.app_context():
        for r in range(rounds):
            for q in queries:
                documents.cache().items.clear()
                started = time.perf_counter()
                response = client.get("/search", query_string={"q": q, "sort": ("newest", "best")[r % 2]})
                samples.append(time.perf_counter() - started)
                assert response.status_code == 200, response.status_code
    return percentiles(samples)


def run(url: str, entries: int, refill: bool, rounds: int, log) -> list[str]:
    from syndicate import create_app

    dataset.init_schema(url, {**os.environ, "SYNDICATE_SECRET_KEY": SECRET}, str(ROOT))
    app = create_app({"DATABASE_URL": url, "SECRET_KEY": SECRET, "SITE_URL": "http://127.0.0.1",
                      "DB_STATEMENT_TIMEOUT": 60})
    found = dataset.existing(app)
    if found is None:
        log(f"  building {entries:,} entries ...")
        info = dataset.build(app, entries, log=log)
        log(f"  built in {info.seconds:.0f} s")
        add_rare_words(app)
        refill = True
    elif found.get("entries") != str(entries):
        raise SystemExit(f"{url} holds another data set ({found}); use an empty database")
    if refill:
        log("  filling the search index ...")
        log(f"  indexed in {fill_index(app, log):.0f} s")
    kind = app.config["SQLALCHEMY_DATABASE_URI"].split(":")[0].split("+")[0]
    lines = []
    for label, queries in (("common", COMMON), ("rare", RARE)):
        for sort in ("newest", "best"):
            time_searches(app, queries, sort, 1)  # warm the caches once
            p50, p99, hits = time_searches(app, queries, sort, rounds)
            lines.append(f"{kind:10} {entries:>9,} {label:6} {sort:6} in process  p50 {p50:7.1f} ms  p99 {p99:7.1f} ms"
                         f"  (page 1: {hits} results)")
            log(lines[-1])
    p50, p99 = time_http(app, COMMON + RARE, max(2, rounds // 3))
    lines.append(f"{kind:10} {entries:>9,} mixed  both   HTTP, cold  p50 {p50:7.1f} ms  p99 {p99:7.1f} ms")
    log(lines[-1])
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--entries", type=int, default=1_000_000)
    parser.add_argument("--db", default="sqlite,postgresql")
    parser.add_argument("--pg-url", default="postgresql+psycopg://postgres@127.0.0.1:5432/bench_search")
    parser.add_argument("--sqlite-path", default=None, help="keep the SQLite data set here (reused next time)")
    parser.add_argument("--rounds", type=int, default=25, help="times each query is run (a third on page 2)")
    parser.add_argument("--refill", action="store_true", help="refill the index of a data set already built")
    args = parser.parse_args()
    log = lambda line: print(line, flush=True)  # noqa: E731
    lines = []
    for kind in args.db.split(","):
        if kind == "sqlite":
            path = args.sqlite_path or os.path.join(tempfile.mkdtemp(prefix="search-bench-"), "bench.sqlite")
            log(f"SQLite: {path}")
            lines += run(f"sqlite:///{path}", args.entries, args.refill, args.rounds, log)
        else:
            log(f"PostgreSQL: {args.pg_url}")
            lines += run(args.pg_url, args.entries, args.refill, args.rounds, log)
    print("\n".join(["", "database   entries   words  sort   how         latency", *lines]))


if __name__ == "__main__":
    main()
