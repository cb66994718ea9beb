"""Local stand-ins for the built-in tasks' hub dataset repos, for ``GREENBENCH_HUB_MIRROR``.

Each repo is written in the layout, file format, column names, types, nesting, splits and
config names of the real one (as its dataset card describes it; see each task YAML's comment),
with a handful of rows written for these tests (no dataset text is copied). ``datasets`` then
loads them through the same ``load_dataset`` call, README configs, features (ClassLabel, Image)
and streaming the hub would.
"""

from __future__ import annotations

import csv
import io
import json
import re
import sqlite3
from pathlib import Path

import datasets
from PIL import Image

V = datasets.Value


def _readme(root: Path, configs: list[tuple[str, dict[str, str]]]) -> None:
    """A dataset card whose YAML names each config's split -> file pattern."""
    lines = ["---", "configs:"]
    for name, splits in configs:
        lines += [f"- config_name: {name}", "  data_files:"]
        for split, pattern in splits.items():
            lines += [f"  - split: {split}", f"    path: {pattern}"]
    root.mkdir(parents=True, exist_ok=True)
    (root / "README.md").write_text("\n".join([*lines, "---", ""]), encoding="utf-8")


def _parquet(path: Path, rows: list[dict], features: datasets.Features) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    datasets.Dataset.from_list(rows, features=features).to_parquet(str(path))


def _png(color: str) -> dict:
    buffer = io.BytesIO()
    Image.new("RGB", (8, 6), color).save(buffer, format="PNG")
    return {"bytes": buffer.getvalue(), "path": None}


def vqav2(root: Path) -> None:
    answer = datasets.Features(
        {"answer": V("string"), "answer_confidence": V("string"), "answer_id": V("int64")}
    )
    features = datasets.Features(
        {
            "question_type": V("string"),
            "multiple_choice_answer": V("string"),
            "answers": [answer],
            "image_id": V("int64"),
            "answer_type": V("string"),
            "question_id": V("int64"),
            "question": V("string"),
            "image": datasets.Image(),
        }
    )

    def row(qid: int, question: str, answers: list[str], color: str) -> dict:
        return {
            "question_type": "what color",
            "multiple_choice_answer": answers[0],
            "answers": [
                {"answer": a, "answer_confidence": "yes", "answer_id": i + 1}
                for i, a in enumerate(answers)
            ],
            "image_id": qid // 10,
            "answer_type": "other",
            "question_id": qid,
            "question": question,
            "image": _png(color),
        }

    rows = [
        row(4510, "What color is the square?", ["red"] * 9 + ["dark red"], "red"),
        row(4520, "What color is the wall?", ["blue"] * 6 + ["navy"] * 4, "blue"),
    ]
    _readme(root, [("default", {"validation": "data/validation-*"})])
    _parquet(root / "data/validation-00000-of-00001.parquet", rows, features)


PY3_FUNCTION = '''def area(width, height):
    """Return the area of a rectangle. Both sides are in metres.

    Negative sides raise ValueError.
    """
    if width < 0 or height < 0:
        raise ValueError("negative side")
    return width * height
'''
PY2_FUNCTION = '''def shout(word):
    """Print a word in capitals."""
    print word.upper()
'''


def code_x_glue(root: Path) -> None:
    string = V("string")
    features = datasets.Features(
        {
            "id": V("int32"),
            "repo": string,
            "path": string,
            "func_name": string,
            "original_string": string,
            "language": string,
            "code": string,
            "code_tokens": datasets.Sequence(string),
            "docstring": string,
            "docstring_tokens": datasets.Sequence(string),
            "sha": string,
            "url": string,
        }
    )

    def row(i: int, name: str, code: str, tokens: list[str], doc: str) -> dict:
        return {
            "id": i,
            "repo": "example/geometry",
            "path": "geometry/shapes.py",
            "func_name": name,
            "original_string": code,
            "language": "python",
            "code": code,
            "code_tokens": tokens,
            "docstring": doc,
            "docstring_tokens": doc.split("\n")[0].split(),
            "sha": "0" * 40,
            "url": f"https://example.invalid/geometry/shapes.py#L{i}",
        }

    rows = [
        row(
            0,
            "area",
            PY3_FUNCTION,
            [
                "def",
                "area",
                "(",
                "width",
                ",",
                "height",
                ")",
                ":",
                "if",
                "width",
                "<",
                "0",
                "or",
                "height",
                "<",
                "0",
                ":",
                "raise",
            ],
            "Return the area of a rectangle. Both sides are in metres.\n\n"
            "Negative sides raise ValueError.",
        ),
        row(
            1,
            "shout",
            PY2_FUNCTION,
            ["def", "shout", "(", "word", ")", ":", "print", "word", ".", "upper", "(", ")"],
            "Print a word in capitals.",
        ),
    ]
    _readme(root, [("python", {"test": "python/test-*", "train": "python/train-*"})])
    _parquet(root / "python/test-00000-of-00001.parquet", rows, features)
    _parquet(root / "python/train-00000-of-00001.parquet", rows[:1], features)


