"""Lines every view prints beside a task's energy figures: the energy basis they rest on, and
what the meter left out (a job's ``energy_gaps``, e.g. a GPU that was used but not measured).

The terminal and Markdown leaderboards print them under the table (via
:func:`greenbench.report.terminal.provenance_notes`), the HTML report beside each row, and
``recommend`` among its reasons.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from greenbench.records import JobRecord
from greenbench.records.values import basis_label, job_label

if TYPE_CHECKING:
    from greenbench.report.tables import Leaderboard

#: Marks a line saying what a job's energy leaves out.
GAP_MARK = "⚠"


def basis_note(records: Iterable[JobRecord]) -> str:
    """``"energy and emissions: net of idle"`` (or gross, or a mixed-bases warning)."""
    return f"energy and emissions: {basis_label(r.energy_basis for r in records)}"


def gap_lines(record: JobRecord) -> list[str]:
    """``"⚠ model · variant: GPU energy not measured: …"`` per gap of ``record``."""
    return [f"{GAP_MARK} {job_label(record)}: {gap}" for gap in record.energy_gaps or []]


def energy_notes(board: Leaderboard) -> list[str]:
    """The basis of the board's figures (when it has rows) and every gap of its jobs."""
    notes = [basis_note(row.record for row in board.rows)] if board.rows else []
    for record in [*(row.record for row in board.rows), *board.failed]:
        notes.extend(gap_lines(record))
    return notes
