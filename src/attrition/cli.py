"""The ``attrition`` command line: a thin layer over the library.

Each command parses its options, calls one library function, and turns the
library's domain errors into a clean message on stderr and exit code 1 —
never a traceback, never a partial output file.
"""

from __future__ import annotations

import functools
import logging
import sys
import time
from datetime import datetime
from pathlib import Path

import click

from attrition._version import __version__
from attrition.exceptions import AttritionError

log = logging.getLogger("attrition")


#: Third-party loggers routed through the command's handler: WARNING, INFO under -v.
_LIBRARY_LOGGERS = ("mlflow", "alembic", "sqlalchemy.engine", "huey")


def _setup_logging(verbose: int, quiet: bool) -> None:
    import os

    from rich.console import Console
    from rich.logging import RichHandler

    level = logging.WARNING if quiet else (logging.DEBUG if verbose else logging.INFO)
    handler = RichHandler(console=Console(stderr=True), show_path=False, rich_tracebacks=False,
                          log_time_format="[%X]")
    logging.basicConfig(level=logging.WARNING, handlers=[handler], format="%(message)s", force=True)
    logging.getLogger("attrition").setLevel(level)
    logging.captureWarnings(True)  # DataQualityWarning etc. go through the same log
    # MLflow gives its loggers (mlflow, alembic, ...) their own stderr handler when it is imported,
    # unless MLFLOW_CONFIGURE_LOGGING is false: keep it from doing so (MLflow is imported later,
    # by the jobs layer), and undo it if it already happened, so its lines ("Creating initial
    # MLflow database tables...") go through the handler above and -q silences them.
    os.environ["MLFLOW_CONFIGURE_LOGGING"] = "false"
    third_party = logging.INFO if verbose and not quiet else logging.WARNING
    for name in _LIBRARY_LOGGERS:
        logger = logging.getLogger(name)
        logger.handlers = []
        logger.propagate = True
        logger.setLevel(third_party if name in ("mlflow", "alembic") else logging.WARNING)
    mlflow_logging = sys.modules.get("mlflow.utils.logging_utils")
    if mlflow_logging is not None:  # MLflow's direct prints to stderr (eprint): off under -q
        (mlflow_logging.disable_logging if quiet else mlflow_logging.enable_logging)()


def _domain_errors(func):
    """Turn library errors into ``Error: ...`` and exit code 1."""
    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        try:
            return func(*args, **kwargs)
        except AttritionError as exc:
            click.echo(f"Error: {exc}", err=True)
            sys.exit(1)
    return wrapper


def _config(config_file: Path | None, **overrides):
    """The run's :class:`attrition.Config`: the file's settings with the options given here."""
    from attrition.jobs import Config  # the jobs layer loads MLflow: not for --help

    base = Config.from_file(config_file) if config_file else Config()
    return base.replace(**overrides)


def _date(value: str, option: str) -> datetime:
    try:
        return datetime.strptime(value, "%Y-%m-%d")
    except ValueError as exc:
        raise click.BadParameter(f"{value!r} is not a YYYY-MM-DD date.", param_hint=option) from exc


config_option = click.option(
    "--config", "config_file", type=click.Path(dir_okay=False, path_type=Path),
    help="TOML or YAML configuration file (see README); options given here override it.",
)
export_date_option = click.option(
    "--export-date", metavar="YYYY-MM-DD", default=None,
    help="The day the exports were taken (default: the newest row in them).",
)
tracking_option = click.option(
    "--tracking-uri", default=None, metavar="URI",
    help="MLflow tracking store  [default: $MLFLOW_TRACKING_URI, else sqlite:///mlflow.db here].",
)
data_option = click.option(
    "--data", "data_dir", type=click.Path(file_okay=False, path_type=Path),
    help="Folder with employees.csv|parquet and the optional tables.",
)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="attrition")
@click.option("-v", "--verbose", count=True, help="More detail in the progress log.")
@click.option("-q", "--quiet", is_flag=True, help="Only warnings and errors.")
def cli(verbose: int, quiet: bool) -> None:
    """Attrition and engagement risk for contact centres.

    Simulate a centre, train point-in-time LightGBM models tracked in MLflow,
    and score the monthly roster with readable drivers.
    """
    _setup_logging(verbose, quiet)


