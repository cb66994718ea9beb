"""The self-contained HTML report: one file, plotly's JavaScript inlined, nothing fetched.

Everything taken from a record (model names, prompts, predictions, references, errors) is
untrusted. The template is rendered by Jinja2 with autoescape on; figure data reaches the page
only as JSON inside ``<script type="application/json">`` with ``<``, ``>``, ``&`` and the
JavaScript line separators escaped, and is read back with ``JSON.parse`` — never as code.
"""

from __future__ import annotations

import base64
import datetime as dt
import functools
import hashlib
import json
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import jinja2
import plotly.graph_objects as go
import plotly.offline
from markupsafe import Markup

from greenbench import __version__
from greenbench.errors import GreenbenchError
from greenbench.metrics.efficiency import DEFAULT_UNIT
from greenbench.records import JobRecord, load_records
from greenbench.records.values import job_label
from greenbench.report import formatting as fmt
from greenbench.report import plots, studies_export
from greenbench.report.loading import load_run
from greenbench.report.provenance import combine
from greenbench.report.recommend import NoneBeatsBaseline, Recommendation, recommend
from greenbench.report.studies import study_tables
from greenbench.report.tables import Leaderboard, leaderboards
from greenbench.safe_text import replace_surrogates

#: Characters that could end a ``<script>`` element or a JavaScript string early, as JSON escapes.
_SCRIPT_ESCAPES = {
    "<": "\\u003c",
    ">": "\\u003e",
    "&": "\\u0026",
    "\u2028": "\\u2028",
    "\u2029": "\\u2029",
}


def script_json(data: object) -> Markup:
    """``data`` as JSON that is safe as the text of a ``<script type="application/json">``.

    A string is taken as JSON already (e.g. ``fig.to_json()``); anything else is serialized.
    The escapes are JSON string escapes, so ``JSON.parse`` returns the original values.
    """
    text = data if isinstance(data, str) else json.dumps(data, ensure_ascii=False)
    for char, escape in _SCRIPT_ESCAPES.items():
        text = text.replace(char, escape)
    return Markup(text)


