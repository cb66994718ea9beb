"""``greenbench measure [options] -- CMD ARGS...``: energy and carbon of any command."""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import shutil
import signal
import subprocess
import sys
from typing import TYPE_CHECKING, Any

from rich.console import Console
from rich.table import Table

from greenbench.energy.measurement import Measurement, is_breakdown
from greenbench.energy.uncertainty import PhaseRange, phase_range
from greenbench.errors import GreenbenchError

if TYPE_CHECKING:
    from greenbench.carbon import CarbonContext
    from greenbench.sweep.attach import AttachTarget


def register(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    """Add the ``measure`` subcommand."""
    parser = subparsers.add_parser(
        "measure",
        help="run a command and report the energy and carbon of its whole process tree",
        description=(
            "Run CMD as a child process, measure the energy of its process tree per component "
            "(RAPL / NVML counters where readable, labelled estimates otherwise) and convert it "
            "to gCO2e with the grid intensity of --country (world average if none). Exits with "
            "CMD's exit status."
        ),
        usage="greenbench measure [options] -- CMD [ARGS ...]",
    )
    parser.add_argument("--json", action="store_true", help="print JSON (CMD's stdout -> stderr)")
    parser.add_argument(
        "--meter",
        default="auto",
        help="energy source: auto, rapl, nvml, estimate, codecarbon or a plugin's "
        "(greenbench meters lists them; default: auto)",
    )
    parser.add_argument("--country", metavar="ISO3", help="grid country, e.g. FRA, USA, DEU")
    parser.add_argument(
        "--region", metavar="R", help="region of --country in the table, e.g. CAMX (eGRID)"
    )
    parser.add_argument("--pue", metavar="P", help="power usage effectiveness, >= 1 (default 1.0)")
    parser.add_argument(
        "--carbon-intensity", metavar="G", help="override the grid intensity, gCO2e/kWh"
    )
    parser.add_argument(
        "--idle-seconds",
        metavar="S",
        default="0",
        help="measure idle power for S seconds first and report net energy too (default 0: off)",
    )
    parser.add_argument("--out", metavar="FILE.db", help="append the run to this results store")
    parser.add_argument(
        "--attach",
        metavar="RUN_DIR:JOB_ID",
        help="store the run as the training phase of job JOB_ID of the sweep in RUN_DIR "
        "(its results.db): the watt-for-what view shows it as that job's training electricity",
    )
    parser.add_argument(
        "--format",
        choices=("table", "json", "codecarbon-csv"),
        default="table",
        help="table (default), json (as --json), or codecarbon-csv: also append a row in "
        "CodeCarbon's emissions.csv layout to --csv",
    )
    parser.add_argument(
        "--csv", metavar="FILE", default="emissions.csv", help="default: ./emissions.csv"
    )
    parser.add_argument("cmd", nargs=argparse.REMAINDER, help="the command to measure, after --")
    parser.set_defaults(func=run)
    return parser


def _command(args: argparse.Namespace) -> list[str]:
    cmd = list(args.cmd)
    if cmd and cmd[0] == "--":
        cmd = cmd[1:]
    if not cmd:
        raise GreenbenchError("no command to measure: greenbench measure [options] -- CMD ARGS...")
    exe = cmd[0]
    if os.sep in exe:
        found = os.path.isfile(exe) and os.access(exe, os.X_OK)
    else:
        found = shutil.which(exe) is not None
    if not found:
        raise GreenbenchError(f"command not found: {exe!r}")
    return cmd


#: Longest idle calibration accepted by ``--idle-seconds``, in seconds (one hour).
MAX_IDLE_S = 3600.0
#: Signals sent to greenbench that are passed on to the command's whole process group.
FORWARDED = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)


def _idle_seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise GreenbenchError(f"--idle-seconds must be a number (got {text!r})") from None
    if not 0 <= value <= MAX_IDLE_S:  # also refuses nan and inf
        raise GreenbenchError(f"--idle-seconds must be between 0 and {MAX_IDLE_S:g} (got {text!r})")
    return value