@cli.command()
@click.argument("out", type=click.Path(file_okay=False, path_type=Path))
@click.option("--employees", "n_employees", type=click.IntRange(10, 200_000), default=300,
              show_default=True, help="Headcount of the simulated centre.")
@click.option("--months", type=click.IntRange(3, 120), default=24, show_default=True,
              help="Months of history.")
@click.option("--seed", type=int, default=0, show_default=True, help="Random seed.")
@click.option("--start", default="2024-01-01", show_default=True, help="First simulated day.")
@click.option("--format", "fmt", type=click.Choice(["csv", "parquet"]), default="csv",
              show_default=True, help="File format of the tables.")
@_domain_errors
def simulate(out: Path, n_employees: int, months: int, seed: int, start: str, fmt: str) -> None:
    """Write a simulated contact centre's exports (and its ground truth) to OUT."""
    from attrition.data import simulate as run

    started = time.perf_counter()
    try:
        centre = run(n_employees=n_employees, months=months, seed=seed, start=start)
    except ValueError as exc:
        raise click.BadParameter(str(exc)) from exc
    paths = centre.write(out, format=fmt)
    for name, path in paths.items():
        click.echo(f"{name:>12}: {path}")
    log.info("Simulated in %.1fs", time.perf_counter() - started)


@cli.command()
@data_option
@config_option
@export_date_option
@_domain_errors
def validate(data_dir: Path | None, config_file: Path | None, export_date: str | None) -> None:
    """Check every table in --data against the data contract."""
    cfg = _config(config_file, data_dir=data_dir, export_date=export_date)
    if cfg.data_dir is None:
        raise click.UsageError("Pass --data DIR (or data_dir in --config).")
    tables = cfg.load_tables()
    for name, frame in tables:
        click.echo(f"{name:>10}: {len(frame):>10,} rows  ({tables.source(name)})")
    click.echo(f"Valid. Export date: {tables.infer_export_date():%Y-%m-%d}")


table_option = click.option(
    "--table", type=click.Path(dir_okay=False, path_type=Path), default=None,
    help="Flat-table mode: a .csv/.parquet file with one row per employee (instead of --data).",
)
id_option = click.option(
    "--id", "id_column", default=None, metavar="COLUMN",
    help="Flat table: the employee id column (written as employee_id; default: row numbers).",
)


def _train_survival_table(cfg, table, duration, event, duration_unit, horizons, positive, id_column, drop,
                          register) -> None:
    from attrition.jobs import train_survival_table

    if not duration or not event:
        raise click.UsageError("A survival table needs both --duration COLUMN and --event COLUMN.")
    fit, run = train_survival_table(cfg, table, duration, event, duration_unit=duration_unit,
                                    horizons=horizons or None, positive=positive, id_column=id_column,
                                    drop=list(drop), register=register)
    m = fit.model.metrics_
    click.echo(repr(fit.model))
    click.echo(f"Dropped as protected or requested: {', '.join(fit.dropped) or 'none'}")
    click.echo(f"Metrics by {fit.model.training_summary_['validation']}:")
    click.echo(f"  concordance {m['cv_concordance']:.3f} ± {m['cv_concordance_sd']:.3f} (Cox proportional hazards "
               f"{m['cox_cv_concordance']:.3f} ± {m['cox_cv_concordance_sd']:.3f})")
    for col in fit.model.horizon_columns():
        click.echo(f"  {col}: mean predicted {m[f'cv_mean_{col}']:.3f}, Kaplan–Meier {m[f'km_{col}']:.3f}")
    click.echo(f"MLflow run {run.run_id} in {run.tracking_uri} (Kaplan–Meier curve: plots/kaplan_meier.png)")
    click.echo(f"Model URI: {run.model_uri}")
    if run.registered_name:
        click.echo(f"Registered: models:/{run.registered_name}@champion (version {run.registered_version})")


