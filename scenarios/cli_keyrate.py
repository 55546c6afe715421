"""``qnetsim keyrate``: analytic key rate against distance for one or more QKD protocols."""

import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from qnetsim.core.errors import ConfigError
from scenarios.cli_app import reported_errors, stdout
from scenarios.cli_types import number

FORMATS = ("table", "csv")

#: Hardware fields settable with their own option (others through --set NAME=VALUE).
_OPTION_FIELDS = (
    "attenuation_db_per_km",
    "detector_efficiency",
    "dark_count_probability",
    "misalignment_error",
    "error_correction_efficiency",
    "repetition_rate_hz",
)


def _parse_sets(assignments: list[str]) -> dict[str, float]:
    values = {}
    for assignment in assignments:
        name, separator, text = assignment.partition("=")
        if not separator or not name:
            raise ConfigError(f"--set: expected NAME=VALUE; got {assignment!r}")
        try:
            values[name.strip()] = float(text)
        except ValueError:
            raise ConfigError(f"--set {name}: must be a number; got {text!r}") from None
    return values


def keyrate(
    protocol: Annotated[
        list[str] | None,
        typer.Option("--protocol", "-p", help="Model name; repeat for several (default: decoy-bb84)."),
    ] = None,
    distance_km: Annotated[
        str, typer.Option("--distance-km", help="'start:stop:step' (stop included) or one distance.")
    ] = "0:200:10",
    hardware: Annotated[str, typer.Option("--hardware", help="Hardware preset (gys, ideal).")] = "gys",
    attenuation_db_per_km: Annotated[float | None, typer.Option(parser=number, help="Fibre loss.")] = None,
    detector_efficiency: Annotated[
        float | None, typer.Option(parser=number, help="Receiver efficiency (eta_Bob).")
    ] = None,
    dark_count_probability: Annotated[
        float | None, typer.Option(parser=number, help="Dark counts per pulse (Y0).")
    ] = None,
    misalignment_error: Annotated[
        float | None, typer.Option(parser=number, help="Optical misalignment (e_det).")
    ] = None,
    error_correction_efficiency: Annotated[
        float | None, typer.Option(parser=number, help="Error correction f >= 1.")
    ] = None,
    repetition_rate_hz: Annotated[
        float | None, typer.Option(parser=number, help="Pulse rate, for key_rate_bps.")
    ] = None,
    set_: Annotated[
        list[str] | None, typer.Option("--set", help="Any other hardware field: NAME=VALUE (repeatable).")
    ] = None,
    output_format: Annotated[str, typer.Option("--format", help="table or csv (machine-readable).")] = "table",
    plot: Annotated[
        Path | None,
        typer.Option("--plot", help="Also write a PNG of rate vs distance (its folder must exist)."),
    ] = None,
    plob: Annotated[bool, typer.Option("--plob/--no-plob", help="Add the PLOB bound to the plot.")] = True,
    block_bits: Annotated[
        list[float] | None,
        typer.Option(
            "--block-bits",
            parser=number,
            metavar="BITS",
            help="Also draw finite-key curves for blocks of this many sifted key bits (repeatable;"
            " decoy-bb84: Lim et al. 2014, bbm92: Tomamichel et al. 2012).",
        ),
    ] = None,
    eps_sec: Annotated[float, typer.Option(parser=number, help="Secrecy parameter of finite-key curves.")] = 1e-10,
    eps_cor: Annotated[float, typer.Option(parser=number, help="Correctness parameter of finite-key curves.")] = 1e-15,
    debug: Annotated[bool, typer.Option("--debug", help="Show tracebacks.")] = False,
) -> None:
    """Key rate vs distance from the analytic link models (decoy BB84, GLLP, BBM92, MDI, CV-QKD, PLOB).

    With --block-bits, also the finite-key rate of decoy BB84 and BBM92 for blocks of that size.
    """

    with reported_errors(debug):
        import pandas as pd

        from qkdn.keyrate import distances_from_range, hardware_preset, keyrate_table, model_names

        if output_format not in FORMATS:
            raise ConfigError(f"--format: must be one of {', '.join(FORMATS)}; got {output_format!r}")
        plot_path = _check_plot(plot) if plot is not None else None
        protocols = protocol or ["decoy-bb84"]
        overrides = _parse_sets(set_ or [])
        local = locals()
        overrides.update({name: local[name] for name in _OPTION_FIELDS if local[name] is not None})
        link_hardware = hardware_preset(hardware, **overrides)
        distances = distances_from_range(distance_km)
        table = keyrate_table(
            protocols, distances, link_hardware, block_bits=block_bits or [], eps_sec=eps_sec, eps_cor=eps_cor
        )
        if plot_path is not None:
            from analysis.plots import plot_key_rate_vs_distance

            extra = ["plob"] if plob and "plob" in model_names() and "plob" not in protocols else []
            plotted = pd.concat([table, keyrate_table(extra, distances, link_hardware)]) if extra else table.copy()
            sized = plotted["block_bits"].notna()
            plotted.loc[sized, "protocol"] = [
                f"{name} (n = {block:.0e})"
                for name, block in zip(plotted.loc[sized, "protocol"], plotted.loc[sized, "block_bits"], strict=True)
            ]
            from analysis.staging import write_file_atomically

            write_file_atomically(
                plot_path, lambda path: plot_key_rate_vs_distance(plotted, path, title=f"hardware: {hardware}")
            )
            print(f"wrote {plot}", file=sys.stderr)
        if output_format == "csv":
            table.to_csv(sys.stdout, index=False)
        else:
            _print_table(table, stdout)


def _check_plot(plot: Path) -> Path:
    """The real file ``--plot`` names; refused (exit 2) when its folder is missing or it is not qnetsim's figure."""
    from analysis.errors import OutputFolderError
    from analysis.outputs import check_file_target

    try:
        return check_file_target(plot, "--plot")
    except OutputFolderError as error:
        raise ConfigError(str(error)) from None


def _print_table(table, console) -> None:  # type: ignore[no-untyped-def]
    view = Table(show_edge=False)
    for column in table.columns:
        view.add_column(column, justify="left" if column == "protocol" else "right")
    for row in table.itertuples(index=False):
        cells = []
        for column, value in zip(table.columns, row, strict=True):
            if column == "protocol":
                cells.append(str(value))
            elif column == "distance_km":
                cells.append(f"{value:g}")
            else:
                cells.append("-" if value != value else f"{value:.4g}")
        view.add_row(*cells)
    console.print(view)