def spider(root: Path) -> None:
    db_dir = root / "database" / "concert_hall"
    db_dir.mkdir(parents=True, exist_ok=True)
    schema = (
        "CREATE TABLE singer (singer_id INTEGER PRIMARY KEY, name TEXT, country TEXT, age INT);\n"
        "CREATE TABLE concert (concert_id INTEGER PRIMARY KEY, title TEXT, year INT,"
        " singer_id INT REFERENCES singer (singer_id));\n"
    )
    (db_dir / "schema.sql").write_text(schema, encoding="utf-8")
    conn = sqlite3.connect(db_dir / "concert_hall.sqlite")
    conn.executescript(
        schema + "INSERT INTO singer VALUES (1, 'Ana', 'Chile', 31), (2, 'Bo', 'Sweden', 45),"
        " (3, 'Cy', 'Chile', 27);\n"
        "INSERT INTO concert VALUES (1, 'Spring Night', 2019, 1), (2, 'Autumn', 2020, 2),"
        " (3, 'Winter Lights', 2020, 1);\n"
    )
    conn.commit()
    conn.close()

    def question(text: str, query: str, sql: dict) -> dict:
        """A row in Spider's dev.json schema: tokens as Spider writes them (values in the
        no-value tokens replaced by ``value``) and ``sql`` parsed as Spider's process_sql does."""
        tokens = re.findall(r"'[^']*'|\w+|[^\w\s]", query)
        return {
            "db_id": "concert_hall",
            "query": query,
            "query_toks": tokens,
            "query_toks_no_value": [
                "value" if t.startswith("'") or t.isdigit() else t.lower() for t in tokens
            ],
            "question": text,
            "question_toks": re.findall(r"\w+|[^\w\s]", text),
            "sql": sql,
        }

    # Spider's parsed SQL: a column is (agg_id, col_id, distinct) with col_id indexing the
    # database's columns (0 "*", 1-4 singer's, 5-8 concert's); a value unit is (op, col, col);
    # a condition (not, op_id, value unit, value, value) whose value is a float, a quoted
    # string or a nested query.
    def col(col_id: int, agg: int = 0) -> list:
        return [0, [agg, col_id, False], None]

    def parsed(table: int, select: list, where: list, order_by: list, limit=None) -> dict:
        return {
            "except": None,
            "from": {"conds": [], "table_units": [["table_unit", table]]},
            "groupBy": [],
            "having": [],
            "intersect": None,
            "limit": limit,
            "orderBy": order_by,
            "select": [False, select],
            "union": None,
            "where": where,
        }

    average_age = parsed(0, [[5, col(4)]], [], [])
    dev = [
        question(
            "How many singers are from Chile?",
            "SELECT count(*) FROM singer WHERE country = 'Chile'",
            parsed(0, [[3, col(0)]], [[False, 2, col(3), '"Chile"', None]], []),
        ),
        question(
            "List the titles of concerts held in 2020, sorted by title.",
            "SELECT title FROM concert WHERE year = 2020 ORDER BY title",
            parsed(1, [[0, col(6)]], [[False, 2, col(7), 2020.0, None]], ["asc", [col(6)]]),
        ),
        question(
            "Which singers are older than the average singer?",
            "SELECT name FROM singer WHERE age > (SELECT avg(age) FROM singer)",
            parsed(0, [[0, col(2)]], [[False, 3, col(4), average_age, None]], []),
        ),
    ]
    (root / "validation.json").write_text(json.dumps(dev, indent=1), encoding="utf-8")
    oldest = question(
        "Who is the oldest singer?",
        "SELECT name FROM singer ORDER BY age DESC LIMIT 1",
        parsed(0, [[0, col(2)]], [], ["desc", [col(4)]], limit=1),
    )
    (root / "train.json").write_text(json.dumps([oldest], indent=1), encoding="utf-8")