def _parse_horizons(values) -> list[float]:
    out = []
    for value in values:
        for part in str(value).split(","):
            try:
                out.append(float(part))
            except ValueError as exc:
                raise click.BadParameter(f"{part!r} is not a number.", param_hint="--horizons") from exc
    return out


def _train_table(config_file, table, target, positive, id_column, drop, register, experiment, data_dir,
                 tracking_uri, duration=None, event=None, duration_unit="months", horizons=()) -> None:
    from attrition.jobs import train_table

    if data_dir is not None:
        raise click.UsageError("Pass either --data DIR or --table FILE, not both.")
    if duration or event:
        if target:
            raise click.UsageError("--target is for a yes/no table; a survival table takes --duration and --event.")
        cfg = _config(config_file, experiment=experiment, tracking_uri=tracking_uri)
        _train_survival_table(cfg, table, duration, event, duration_unit, _parse_horizons(horizons), positive,
                              id_column, drop, register)
        return
    if horizons:
        raise click.UsageError("--horizons goes with --duration and --event (a survival table).")
    if not target:
        raise click.UsageError("--table needs --target COLUMN (the column saying whether the employee left).")
    cfg = _config(config_file, experiment=experiment, tracking_uri=tracking_uri)
    fit, run = train_table(cfg, table, target, positive=positive, id_column=id_column, drop=list(drop),
                           register=register)
    m = fit.model.metrics_
    click.echo(repr(fit.model))
    click.echo(f"Dropped as protected or requested: {', '.join(fit.dropped) or 'none'}")
    click.echo(f"Metrics by {fit.model.training_summary_['validation']}:")
    click.echo(f"  ROC AUC {m['cv_roc_auc']:.3f} ± {m['cv_roc_auc_sd']:.3f} (logistic regression "
               f"{m['logistic_cv_roc_auc']:.3f}), PR AUC {m['cv_pr_auc']:.3f}, Brier {m['cv_brier']:.4f}, "
               f"ECE {m['cv_ece']:.3f}, lift in top 10% {m['cv_lift_top10']:.2f}")
    click.echo(f"MLflow run {run.run_id} in {run.tracking_uri}")
    click.echo(f"Model URI: {run.model_uri}")
    if run.registered_name:
        click.echo(f"Registered: models:/{run.registered_name}@champion (version {run.registered_version})")


@cli.command()
@data_option
@click.option("--horizon-days", type=click.IntRange(1, 730), default=None,
              help="Predict a voluntary exit within this many days  [default: 90].")
@config_option
@click.option("--register", metavar="NAME", default=None,
              help="Register the model under NAME with the alias 'champion'  "
                   "[default: registered_model in --config, if set].")
@click.option("--experiment", default=None, help="MLflow experiment  [default: attrition].")
@tracking_option
@click.option("--target", default=None, metavar="TARGET",
              help="With --data: the model to train, attrition (default), quiet_quitting or all; "
                   "with --register NAME the quiet-quitting model is registered as "
                   "NAME-quiet-quitting. With --table: the column saying whether the employee left.")
@export_date_option
@table_option
@click.option("--positive", default=None, metavar="VALUE",
              help="Flat table: the target value meaning 'left' (needed unless Yes/No, 1/0, True/False).")
@id_option
@click.option("--drop", multiple=True, metavar="COLUMN",
              help="Flat table: leave this column out (repeatable); protected attributes "
                   "(config flat_protected: gender, age, marital status, ...) are always left out.")
@click.option("--duration", default=None, metavar="COLUMN",
              help="Survival table: the column with the time employed (to the exit, or to the extract "
                   "date when still employed); with --event instead of --target.")
@click.option("--event", default=None, metavar="COLUMN",
              help="Survival table: the column saying whether the spell ended in a voluntary exit.")
@click.option("--duration-unit", type=click.Choice(["days", "months"]), default="months", show_default=True,
              help="Survival table: the unit of --duration and --horizons.")
