"""Training pairs for text-to-sql fine-tuning, generated from templates over the shop database.

The templates are phrased differently from the evaluation questions, and every generated pair
whose question or SQL (whitespace- and case-normalised) equals an evaluation item's is dropped,
so fine-tuning never sees an evaluation question.
"""

from __future__ import annotations

import random
import sqlite3
from typing import Any

from greenbench.tasks.sqldb import shop_database

#: (question template, SQL template, parameter kind). Parameters are filled from the database.
TEMPLATES: list[tuple[str, str, str]] = [
    (
        "List the names of customers who live in {city}.",
        "SELECT name FROM customers WHERE city = '{city}'",
        "city",
    ),
    (
        "How many customers live in {city}?",
        "SELECT COUNT(*) FROM customers WHERE city = '{city}'",
        "city",
    ),
    (
        "How many products belong to the {category} category?",
        "SELECT COUNT(*) FROM products p JOIN categories c ON p.category_id = c.id "
        "WHERE c.name = '{category}'",
        "category",
    ),
    (
        "What does the {product} cost?",
        "SELECT price FROM products WHERE name = '{product}'",
        "product",
    ),
    (
        "How many units of {product} are in stock?",
        "SELECT stock FROM products WHERE name = '{product}'",
        "product",
    ),
    (
        "How many orders have the status {status}?",
        "SELECT COUNT(*) FROM orders WHERE status = '{status}'",
        "status",
    ),
    (
        "Give the names of customers who joined in the year {year}.",
        "SELECT name FROM customers WHERE joined_year = {year}",
        "year",
    ),
    (
        "How many customers belong to the {region} region?",
        "SELECT COUNT(*) FROM customers c JOIN regions r ON c.region_id = r.id "
        "WHERE r.name = '{region}'",
        "region",
    ),
    (
        "What is the mean price of the {category} products?",
        "SELECT AVG(p.price) FROM products p JOIN categories c ON p.category_id = c.id "
        "WHERE c.name = '{category}'",
        "category",
    ),
    (
        "Name the products with a stock below {number}.",
        "SELECT name FROM products WHERE stock < {number}",
        "number",
    ),
    (
        "How many orders has {customer} placed?",
        "SELECT COUNT(*) FROM orders o JOIN customers c ON o.customer_id = c.id "
        "WHERE c.name = '{customer}'",
        "customer",
    ),
    (
        "How many units of {product} have been ordered altogether?",
        "SELECT SUM(i.quantity) FROM order_items i JOIN products p ON i.product_id = p.id "
        "WHERE p.name = '{product}'",
        "product",
    ),
    (
        "Give the ids of the orders placed in month {month}.",
        "SELECT id FROM orders WHERE order_date LIKE '{month}%'",
        "month",
    ),
    (
        "Name the products priced above {number} dollars.",
        "SELECT name FROM products WHERE price > {number}",
        "number",
    ),
    (
        "In which city does {customer} live?",
        "SELECT city FROM customers WHERE name = '{customer}'",
        "customer",
    ),
    (
        "What is the total value of order {order}?",
        "SELECT SUM(quantity * unit_price) FROM order_items WHERE order_id = {order}",
        "order",
    ),
]


def _parameters(conn: sqlite3.Connection) -> dict[str, list[Any]]:
    def column(sql: str) -> list[Any]:
        return [r[0] for r in conn.execute(sql)]

    return {
        "city": column("SELECT DISTINCT city FROM customers ORDER BY city"),
        "category": column("SELECT name FROM categories ORDER BY id"),
        "product": column("SELECT name FROM products ORDER BY id"),
        "status": ["shipped", "pending", "cancelled"],
        "year": list(range(2015, 2025)),
        "region": column("SELECT name FROM regions ORDER BY id"),
        "number": [5, 10, 15, 25, 30, 40, 50, 60, 75, 90, 100],
        "customer": column("SELECT name FROM customers ORDER BY id"),
        "month": column("SELECT DISTINCT substr(order_date, 1, 7) FROM orders ORDER BY 1"),
        "order": column("SELECT id FROM orders ORDER BY id"),
    }


def _norm(text: str) -> str:
    return " ".join(str(text).lower().rstrip(";").split())


def all_pairs() -> list[dict[str, str]]:
    """Every (question, query) the templates can make, in a fixed order."""
    conn = sqlite3.connect(f"file:{shop_database()}?mode=ro", uri=True)
    try:
        params = _parameters(conn)
    finally:
        conn.close()
    return [
        {"question": q.format(**{kind: value}), "query": s.format(**{kind: value})}
        for q, s, kind in TEMPLATES
        for value in params[kind]
    ]


def generate_pairs(
    n: int, seed: int = 0, exclude: list[dict[str, Any]] | None = None
) -> list[dict[str, str]]:
    """``n`` rows (``question``, ``query``) drawn with ``random.Random(seed)``, none equal in
    question or SQL to a row of ``exclude`` (the evaluation rows). Rows repeat only when ``n``
    exceeds the number of distinct pairs."""
    banned = {_norm(r.get("question", "")) for r in exclude or []}
    banned |= {_norm(r.get("query", "")) for r in exclude or []}
    pool = [p for p in all_pairs() if _norm(p["question"]) not in banned]
    pool = [p for p in pool if _norm(p["query"]) not in banned]
    rng = random.Random(seed)
    rng.shuffle(pool)
    return [pool[i % len(pool)] for i in range(n)]
