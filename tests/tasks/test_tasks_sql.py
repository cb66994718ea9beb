"""Text-to-SQL: the database, the sandbox (destructive SQL contained), execution accuracy, and
the training-pair generator (never an evaluation question)."""

from __future__ import annotations

import hashlib
import sqlite3

import pytest

from greenbench.tasks import load_task
from greenbench.tasks.sql_sandbox import SqlSandbox
from greenbench.tasks.sql_training import generate_pairs
from greenbench.tasks.sqldb import shop_database


def digest(path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_database_is_built_deterministically(tmp_path, monkeypatch):
    first = shop_database()
    monkeypatch.setenv("GREENBENCH_CACHE_DIR", str(tmp_path))
    second = shop_database()
    assert first != second
    conn_a, conn_b = sqlite3.connect(first), sqlite3.connect(second)
    for table in ("regions", "customers", "categories", "products", "orders", "order_items"):
        query = f"SELECT * FROM {table} ORDER BY id"
        assert conn_a.execute(query).fetchall() == conn_b.execute(query).fetchall()
    total = sum(
        conn_a.execute(f"SELECT COUNT(*) FROM {t}").fetchone()[0]
        for t in ("customers", "products", "orders", "order_items")
    )
    assert 300 <= total <= 1000


@pytest.mark.parametrize(
    "sql",
    [
        "DROP TABLE customers",
        "DELETE FROM orders",
        "UPDATE products SET price = 0",
        "INSERT INTO regions VALUES (99, 'Nowhere')",
        "ATTACH DATABASE 'evil.db' AS evil",
        "PRAGMA query_only = OFF",
        "SELECT 1; DROP TABLE customers",
        "CREATE TABLE t (x)",
        "VACUUM",
    ],
)
def test_destructive_sql_is_refused_and_the_database_is_unchanged(sql, tmp_path):
    db = shop_database()
    before = digest(db)
    with SqlSandbox(db, timeout_s=2) as box:
        outcome = box.run(sql)
        assert outcome.rows is None and outcome.error
        assert box.run("SELECT COUNT(*) FROM customers").rows == [(60,)]
    assert digest(db) == before
    assert not (tmp_path / "evil.db").exists()


def test_endless_recursive_cte_times_out():
    endless = (
        "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) SELECT COUNT(*) FROM c"
    )
    with SqlSandbox(shop_database(), timeout_s=0.3) as box:
        outcome = box.run(endless)
        assert outcome.rows is None and outcome.error == "timed out"
        assert box.run("SELECT COUNT(*) FROM regions").rows == [(5,)]


def test_a_huge_result_is_cut_off():
    with SqlSandbox(shop_database(), max_rows=100) as box:
        outcome = box.run("SELECT * FROM order_items a, order_items b")
        assert outcome.rows is None and "more than 100 rows" in outcome.error


def test_sandbox_from_a_script_and_cleanup():
    box = SqlSandbox(script="CREATE TABLE t (x INT); INSERT INTO t VALUES (1), (2);")
    assert box.run("SELECT SUM(x) FROM t").rows == [(3,)]
    box.close()
    assert not box._dir.exists()


def test_execution_accuracy_equivalent_wrong_and_destructive():
    task = load_task("text-to-sql")
    samples = {s.id: s for s in task.samples()}
    chosen = [samples["sql-002"], samples["sql-003"], samples["sql-017"], samples["sql-007"]]
    preds = {
        # Same rows, written differently (alias, IN, fenced, trailing semicolon).
        "sql-002": "```sql\nSELECT c.name FROM customers AS c WHERE c.city IN ('Aberby');\n```",
        "sql-003": "SELECT name FROM products WHERE stock < 1",
        "sql-017": "SELECT name FROM products WHERE category_id = "
        "(SELECT id FROM categories WHERE name = 'Toys')",
        "sql-007": "DROP TABLE orders",
    }
    before = digest(shop_database())
    result = task.score(chosen, preds)
    scores = [r["scores"]["execution_accuracy"] for r in result.per_sample]
    assert scores == [1.0, 1.0, 1.0, 0.0]
    assert digest(shop_database()) == before
    assert result.metrics["ves"].value > 0


def test_ordered_gold_needs_the_same_order():
    task = load_task("text-to-sql")
    sample = next(s for s in task.samples() if s.id == "sql-006")  # regions in alphabetical order
    wrong_order = "SELECT name FROM regions ORDER BY name DESC"
    assert task.score([sample], {sample.id: wrong_order}).metrics["execution_accuracy"].value == 0
    any_order = task.score([sample], {sample.id: sample.reference})
    assert any_order.metrics["execution_accuracy"].value == 1


def _norm(text: str) -> str:
    return " ".join(text.lower().rstrip(";").split())


def test_training_pairs_never_emit_an_evaluation_question():
    task = load_task("text-to-sql")
    rows = task.rows()
    questions = {_norm(r["question"]) for r in rows}
    queries = {_norm(r["query"]) for r in rows}
    pairs = generate_pairs(2000, seed=1, exclude=rows)
    assert not {_norm(p["question"]) for p in pairs} & questions
    assert not {_norm(p["query"]) for p in pairs} & queries
    prompts = task.training_pairs(50, seed=0)
    assert len(prompts) == 50
    eval_prompts = {s.prompt for s in task.samples()}
    assert not {p for p, _ in prompts} & eval_prompts
    template_head = task.samples(limit=1)[0].prompt.split("Question:")[0]
    assert all(p.startswith(template_head) for p, _ in prompts)
    assert task.training_pairs(5, seed=3) == task.training_pairs(5, seed=3)
    assert task.training_pairs(5, seed=3) != task.training_pairs(5, seed=4)


def test_generated_training_sql_runs():
    with SqlSandbox(shop_database()) as box:
        for pair in generate_pairs(60, seed=2):
            assert box.run(pair["query"]).error is None, pair