@click.option("--horizons", multiple=True, metavar="H[,H...]",
              help="Survival table: risk horizons in --duration-unit  [default: 3,6,12 months or "
                   "90,180,365 days].")
@_domain_errors
def train(data_dir, horizon_days, config_file, register, experiment, tracking_uri, target, export_date,
          table, positive, id_column, drop, duration, event, duration_unit, horizons) -> None:
    """Build monthly snapshots from --data, train out of time, log to MLflow.

    With --table FILE --target COLUMN instead: train on a one-row-per-employee
    table, with metrics by repeated stratified cross-validation; with --table
    FILE --duration COLUMN --event COLUMN: a survival model giving the risk
    within each horizon, with cross-validated concordance against a Cox model.
    """
    from attrition.jobs import train as run

    if table is not None:
        _train_table(config_file, table, target, positive, id_column, drop, register, experiment, data_dir,
                     tracking_uri, duration, event, duration_unit, horizons)
        return
    if positive or id_column or drop or duration or event or horizons:
        raise click.UsageError("--positive, --id, --drop, --duration, --event and --horizons go with --table FILE.")
    target = target or "attrition"
    if target not in ("attrition", "quiet_quitting", "all"):
        raise click.UsageError(
            f"--target {target!r}: with --data the target is attrition, quiet_quitting or all "
            "(a column name goes with --table FILE)."
        )
    cfg = _config(config_file, data_dir=data_dir, horizon_days=horizon_days, experiment=experiment,
                  export_date=export_date, tracking_uri=tracking_uri)
    if cfg.data_dir is None:
        raise click.UsageError("Pass --data DIR (or data_dir in --config).")
    result = run(cfg, register=register, target=target)
    for res in filter(None, (result, result.quiet_quitting)):
        _echo_trained(res)


def _echo_trained(result) -> None:
    m = result.model.metrics_
    click.echo(repr(result.model))
    click.echo(
        f"Out-of-time validation: ROC AUC {m['valid_roc_auc']:.3f} "
        f"(tenure-only baseline {m.get('baseline_valid_roc_auc', float('nan')):.3f}), "
        f"PR AUC {m['valid_pr_auc']:.3f}, Brier {m['valid_brier']:.4f}, "
        f"lift in top 10% {m['valid_lift_top10']:.2f}"
    )
    if "lr_baseline_valid_roc_auc" in m:
        click.echo(f"Logistic-regression baseline on the same features: ROC AUC "
                   f"{m['lr_baseline_valid_roc_auc']:.3f}, PR AUC {m['lr_baseline_valid_pr_auc']:.3f}")
    click.echo(f"MLflow run {result.run.run_id} in {result.run.tracking_uri}")
    click.echo(f"Model URI: {result.run.model_uri}")
    if result.run.registered_name:
        click.echo(f"Registered: models:/{result.run.registered_name}@champion "
                   f"(version {result.run.registered_version})")


@cli.command()
@data_option
@click.option("--as-of", "as_of", default=None, metavar="YYYY-MM-DD",
              help="Score as of this date (features use rows dated on or before it); required with --data.")
@click.option("--roster", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="CSV/Parquet with employee_id (and pass-through columns); default: everyone employed.")
@click.option("--model", "model_uri", default=None,
              help="The model: any URI `attrition train` prints, or a registered name  "
                   "[default: models:/attrition@champion].")
@tracking_option
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), required=True,
              help="Output file, .csv or .parquet (written atomically).")
@click.option("--drivers", "n_drivers", type=click.IntRange(0, 20), default=None,
              help="Drivers per employee  [default: 3].")
@click.option("--qq-model", "qq_model_uri", default=None,
              help="Quiet-quitting model URI  [default: models:/NAME-quiet-quitting@ALIAS beside "
                   "--model models:/NAME@ALIAS, if registered].")
