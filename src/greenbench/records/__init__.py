"""The job record: its typed, versioned schema and migrations, the facts read off one record,
and the figures computed per record (at commit) and per task (from a set of records).

- :mod:`.schema` — :class:`JobRecord` and its parts (pydantic), :data:`SCHEMA_VERSION`
- :mod:`.migrate` — :func:`load_record`: stored JSON of any version -> a validated record
- :mod:`.values` — primary quality, inference energy, labels (which metrics count correct
  answers: :func:`greenbench.metrics.catalogue.counts_correct`)
- :mod:`.per_record` — per-query figures and CEGI, attached when a job is committed
- :mod:`.per_task` — ``task_figures``: Pareto frontiers and GQI of each task

Only the schema and its loading are imported here: the store needs them, and the index modules
import numpy (through ``greenbench.metrics.efficiency``), which ``greenbench measure`` should not
pay for.
"""

from greenbench.records.migrate import load_record, load_records
from greenbench.records.schema import SCHEMA_VERSION, JobRecord

__all__ = ["SCHEMA_VERSION", "JobRecord", "load_record", "load_records"]