def gretel(root: Path) -> None:
    columns = [
        "id",
        "domain",
        "domain_description",
        "sql_complexity",
        "sql_complexity_description",
        "sql_task_type",
        "sql_task_type_description",
        "sql_prompt",
        "sql_context",
        "sql",
        "sql_explanation",
    ]
    features = datasets.Features({c: V("int32") if c == "id" else V("string") for c in columns})
    context = (
        "CREATE TABLE trips (id INT, city VARCHAR(20), riders INT, day DATE); "
        "INSERT INTO trips VALUES (1, 'Lyon', 30, '2024-01-02'), (2, 'Oslo', 12, '2024-02-03'),"
        " (3, 'Lyon', 5, '2023-03-04');"
    )

    def row(i: int, task_type: str, prompt: str, sql: str, ctx: str = context) -> dict:
        return {
            "id": i,
            "domain": "transport",
            "domain_description": "city transport",
            "sql_complexity": "basic SQL",
            "sql_complexity_description": "basic SQL",
            "sql_task_type": task_type,
            "sql_task_type_description": task_type,
            "sql_prompt": prompt,
            "sql_context": ctx,
            "sql": sql,
            "sql_explanation": "written for greenbench's tests",
        }

    rows = [
        row(
            1,
            "analytics and reporting",
            "Total riders in Lyon?",
            "SELECT SUM(riders) FROM trips WHERE city = 'Lyon';",
        ),
        row(
            2,
            "data manipulation",
            "Remove the Oslo trips.",
            "DELETE FROM trips WHERE city = 'Oslo';",
        ),
        row(
            3, "data definition", "Add a table of stops.", "CREATE TABLE stops (id INT, name TEXT);"
        ),
        row(
            4,
            "analytics and reporting",
            "Cities with trips in 2024?",
            "SELECT DISTINCT `city` FROM trips WHERE day >= '2024-01-01' ORDER BY `city`;",
        ),
        row(
            5,
            "analytics and reporting",
            "Riders on the missing table?",
            "SELECT riders FROM buses;",
        ),
        row(
            6,
            "analytics and reporting",
            "Trips per year?",
            "SELECT YEAR(day), COUNT(*) FROM trips GROUP BY YEAR(day);",
        ),
    ]
    _parquet(root / "synthetic_text_to_sql_test.snappy.parquet", rows, features)
    _parquet(root / "synthetic_text_to_sql_train.snappy.parquet", rows[:1], features)


def writingprompts(root: Path) -> None:
    features = datasets.Features({"prompt": V("string"), "story": V("string")})
    story = (
        "The lighthouse keeper counted ships. None came. <newline> <newline> She lit the lamp "
        "anyway! Was anyone watching? A gull was. The sea kept its secrets."
    )
    rows = [
        {
            "prompt": "[ WP ] A lighthouse keeper waits for a ship that never comes .",
            "story": story,
        },
        {
            "prompt": "[WP] [ EU ] The moon files a complaint .",
            "story": "It was polite. Firm, too.",
        },
    ]
    _readme(
        root,
        [
            (
                "default",
                {"train": "data/train-*", "validation": "data/validation-*", "test": "data/test-*"},
            )
        ],
    )
    _parquet(root / "data/test-00000-of-00001-16503b0c26ed00c6.parquet", rows, features)
    _parquet(root / "data/train-00000-of-00002-105e07cb0d199464.parquet", rows[:1], features)
    _parquet(root / "data/validation-00000-of-00001-137b93e1e979d138.parquet", rows[:1], features)


def coco_caption(root: Path) -> None:
    string = V("string")
    features = datasets.Features(
        {
            "question_id": string,
            "image": datasets.Image(),
            "question": string,
            "answer": datasets.Sequence(string),
            "id": V("int64"),
            "license": V("int8"),
            "file_name": string,
            "coco_url": string,
            "height": V("int32"),
            "width": V("int32"),
            "date_captured": string,
        }
    )
    rows = [
        {
            "question_id": f"{n:012d}.jpg",
            "image": _png(color),
            "question": "Provide a one-sentence caption for the provided image.",
            "answer": [f"A {color} square on its own.", f"A plain {color} picture."],
            "id": n,
            "license": 1,
            "file_name": f"{n:012d}.jpg",
            "coco_url": f"https://example.invalid/{n:012d}.jpg",
            "height": 6,
            "width": 8,
            "date_captured": "2013-11-14 16:28:13",
        }
        for n, color in [(139, "green"), (285, "yellow")]
    ]
    _readme(root, [("default", {"val": "data/val-*", "test": "data/test-*"})])
    _parquet(root / "data/val-00000-of-00002.parquet", rows, features)
    _parquet(root / "data/test-00000-of-00014.parquet", [{**rows[0], "answer": []}], features)