@config_option
@export_date_option
@click.option("--report", "report_path", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Also write the HTML report of these scores (see `attrition report`).")
@table_option
@id_option
@_domain_errors
def score(data_dir, as_of, roster, model_uri, tracking_uri, out, n_drivers, qq_model_uri, config_file,
          export_date, report_path, table, id_column) -> None:
    """Score the roster as of a date with the registered model(s).

    Adds the quiet-quitting index, and its risk when a quiet-quitting model is
    registered beside the attrition model (or given with --qq-model). With
    --table FILE instead: score a one-row-per-employee table with a model
    trained by `attrition train --table`.
    """
    from attrition.jobs import score as run
    from attrition.jobs import score_table_file

    if table is not None:
        if data_dir is not None or as_of is not None or roster is not None:
            raise click.UsageError("--table scores a flat table: leave out --data, --as-of and --roster.")
        if qq_model_uri is not None:
            raise click.UsageError("--qq-model goes with monthly scoring (--data), not --table.")
        if report_path is not None:
            raise click.UsageError("--report needs monthly scores (--data); for a flat table run "
                                   "`attrition report --scores FILE` on its output.")
        cfg = _config(config_file, n_drivers=n_drivers, tracking_uri=tracking_uri)
        scores = score_table_file(cfg, table, out, id_column=id_column, model_uri=model_uri)
        bands = scores["risk_band"].value_counts().reindex(["high", "medium", "low"], fill_value=0)
        horizons = [c for c in scores.columns if c.startswith("attrition_risk_")]
        click.echo(f"Scored {len(scores)} rows of {table}: "
                   + ", ".join(f"{k} {v}" for k, v in bands.items())
                   + (f"; risk per horizon in {', '.join(horizons)}" if horizons else "") + f" -> {out}")
        return
    if id_column is not None:
        raise click.UsageError("--id goes with --table FILE.")
    if as_of is None:
        raise click.UsageError("Missing option '--as-of' (required with --data).")
    as_of_ts = _date(as_of, "--as-of")
    cfg = _config(config_file, data_dir=data_dir, n_drivers=n_drivers, export_date=export_date,
                  tracking_uri=tracking_uri)
    if cfg.data_dir is None:
        raise click.UsageError("Pass --data DIR (or data_dir in --config).")
    scores = run(cfg, as_of_ts, model_uri=model_uri, roster=roster, out=out, report=report_path,
                 qq_model_uri=qq_model_uri)
    bands = scores["risk_band"].value_counts().reindex(["high", "medium", "low"], fill_value=0)
    click.echo(f"Scored {len(scores)} employees as of {as_of_ts:%Y-%m-%d}: "
               + ", ".join(f"{k} {v}" for k, v in bands.items()) + f" -> {out}")
    if "quiet_quitting_band" in scores.columns:
        qq = scores["quiet_quitting_band"].value_counts()
        click.echo("Quiet quitting: " + ", ".join(f"{k} {v}" for k, v in qq.items()))
        click.echo(_qq_prevalence_line(scores))
    if report_path is not None:
        click.echo(f"Report: {report_path.resolve()}")


@cli.command()
@click.option("--scores", "scores_path", type=click.Path(dir_okay=False, path_type=Path), required=True,
              help="A scores file written by `attrition score` (.csv or .parquet).")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), required=True,
              help="The report, .html (self-contained; written atomically).")
@click.option("--model", "model_uri", default=None,
              help="The model (any URI `attrition train` prints)  [default: the registered model "
                   "and version the scores name, if the store holds it].")
@tracking_option
@data_option
@config_option
@_domain_errors
def report(scores_path, out, model_uri, tracking_uri, data_dir, config_file) -> None:
    """Write one self-contained HTML report of a scores file.

    Groups smaller than min_group_size (config, default 5) are pooled, never
    shown alone; people appear only under pseudonyms. With --model and
    --data, shap's driver plots are added.
    """
    from attrition.jobs import report_from_file

    cfg = _config(config_file, data_dir=data_dir, tracking_uri=tracking_uri)
    path = report_from_file(scores_path, out, config=cfg, model_uri=model_uri, data_dir=cfg.data_dir)
    click.echo(f"Report: {path.resolve()}")