@functools.cache
def _environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("greenbench.report", "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["si"] = fmt.si
    env.filters["num"] = fmt.number
    env.globals["label"] = job_label
    return env


def _asset(name: str) -> Markup:
    """A CSS or JavaScript file of ``templates/`` verbatim (our own code, not record data)."""
    env = _environment()
    return Markup(env.loader.get_source(env, name)[0])


def _csp_hash(source: str) -> str:
    """The Content-Security-Policy source expression allowing exactly this inline script."""
    digest = hashlib.sha256(source.encode("utf-8")).digest()
    return f"'sha256-{base64.b64encode(digest).decode('ascii')}'"


@functools.cache
def _plotly_js() -> tuple[Markup, str]:
    """plotly.js as shipped with the plotly package, and its CSP hash (computed once)."""
    source = plotly.offline.get_plotlyjs()
    return Markup(source), _csp_hash(source)


def _flatten(data: Mapping, prefix: str = "") -> list[tuple[str, str]]:
    """``{"a": {"b": 1}, "c": [1, 2]}`` as ``[("a.b", "1"), ("c", "1, 2")]`` for a table."""
    rows: list[tuple[str, str]] = []
    for key, value in data.items():
        name = f"{prefix}{key}"
        if isinstance(value, Mapping):
            rows.extend(_flatten(value, f"{name}."))
        elif isinstance(value, (list, tuple)):
            items = [v if isinstance(v, str) else json.dumps(v, sort_keys=True) for v in value]
            rows.append((name, ", ".join(items) if items else "none"))
        else:
            rows.append((name, fmt.DASH if value is None else str(value)))
    return rows


def _distinct(values: Iterable[Mapping | None]) -> list[tuple[Mapping, int]]:
    """Distinct non-empty mappings with how many records carry each, first seen first."""
    seen: dict[str, tuple[Mapping, int]] = {}
    for value in values:
        if value:
            key = json.dumps(value, sort_keys=True, default=str)
            mapping, n = seen.get(key, (value, 0))
            seen[key] = (mapping, n + 1)
    return list(seen.values())


def _carbon_view(carbon: Mapping, jobs: int) -> dict:
    if carbon.get("is_default"):
        location = "world average, no location given"
    else:
        location = " / ".join(str(carbon[k]) for k in ("country", "region") if carbon.get(k))
    return {
        "location": location or "none given (intensity set directly)",
        "intensity": carbon.get("intensity_g_per_kwh"),
        "source": carbon.get("source"),
        "year": carbon.get("year"),
        "boundary": carbon.get("boundary"),
        "pue": carbon.get("pue"),
        "is_default": bool(carbon.get("is_default")),
        "jobs": jobs,
    }


def _energy_rows(records: Sequence[JobRecord]) -> list[dict]:
    """One row per job × phase × component: gross and net energy and their provenance."""
    rows = []
    for record in records:
        for phase, data in record.phases.items():
            gross, net, provenance = data.energy_j, data.net_energy_j, data.provenance
            for component in [c for c in gross if c != "total"] + ["total"]:
                prov = (
                    combine(provenance.values())
                    if component == "total"
                    else combine([provenance.get(component)])
                )
                rows.append(
                    {
                        "job_id": record.job_id,
                        "label": job_label(record),
                        "phase": phase,
                        "component": component,
                        "duration_s": data.duration_s,
                        "gross": gross.get(component),
                        "net": net.get(component),
                        "provenance": prov,
                        "repeats": data.repeats,
                        "std": data.total_j_std if component == "total" else None,
                    }
                )
    return rows


def _methods(records: Sequence[JobRecord]) -> list[dict]:
    """Each distinct provenance string with the components and phases it covers and the
    number of jobs using it, measured first."""
    found: dict[str, dict] = {}
    for record in records:
        for phase, data in record.phases.items():
            for component, method in data.provenance.items():
                entry = found.setdefault(
                    str(method),
                    {"prov": combine([method]), "covers": set(), "jobs": set()},
                )
                entry["covers"].add(f"{component} ({phase})")
                entry["jobs"].add(record.job_id)
    rows = [
        {"method": m, "prov": e["prov"], "covers": ", ".join(sorted(e["covers"])),
         "jobs": len(e["jobs"])}
        for m, e in found.items()
    ]  # fmt: skip
    return sorted(rows, key=lambda r: (not r["prov"].measured, r["method"]))


def _sample_view(sample: Mapping) -> dict:
    reference = sample.get("reference")
    if isinstance(reference, (list, tuple)):
        reference = "\n".join(str(r) for r in reference)
    scores = sample.get("scores") or {}
    return {
        "id": sample.get("id"),
        "prompt": "" if sample.get("prompt") is None else str(sample.get("prompt")),
        "prediction": "" if sample.get("prediction") is None else str(sample.get("prediction")),
        "reference": "" if reference is None else str(reference),
        "scores": [
            (k, fmt.number(v) if isinstance(v, (int, float)) else str(v)) for k, v in scores.items()
        ],
        # log-likelihood scoring (issue 14): each choice's summed log-probability and tokens
        "choices": [
            {
                "choice": str(c.get("choice")),
                "logprob": f"{c['logprob']:.3f}" if c.get("logprob") is not None else "n/a",
                "tokens": c.get("tokens"),
                "chosen": c.get("choice") == sample.get("chosen"),
                "chosen_norm": c.get("choice") == sample.get("chosen_norm"),
            }
            for c in sample.get("choice_logprobs") or []
        ],
    }


def _recommendations(records: Sequence[JobRecord], boards: list[Leaderboard]) -> dict:
    """Per task, the default recommendation (quality within the CI of the best, lowest energy
    per query); None where there is nothing to recommend from; why not (a string) where no job
    beats the majority-class baseline."""
    found: dict[str, Recommendation | str | None] = {}
    for board in boards:
        try:
            found[board.task] = recommend(records, board.task)
        except NoneBeatsBaseline as exc:
            found[board.task] = str(exc)
        except GreenbenchError:
            found[board.task] = None
    return found


def _figures(boards: list[Leaderboard]) -> tuple[list[dict], dict[str, list[str]]]:
    """Every figure as ``{id, json}`` and, per task, the ids of its figures in display order."""
    figures: list[dict] = []
    by_task: dict[str, list[str]] = {}
    for board in boards:
        made: list[go.Figure] = []
        if board.rows:
            made += [
                plots.quality_scatter(board, "energy"),
                plots.quality_scatter(board, "emissions"),
            ]
        if board.rows or board.failed:
            made += [plots.energy_by_phase(board), plots.energy_by_component(board)]
        ids = []
        for figure in made:
            fid = f"figure-{len(figures)}"
            figures.append({"id": fid, "json": script_json(figure.to_json())})
            ids.append(fid)
        by_task[board.task] = ids
    return figures, by_task


def _study_view(
    records: Sequence[JobRecord],
    study: str | None,
    config: Mapping | None,
    gqi_unit: str,
    figures: list[dict],
) -> dict | None:
    """The study section's data (its CEGI plot added to ``figures``); None without a study."""
    config = config if isinstance(config, Mapping) else {}
    study = study or config.get("study")
    if not study:
        return None
    basis = config.get("cegi_basis") or "net"
    tables = study_tables(study, records, cegi_basis=basis, gqi_unit=gqi_unit)
    view = studies_export.html_view(tables)
    view["figure"] = None
    if study == "cegi":
        fid = f"figure-{len(figures)}"
        figures.append({"id": fid, "json": script_json(studies_export.cegi_plot(tables).to_json())})
        view["figure"] = fid
    return view


def render_html(
    records: Sequence[JobRecord | Mapping[str, Any]],
    samples_by_job: Mapping[str, Sequence[Mapping]],
    meta: Mapping | None = None,
    hidden: int = 0,
    *,
    gqi_unit: str = DEFAULT_UNIT,
    study: str | None = None,
    outdated: int = 0,
) -> str:
    """The report as one HTML document.

    Args:
        records: job records or their JSON (see ``docs/records.md``), any status.
        samples_by_job: job id -> per-sample logs (``id``, ``prompt``, ``prediction``,
            ``reference``, ``scores``); jobs without samples may be missing.
        meta: sweep-level information of the store (``environment`` and ``carbon``, used when
            the records carry none; ``config``; ``idle``); every key optional.
        hidden: jobs of the store not shown (an earlier config's), named in the summary.
        gqi_unit: the energy unit of every GQI of the report (kWh, the paper's, by default).
        study: the study whose tables get a section (``cegi``, ``slm-vs-llm``,
            ``watt-for-what``); None: the one the sweep's config names, if any.
        outdated: planned jobs not shown, scored under an earlier task definition.

    Returns:
        The document; it loads nothing from the network.
    """
    meta = meta or {}
    records = load_records(records)
    boards = leaderboards(records, gqi_unit=gqi_unit)
    figures, figures_by_task = _figures(boards)
    # Each record says where its job ran; the sweep's metadata is the fallback.
    environments = _distinct([r.environment for r in records]) or _distinct(
        [meta.get("environment")]
    )
    carbons = _distinct(
        [
            r.carbon.model_dump(mode="json", exclude_unset=True) if r.carbon else None
            for r in records
        ]
    ) or _distinct([meta.get("carbon")])
    sweeps = sorted({r.sweep for r in records if r.sweep})
    config = meta.get("config")
    study_view = _study_view(records, study, config, gqi_unit, figures)
    energy_rows = _energy_rows(records)
    plotly_js, plotly_hash = _plotly_js()
    script = _asset("report.js")
    context = {
        "title": "greenbench report" + (f" — {', '.join(sweeps)}" if sweeps else ""),
        "version": __version__,
        "generated_at": dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "boards": boards,
        "figures": figures,
        "figures_by_task": figures_by_task,
        "study": study_view,
        "recommendations": _recommendations(records, boards),
        "n_jobs": len(records),
        "n_hidden": hidden,
        "n_outdated": outdated,
        "n_failed": sum(1 for r in records if not r.ok),
        "failed": [r for r in records if not r.ok],
        "environments": [(_flatten(env), n) for env, n in environments],
        "carbons": [_carbon_view(c, n) for c, n in carbons],
        "idle": _flatten(meta["idle"]) if isinstance(meta.get("idle"), Mapping) else None,
        "energy_rows": energy_rows,
        "methods": _methods(records),
        "any_estimated": any(not row["provenance"].measured for row in energy_rows),
        "jobs": [
            {
                "job_id": r.job_id,
                "label": job_label(r),
                "task": r.task,
                "status": r.status,
                "samples": [_sample_view(s) for s in samples_by_job.get(r.job_id, [])],
            }
            for r in records
        ],
        "config": json.dumps(config, indent=2, sort_keys=True, default=str) if config else None,
        "css": _asset("report.css"),
        "script": script,
        "plotly_js": plotly_js,
        # Only our two scripts may run: an injected <script> or on*= handler would be refused
        # by the browser even if escaping ever failed.
        "script_hashes": Markup(f"{plotly_hash} {_csp_hash(script)}"),
    }
    # Lone surrogates (from JSON escapes in a record) cannot be written as UTF-8.
    return replace_surrogates(_environment().get_template("report.html.j2").render(context))


def write_html(
    run_dir: str | Path, out: str | Path | None = None, *, all_jobs: bool = False
) -> Path:
    """Write the report of the sweep in ``run_dir`` (read from ``run_dir/results.db``).

    Args:
        run_dir: the sweep's output directory.
        out: where to write; ``run_dir/report.html`` when None.
        all_jobs: every job of the store, not only the latest plan's (see ``load_run``).

    Returns:
        The path written.

    Raises:
        GreenbenchError: ``run_dir`` holds no results store.
    """
    results = load_run(run_dir, all_jobs=all_jobs)
    path = Path(out) if out is not None else Path(run_dir) / "report.html"
    html_text = render_html(
        results.records,
        results.samples_by_job,
        results.meta,
        results.hidden,
        outdated=results.outdated,
    )
    path.write_text(html_text, "utf-8")
    return path
