"""docs/records.md and the record schema agree: every field of the schema is documented, and the
documented example names no field the schema does not know."""

from __future__ import annotations

import json
import re
from pathlib import Path

from pydantic import BaseModel

from greenbench.records import SCHEMA_VERSION, JobRecord
from greenbench.records.per_task import TASK_FIELDS

DOC = Path(__file__).resolve().parents[2] / "docs" / "records.md"
#: The placeholder key of the example's elided parts.
ELIDED = "..."


def _doc() -> str:
    return DOC.read_text(encoding="utf-8")


def _example() -> dict:
    return json.loads(re.search(r"```json\n(.*?)\n```", _doc(), re.S).group(1))


def _extras(model: BaseModel, where: str) -> list[str]:
    """Keys of ``model`` and its typed parts that the schema does not name."""
    found = [f"{where}.{k}" for k in (model.model_extra or {}) if k != ELIDED]
    for name in type(model).model_fields:
        value = getattr(model, name)
        values = value.values() if isinstance(value, dict) else [value]
        found += [
            e for v in values if isinstance(v, BaseModel) for e in _extras(v, f"{where}.{name}")
        ]
    return found


def _undocumented(doc: str) -> dict[str, list[str]]:
    """Schema part (``record`` or a model name) -> its fields not named in ``doc``, in
    backticks or as a key of the example."""
    schema = JobRecord.model_json_schema(by_alias=True)
    fields = {"record": set(schema["properties"]) | set(TASK_FIELDS)}
    fields |= {name: set(d["properties"]) for name, d in schema["$defs"].items()}
    named = set(re.findall(r"`([a-z_0-9]+)`", doc)) | set(re.findall(r'"([a-z_0-9]+)":', doc))
    missing = {part: sorted(names - named) for part, names in fields.items()}
    return {part: names for part, names in missing.items() if names}


def test_every_schema_field_is_documented():
    assert _undocumented(_doc()) == {}


def test_a_field_missing_from_the_doc_is_found():
    assert _undocumented(_doc().replace("cegi_note", "")) == {"record": ["cegi_note"]}
    assert _undocumented(_doc().replace("loss_first", "")) == {"FinetuneResult": ["loss_first"]}


def test_the_example_is_a_valid_record_naming_only_schema_fields():
    example = _example()
    assert set(TASK_FIELDS) <= set(example)  # the example is a results.json entry
    record = JobRecord.model_validate({k: v for k, v in example.items() if k not in TASK_FIELDS})
    assert _extras(record, "record") == []
    assert record.schema_version == SCHEMA_VERSION
    example["model"]["surprise"] = 1
    assert _extras(JobRecord.model_validate(example), "record") == [
        *(f"record.{k}" for k in TASK_FIELDS),
        "record.model.surprise",
    ]