@cli.command()
@data_option
@click.option("--as-of", "as_of", required=True, metavar="YYYY-MM-DD", help="The scoring date.")
@click.option("--employee", "employees", multiple=True, metavar="ID",
              help="An employee to re-score (repeatable).")
@click.option("--team", default=None, metavar="ID",
              help="Re-score a whole team (totals only; at least min_group_size people).")
@click.option("--set", "changes", multiple=True, required=True, metavar="FEATURE=VALUE",
              help="A change: FEATURE=VALUE sets, FEATURE<=VALUE caps, FEATURE>=VALUE floors "
                   "(repeatable; 85% = 0.85). A measure without its window, e.g. "
                   "sched_late_changes, changes every window.")
@click.option("--model", "model_uri", default=None,
              help="The model: any URI `attrition train` prints, or a registered name  "
                   "[default: models:/attrition@champion].")
@tracking_option
@config_option
@export_date_option
@_domain_errors
def whatif(data_dir, as_of, employees, team, changes, model_uri, tracking_uri, config_file,
           export_date) -> None:
    """Re-score employees or a team with chosen inputs changed.

    The change in risk is an association in the model, not a causal effect.
    """
    from attrition.jobs import WHAT_IF_NOTE, what_if_job

    as_of_ts = _date(as_of, "--as-of")
    cfg = _config(config_file, data_dir=data_dir, export_date=export_date, tracking_uri=tracking_uri)
    rows, team_summary = what_if_job(cfg, as_of_ts, list(changes), employees=list(employees) or None,
                                     team=team, model_uri=model_uri)
    click.echo(f"What-if as of {as_of_ts:%Y-%m-%d}: {'; '.join(changes)}")
    if team_summary is not None:
        t = team_summary
        click.echo(f"Team {t['team_id']} ({t['headcount']} people): expected leavers "
                   f"{t['expected_leavers_before']:.2f} -> {t['expected_leavers_after']:.2f}; mean risk "
                   f"{t['mean_risk_before']:.1%} -> {t['mean_risk_after']:.1%}")
    for r in rows.itertuples(index=False):
        click.echo(f"{r.employee_id}: risk {r.risk_before:.1%} -> {r.risk_after:.1%} "
                   f"({r.change_points:+.1f} points)" + (f"; changed: {r.changed}" if r.changed else
                                                         "; no input changed"))
    click.echo(f"Note: {WHAT_IF_NOTE}")


@cli.command()
@data_option
@click.option("--start", metavar="YYYY-MM", default=None,
              help="First origin month  [default: the earliest with enough labelled history].")
@click.option("--horizon-days", type=click.IntRange(1, 730), default=None,
              help="Predict a voluntary exit within this many days  [default: 90].")
@click.option("--capacity", "capacity", type=click.IntRange(1, 100_000), default=20, show_default=True,
              help="Conversations HR can hold per month: precision and recall at this many people.")
@config_option
@click.option("--experiment", default=None, help="MLflow experiment  [default: attrition].")
@tracking_option
@export_date_option
@_domain_errors
def backtest(data_dir, start, horizon_days, capacity, config_file, experiment, tracking_uri,
             export_date) -> None:
    """Rolling-origin backtest: retrain at each month end on what was known then, score, compare."""
    from rich.console import Console

    from attrition.jobs import backtest as run
    from attrition.reporting import print_backtest

    cfg = _config(config_file, data_dir=data_dir, horizon_days=horizon_days, experiment=experiment,
                  export_date=export_date, tracking_uri=tracking_uri)
    if cfg.data_dir is None:
        raise click.UsageError("Pass --data DIR (or data_dir in --config).")
    result = run(cfg, start=start, capacity=capacity)
    print_backtest(result, Console(width=200))
    click.echo(f"MLflow run {result.run_id} (one child run per origin) in {result.tracking_uri}")


@cli.command()
@data_option
@click.option("--as-of", "as_of", required=True, metavar="YYYY-MM-DD",
              help="Forecast from this date (features and exit rates use rows dated on or before it).")