def _terminal_fd() -> int | None:
    """stdin's descriptor when it is a terminal whose foreground group is ours, else None."""
    try:
        fd = sys.stdin.fileno()
        return fd if os.isatty(fd) and os.tcgetpgrp(fd) == os.getpgrp() else None
    except (OSError, ValueError, AttributeError):
        return None


def _give_terminal(fd: int | None, pgid: int) -> None:
    """Make ``pgid`` the terminal's foreground group, as a shell does for a job it starts."""
    if fd is None:
        return
    previous = signal.signal(signal.SIGTTOU, signal.SIG_IGN)  # we may be in the background now
    try:
        os.tcsetpgrp(fd, pgid)
    except OSError:
        pass
    finally:
        signal.signal(signal.SIGTTOU, previous)


def _run_child(cmd: list[str], stdout_to_stderr: bool) -> int:
    """Run ``cmd`` in its own process group; its exit status (128 + N when killed by signal N,
    as shells report it).

    SIGINT, SIGTERM and SIGHUP sent to greenbench go to the command's whole group (its children
    too) and greenbench waits for the command to end. On a terminal, the command's group becomes
    the foreground group while it runs (Ctrl-C and terminal input reach it directly), and
    greenbench's group gets the terminal back after."""
    terminal = _terminal_fd()
    try:
        proc = subprocess.Popen(cmd, stdout=2 if stdout_to_stderr else None, process_group=0)
    except OSError as exc:
        raise GreenbenchError(f"cannot run {cmd[0]!r}: {exc.strerror or exc}") from None

    def forward(signum: int, _frame: object) -> None:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(proc.pid, signum)

    previous = {sig: signal.signal(sig, forward) for sig in FORWARDED}
    try:
        _give_terminal(terminal, proc.pid)
        if terminal is not None:  # it may have stopped on a terminal read before the handover
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(proc.pid, signal.SIGCONT)
        status = proc.wait()
    finally:
        _give_terminal(terminal, os.getpgrp())
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    return 128 - status if status < 0 else status


def run(args: argparse.Namespace) -> int:
    """Validate every input, run the command in one energy window, report, exit with its status."""
    from greenbench.carbon import resolve_location
    from greenbench.energy import EnergyMeter
    from greenbench.tracking.saving import check_outputs, save_window

    ctx = resolve_location(args.country, args.region, args.carbon_intensity, args.pue)
    idle_s = _idle_seconds(args.idle_seconds)
    csv = args.csv if args.format == "codecarbon-csv" else None
    check_outputs(args.out, csv)
    args.json = args.json or args.format == "json"
    cmd = _command(args)
    target = _attach_target(args.attach)
    with EnergyMeter(args.meter, country=ctx.country) as meter:
        if idle_s > 0:
            meter.calibrate_idle(idle_s)
        with meter.window("command") as window:
            status = _run_child(cmd, stdout_to_stderr=args.json)
    m = window.measurement
    assert m is not None
    if args.out or csv:
        save_window(m, ctx, out=args.out, csv=csv, command=cmd, exit_status=status)
        if csv:
            print(f"greenbench: appended to {csv}", file=sys.stderr)
    if target is not None:
        _attach(target, m, cmd, status, args.meter)
    if args.json:
        print(json.dumps(result_json(m, ctx), indent=2))
    else:
        print_table(m, ctx, Console())
    return status


def _attach_target(text: str | None) -> AttachTarget | None:
    """``--attach``'s job, checked before the command runs (None without the option)."""
    if text is None:
        return None
    from greenbench.sweep.attach import parse_target

    return parse_target(text)


