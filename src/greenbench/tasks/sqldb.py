"""The text-to-sql task's SQLite database ("shop"), built at first use into the cache directory.

The schema is ``data/shop_schema.sql``; rows come from :func:`_rows` with a fixed seed, so every
machine builds the same database (5 regions, 60 customers, 6 categories, 36 products,
150 orders, ~370 order items). The file is named by a hash of the schema and builder version
and rebuilt when either changes. Cache directory: ``$GREENBENCH_CACHE_DIR`` or the platform's
user cache dir (``platformdirs``), under ``tasks/``.
"""

from __future__ import annotations

import hashlib
import os
import random
import sqlite3
from datetime import date, timedelta
from functools import lru_cache
from pathlib import Path

import platformdirs

DATA_DIR = Path(__file__).parent / "data"
SCHEMA = DATA_DIR / "shop_schema.sql"
#: Bump when _rows changes so cached databases are rebuilt.
BUILDER_VERSION = 1
SEED = 2024

REGIONS = ["North", "South", "East", "West", "Central"]
CITIES = {
    "North": ["Aberby", "Nordham", "Frostwick"],
    "South": ["Sunmere", "Palmcourt", "Lowbridge"],
    "East": ["Eastwold", "Dawnport", "Ridgefield"],
    "West": ["Westhollow", "Cliffton", "Bayreach"],
    "Central": ["Midvale", "Corestead", "Hubton"],
}
FIRST = "Ada Ben Cleo Dan Eva Finn Gina Hugo Iris Jon Kira Leo Mia Nils Olga Pia Quin Rosa Sam Tia"
LAST = ["Fox", "Reed", "Hale", "Moss", "Vale", "Park", "Lund"]
CATALOG = {
    "Books": ["Atlas", "Cookbook", "Novel", "Poetry Collection", "Field Guide", "Comic"],
    "Garden": ["Trowel", "Seed Pack", "Watering Can", "Hose", "Planter", "Rake"],
    "Kitchen": ["Kettle", "Frying Pan", "Teapot", "Knife Set", "Blender", "Mug"],
    "Toys": ["Puzzle", "Kite", "Yo-yo", "Board Game", "Teddy Bear", "Marbles"],
    "Sports": ["Football", "Tennis Racket", "Yoga Mat", "Skipping Rope", "Helmet", "Water Bottle"],
    "Electronics": ["Headphones", "Charger", "Speaker", "Desk Lamp", "Keyboard", "Mouse"],
}
STATUSES = ["shipped"] * 7 + ["pending"] * 2 + ["cancelled"]


def _rows(rng: random.Random) -> dict[str, list[tuple]]:
    rows: dict[str, list[tuple]] = {}
    rows["regions"] = [(i + 1, name) for i, name in enumerate(REGIONS)]
    firsts, customers = FIRST.split(), []
    for cid in range(1, 61):
        region = rng.randrange(len(REGIONS))
        last = LAST[(cid - 1) // len(firsts) * 2 + region % 2]
        name = f"{firsts[(cid - 1) % len(firsts)]} {last}"
        city = rng.choice(CITIES[REGIONS[region]])
        customers.append(
            (cid, name, city, region + 1, rng.randint(2015, 2024), int(rng.random() < 0.4))
        )
    rows["customers"] = customers
    rows["categories"] = [(i + 1, name) for i, name in enumerate(CATALOG)]
    products, pid = [], 0
    for cat_id, (_, names) in enumerate(CATALOG.items(), start=1):
        for name in names:
            pid += 1
            price = round(rng.uniform(3, 120), 2)
            products.append((pid, name, cat_id, price, rng.randint(0, 80)))
    rows["products"] = products
    orders, items, item_id = [], [], 0
    start = date(2023, 1, 1)
    for oid in range(1, 151):
        day = start + timedelta(days=rng.randrange(730))
        orders.append((oid, rng.randint(1, 60), day.isoformat(), rng.choice(STATUSES)))
        for product in rng.sample(products, rng.randint(1, 4)):
            item_id += 1
            items.append((item_id, oid, product[0], rng.randint(1, 5), product[3]))
    rows["orders"], rows["order_items"] = orders, items
    return rows


def build(path: Path) -> Path:
    """Create the database at ``path`` (schema + seeded rows); returns ``path``."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(f".tmp{os.getpid()}")
    tmp.unlink(missing_ok=True)
    with sqlite3.connect(tmp) as conn:
        conn.executescript(SCHEMA.read_text())
        for table, rows in _rows(random.Random(SEED)).items():
            marks = ",".join("?" * len(rows[0]))
            conn.executemany(f"INSERT INTO {table} VALUES ({marks})", rows)
    conn.close()
    tmp.replace(path)  # atomic: concurrent first uses never see a half-built file
    return path


def cache_dir() -> Path:
    """greenbench's cache directory for task data (created on demand)."""
    root = os.environ.get("GREENBENCH_CACHE_DIR") or platformdirs.user_cache_dir("greenbench")
    return Path(root) / "tasks"


def shop_database() -> Path:
    """Path of the built shop database, building it on first use."""
    digest = hashlib.sha256(SCHEMA.read_bytes() + str(BUILDER_VERSION).encode()).hexdigest()[:12]
    path = cache_dir() / f"shop-{digest}.sqlite"
    return path if path.exists() else build(path)


@lru_cache(maxsize=1)
def schema_text() -> str:
    """The CREATE TABLE statements, one line per table, comments and NOT NULL dropped (what a
    prompt shows the model: compact, so prompts stay short). Read once per process: every
    sample's prompt shows it."""
    lines = [ln for ln in SCHEMA.read_text().splitlines() if not ln.startswith("--")]
    statements = " ".join(" ".join(lines).replace(" NOT NULL", "").split()).split(";")
    return "\n".join(
        s.strip().replace("( ", "(").replace(" )", ")") + ";" for s in statements if s.strip()
    )