def gsm8k(root: Path) -> None:
    features = datasets.Features({"question": V("string"), "answer": V("string")})
    rows = [
        {
            "question": f"Ada has {i} apples and buys 2 more. How many now?",
            "answer": f"{i} + 2 = <<{i}+2={i + 2}>>{i + 2}\n#### {i + 2}",
        }
        for i in range(6)
    ]
    _readme(
        root,
        [
            ("main", {"train": "main/train-*", "test": "main/test-*"}),
            ("socratic", {"train": "socratic/train-*", "test": "socratic/test-*"}),
        ],
    )
    _parquet(root / "main/test-00000-of-00001.parquet", rows, features)
    _parquet(root / "main/train-00000-of-00001.parquet", rows[:1], features)
    _parquet(root / "socratic/test-00000-of-00001.parquet", rows[:1], features)
    _parquet(root / "socratic/train-00000-of-00001.parquet", rows[:1], features)


def snli(root: Path) -> None:
    features = datasets.Features(
        {
            "premise": V("string"),
            "hypothesis": V("string"),
            "label": datasets.ClassLabel(names=["entailment", "neutral", "contradiction"]),
        }
    )
    test = [
        {"premise": "A dog naps in the sun.", "hypothesis": "A dog rests.", "label": 0},
        {"premise": "A dog naps in the sun.", "hypothesis": "A cat sings.", "label": -1},
        {"premise": "A dog naps in the sun.", "hypothesis": "A dog runs a race.", "label": 2},
    ]
    train = [{"premise": "Train row.", "hypothesis": "Never in the test split.", "label": 1}]
    splits = {s: f"plain_text/{s}-*" for s in ("test", "validation", "train")}
    _readme(root, [("plain_text", splits)])
    _parquet(root / "plain_text/test-00000-of-00001.parquet", test, features)
    _parquet(root / "plain_text/validation-00000-of-00001.parquet", train, features)
    _parquet(root / "plain_text/train-00000-of-00001.parquet", train, features)


def yelp_polarity(root: Path) -> None:
    features = datasets.Features(
        {"text": V("string"), "label": datasets.ClassLabel(names=["1", "2"])}
    )
    rows = [
        {"text": "Cold soup and a long wait.", "label": 0},
        {"text": "Friendly staff, great bread.", "label": 1},
    ]
    _readme(root, [("plain_text", {"train": "plain_text/train-*", "test": "plain_text/test-*"})])
    _parquet(root / "plain_text/test-00000-of-00001.parquet", rows, features)
    _parquet(root / "plain_text/train-00000-of-00001.parquet", rows[:1], features)


def samsum(root: Path) -> None:
    root.mkdir(parents=True, exist_ok=True)
    rows = [
        {
            "id": "13818513",
            "dialogue": "Ann: Lunch at noon?\r\nBen: Yes, see you there.",
            "summary": "Ann and Ben will have lunch at noon.",
        },
        {
            "id": "13728867",
            "dialogue": "Cat: I lost my keys.\r\nDan: Check the car.",
            "summary": "Dan suggests Cat looks for her keys in the car.",
        },
    ]
    for split in ("train", "validation", "test"):
        with (root / f"{split}.csv").open("w", newline="", encoding="utf-8") as fh:
            writer = csv.DictWriter(fh, fieldnames=["id", "dialogue", "summary"])
            writer.writeheader()
            writer.writerows(rows if split == "test" else rows[:1])


#: repo id -> builder, for every built-in hub source except the gated ImageNet.
REPOS = {
    "lmms-lab/VQAv2": vqav2,
    "google/code_x_glue_ct_code_to_text": code_x_glue,
    "premai-io/spider": spider,
    "gretelai/synthetic_text_to_sql": gretel,
    "euclaise/writingprompts": writingprompts,
    "lmms-lab/COCO-Caption2017": coco_caption,
    "openai/gsm8k": gsm8k,
    "stanfordnlp/snli": snli,
    "fancyzhx/yelp_polarity": yelp_polarity,
    "knkarthick/samsum": samsum,
}


def build(root: Path) -> Path:
    """Write every repo under ``root/owner/name``; returns ``root``."""
    for repo, builder in REPOS.items():
        builder(root / repo)
    return root