def _attach(target: AttachTarget, m: Measurement, cmd: list[str], status: int, meter: str) -> None:
    """Store the window as the job's training phase, unless the command failed."""
    from greenbench.sweep.attach import attach_training

    if status != 0:
        print(
            f"greenbench: the command exited {status}: not attached to job {target.job_id}",
            file=sys.stderr,
        )
        return
    attach_training(target, m, command=cmd, exit_status=status, meter=meter)
    print(
        f"greenbench: attached as the training phase of job {target.job_id} in {target.run_dir}",
        file=sys.stderr,
    )


def result_json(m: Measurement, ctx: CarbonContext) -> dict[str, Any]:
    """The ``--json`` document: energy, provenance, emissions and the carbon context.

    ``emissions_g`` is on ``energy_basis``: net of idle when an idle baseline was taken, as in a
    sweep's records, else gross.
    """
    out: dict[str, Any] = {
        "duration_s": m.duration_s,
        "energy_j": {"total": m.total_j, **m.energy_j},
        "provenance": dict(m.provenance),
        "energy_basis": m.energy_basis,
        "emissions_g": ctx.emissions_g(m.basis_total_j),
        "carbon_intensity_g_per_kwh": ctx.intensity_g_per_kwh,
        "pue": ctx.pue,
        "carbon": ctx.to_dict(),
    }
    if m.idle_energy_j:
        out["net_energy_j"] = {"total": m.net_total_j, **m.net_energy_j}
    gross, net = out["energy_j"], out.get("net_energy_j", out["energy_j"])
    found = phase_range(gross, net, m.provenance)
    if isinstance(found, PhaseRange):  # estimated: the constants' low-high range beside it
        out["energy_range_j"] = found.energy_j
        if "net_energy_j" in out:
            out["net_energy_range_j"] = found.net_energy_j
        out["energy_range_basis"] = found.basis
    return out


def print_table(m: Measurement, ctx: CarbonContext, console: Console) -> None:
    """Per-component energy with provenance, totals, emissions and where the intensity is from.

    The total and the emissions say whether they rest on measured or estimated components.
    """
    net = bool(m.idle_energy_j)
    estimated = [k for k, p in m.provenance.items() if p.startswith("estimated")]
    if not estimated:
        basis = "measured"
    else:
        basis = "estimated" if len(estimated) == len(m.provenance) else "partly estimated"
    table = Table(title=f"energy of the command ({m.duration_s:.2f} s)")
    table.add_column("component")
    table.add_column("energy (J)", justify="right")
    if net:
        table.add_column("net of idle (J)", justify="right")
    table.add_column("provenance")
    net_j = m.net_energy_j
    for key, joules in m.energy_j.items():
        label = f"  {key}" if is_breakdown(key, m.energy_j) else key
        cells = [label, f"{joules:.4g}"] + ([f"{net_j[key]:.4g}"] if net else [])
        table.add_row(*cells, m.provenance.get(key, ""))
    table.add_row(
        "total", f"{m.total_j:.4g}", *([f"{m.net_total_j:.4g}"] if net else []), basis, style="bold"
    )
    console.print(table)
    emissions = ctx.emissions_g(m.basis_total_j)
    on = "net of idle" if net else "gross, no idle baseline"
    console.print(f"emissions: {emissions:.4g} gCO2e ({on}), from {basis} energy", soft_wrap=True)
    console.print(f"carbon intensity: {ctx.describe()}", soft_wrap=True)
    if estimated:
        console.print(
            f"[bold yellow]ESTIMATED:[/] {', '.join(estimated)} "
            f"{'is an estimate' if len(estimated) == 1 else 'are estimates'}, not hardware "
            "measurements (method and constants in the provenance column)",
            soft_wrap=True,
        )
        found = phase_range({"total": m.total_j, **m.energy_j}, {}, m.provenance)
        if isinstance(found, PhaseRange):
            low, high = found.energy_j["total"]
            console.print(
                f"range of the total from the estimate's constants: {low:.4g}-{high:.4g} J "
                f"({found.basis})",
                soft_wrap=True,
            )