@click.option("--months", type=click.IntRange(1, 60), default=12, show_default=True,
              help="Months to forecast.")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), required=True,
              help="Output file, .csv or .parquet (written atomically).")
@click.option("--hires", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Planned hires: .csv with month (YYYY-MM), team, count; their early exits use the "
                   "new-hire risk.")
@click.option("--model", "model_uri", default=None,
              help="The survival model (any URI `attrition train` prints, or a registered name), or "
                   "'baseline' for the tenure life-table of the last 12 months  "
                   "[default: models:/attrition@champion].")
@tracking_option
@click.option("--report", "report_path", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Also write an HTML page with the forecast chart.")
@config_option
@export_date_option
@_domain_errors
def forecast(data_dir, as_of, months, out, hires, model_uri, tracking_uri, report_path, config_file,
             export_date) -> None:
    """Forecast voluntary leavers per team and site for each of the next months.

    Expected leavers with 90% intervals from everyone's risk (and planned
    hires' early exits). Assumes today's conditions persist.
    """
    from attrition.jobs import FORECAST_NOTE
    from attrition.jobs import forecast as run

    as_of_ts = _date(as_of, "--as-of")
    cfg = _config(config_file, data_dir=data_dir, export_date=export_date, tracking_uri=tracking_uri)
    if cfg.data_dir is None:
        raise click.UsageError("Pass --data DIR (or data_dir in --config).")
    result = run(cfg, as_of_ts, months=months, out=out, hires=hires, model_uri=model_uri, report=report_path)
    total = result[result["level"] == "all"].sort_values("months_ahead")
    if len(total):
        first, last = total.iloc[0], total.iloc[-1]
        click.echo(f"Voluntary leavers expected from {as_of_ts:%Y-%m-%d}: {first['expected_leavers']:.1f} in "
                   f"{first['month']} (90% interval {first['leavers_low']}-{first['leavers_high']}), "
                   f"{last['cumulative_expected_leavers']:.1f} by the end of {last['month']} "
                   f"({last['cumulative_low']}-{last['cumulative_high']})"
                   + (f", including {int(total['planned_hires'].sum())} planned hires' early exits"
                      if total["planned_hires"].sum() else "") + f" -> {out}")
    else:
        click.echo(f"Too few people to show a forecast (fewer than min_group_size) -> {out}")
    click.echo(f"Assumption: {FORECAST_NOTE}")
    if report_path is not None:
        click.echo(f"Report: {report_path.resolve()}")


@cli.command()
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), default=Path("attrition-quickstart"),
              show_default=True, help="Folder for the simulated data, MLflow store and scores.")
@click.option("--employees", "n_employees", type=click.IntRange(50, 200_000), default=300, show_default=True)
@click.option("--months", type=click.IntRange(12, 120), default=24, show_default=True)
@click.option("--seed", type=int, default=0, show_default=True)
@_domain_errors
def quickstart(out: Path, n_employees: int, months: int, seed: int) -> None:
    """Simulate a centre, train and register a model, score the latest month."""
    from rich.console import Console
    from rich.table import Table

    from attrition.jobs import quickstart as run

    started = time.perf_counter()
    res = run(out, n_employees=n_employees, months=months, seed=seed)
    console = Console()
    m = res.trained.model.metrics_
    console.print(f"\n[bold]Out-of-time validation[/bold]: ROC AUC {m['valid_roc_auc']:.3f} "
                  f"vs tenure-only baseline {m.get('baseline_valid_roc_auc', float('nan')):.3f}; "
                  f"lift in the top 10% {m['valid_lift_top10']:.2f}")
    qq_res = res.trained.quiet_quitting
    if qq_res is not None:
        q = qq_res.model.metrics_
        console.print(f"[bold]Quiet quitting (entry within the horizon)[/bold]: ROC AUC "
                      f"{q['valid_roc_auc']:.3f} vs tenure-only baseline "
                      f"{q.get('baseline_valid_roc_auc', float('nan')):.3f}")
    table = Table(title=f"Ten highest attrition risks as of {res.as_of:%Y-%m-%d}")
    for col in ("employee_id", "risk", "band", "top drivers", "quiet quitting"):
        table.add_column(col, overflow="fold")
    for row in res.scores.head(10).itertuples():
        drivers = "\n".join(getattr(row, f"driver_{k}") for k in (1, 2, 3) if hasattr(row, f"driver_{k}"))
        table.add_row(row.employee_id, f"{row.attrition_risk:.1%}", row.risk_band, drivers, _qq_cell(row))
    console.print(table)
    if "quiet_quitting_risk" in res.scores.columns:
        qq_table = Table(title=f"Ten highest quiet-quitting risks (not in the state yet) as of "
                               f"{res.as_of:%Y-%m-%d}")
        for col in ("employee_id", "qq risk", "index", "attrition risk", "top drivers"):
            qq_table.add_column(col, overflow="fold")
        rest = res.scores.loc[~res.scores["quiet_quitting_state"].astype(bool)]
        for row in rest.sort_values("quiet_quitting_risk", ascending=False, kind="stable").head(10).itertuples():
            drivers = "\n".join(getattr(row, f"qq_driver_{k}") for k in (1, 2, 3)
                                 if hasattr(row, f"qq_driver_{k}"))
            qq_table.add_row(row.employee_id, f"{row.quiet_quitting_risk:.1%}",
                             f"{row.quiet_quitting_index:.0f}", f"{row.attrition_risk:.1%}", drivers)
        console.print(qq_table)
        console.print(_qq_prevalence_line(res.scores))
        in_state = int(res.scores["quiet_quitting_state"].astype(bool).sum())
        console.print(f"{in_state} of {len(res.scores)} employees are in the quiet-quitting state now "
                      "(more likely in the state than not; a proxy, not a diagnosis).")
    console.print(f"Scores for {len(res.scores)} employees: {res.scores_path}")
    console.print(f"Registered model: models:/{res.trained.run.registered_name}@champion")
    if qq_res is not None and qq_res.run.registered_name:
        console.print(f"Registered quiet-quitting model: models:/{qq_res.run.registered_name}@champion")
    console.print(f"Browse the runs: [bold]mlflow ui --backend-store-uri {res.tracking_uri}[/bold]")
    console.print(f"Done in {time.perf_counter() - started:.0f}s.")
    if getattr(res, "report_path", None):
        console.print(f"Report: [bold]{res.report_path}[/bold]", soft_wrap=True)


def _qq_prevalence_line(scores) -> str:
    """The estimated share in the quiet-quitting state with its 90 % interval, in one line."""
    from attrition.reporting import prevalence_text

    return prevalence_text(scores)


def _qq_cell(row) -> str:
    """Quiet-quitting summary of one scored row for the quickstart table."""
    if not hasattr(row, "quiet_quitting_index"):
        return ""
    risk = getattr(row, "quiet_quitting_risk", float("nan"))
    risk_text = "" if risk is None or risk != risk else f"risk {risk:.1%}, "
    return f"{risk_text}index {row.quiet_quitting_index:.0f} ({row.quiet_quitting_band})"


#: OpenBLAS's idle threads spin for 2**28 cycles after each call before they sleep; the baselines'
#: many small matrix-vector products leave them spinning between calls (about as much CPU as the
#: work itself, on a busy machine). 2**16 cycles: the same threads doing the same share of each
#: product, so the same numbers bit for bit. Read when numpy loads OpenBLAS; a value already in
#: the environment wins.
_OPENBLAS_THREAD_TIMEOUT = "16"


def main() -> None:
    """Entry point of the ``attrition`` console script."""
    import os

    if "numpy" not in sys.modules:  # only takes effect before OpenBLAS is loaded
        os.environ.setdefault("OPENBLAS_THREAD_TIMEOUT", _OPENBLAS_THREAD_TIMEOUT)
    cli(prog_name="attrition")


if __name__ == "__main__":  # pragma: no cover
    main()
