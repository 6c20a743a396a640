"""`yolocls-bench`: export the model to each format, load each artifact through its runtime, validate it, check
it against the .pt, time it, and write a report. Driven by the format registry: a new format plugin shows up
here with no change.

Per format: an export in an export worker (forked from a torch fork server; it lives on from one format to
the next so converters are imported once per run, and is replaced after a crash) and a run child (a fresh
interpreter), each with the time left of the format's `timeout`, so a crash or hang costs that row only.
Every export runs first (in parallel lanes, see `export_lanes` and `plan_groups`); then
the run children, one at a time, so no export competes with the timing.
"""

from __future__ import annotations

import inspect
import shutil
import sys
import threading
import time
import warnings
from dataclasses import asdict
from datetime import datetime
from pathlib import Path
from typing import Any

from ..errors import BenchError, ConfigError, YoloclsError, status_of
from . import isolation
from .options import TOLERANCE_KEYS, build_tolerances, export_options, parse_batches
from .rows import BenchReport, Row, evaluate_gate
from .valdata import prepare_val
from .workdir import work_folder
from .zygote import ZygotePool, torch_backed

CHILD = "yolocls.bench.child"
BUSY_WINDOW_S = 0.25  # how long the bench watches other processes' CPU use before it starts


# --- the run ---------------------------------------------------------------------------------------------------
class Bench:
    """One bench run; `run()` returns its BenchReport."""

    def __init__(self, *, model: str | Path | None = None, data: str | None = None, formats: Any = "all",
                 imgsz: int | None = None, device: str = "cpu", half: bool = False, int8: bool = False,
                 batch: Any = 1, runs: int | None = None, warmup: int = 10, threads: int | None = None,
                 out: str | Path | None = "reports", check: bool = False, strict: bool = False,
                 timeout: float = 600, tolerances: dict[str, Any] | None = None,
                 artifacts: dict[str, str | Path] | None = None, verbose: bool = True,
                 keep_artifacts: bool = False, command: str | None = None, baseline: str | Path | None = None,
                 max_slowdown: float = 1.25):
        from ..cfg import check_args
        from ..exporters._registry import parse_formats
        from .baseline import load_baseline

        given = {"model": model, "data": data, "format": formats, "imgsz": imgsz, "device": device, "half": half,
                 "int8": int8, "batch": batch, "runs": runs, "warmup": warmup, "threads": threads, "out": out,
                 "check": check, "strict": strict, "timeout": timeout, "verbose": verbose}
        a = check_args("bench", {k: v for k, v in given.items() if v is not None}, caller="the bench")
        model, data, formats, imgsz, device = (a.get(k) for k in ("model", "data", "format", "imgsz", "device"))
        half, int8, batch, runs, warmup = (a.get(k) for k in ("half", "int8", "batch", "runs", "warmup"))
        threads, out, check, strict, timeout, verbose = (a.get(k) for k in ("threads", "out", "check", "strict",
                                                                            "timeout", "verbose"))
        if half and int8:
            raise ConfigError("half=True and int8=True exclude each other; pick one precision")
        self.formats = parse_formats(formats or "all")
        self.artifacts = {k: Path(v) for k, v in (artifacts or {}).items()}
        unknown = sorted(set(self.artifacts) - set(self.formats))
        if unknown:
            raise ConfigError(f"artifacts given for {unknown}, which are not among the formats {self.formats}")
        self.model, self.data, self.imgsz = model, data, imgsz
        self.device, self.half, self.int8 = str(device), bool(half), bool(int8)
        self.batches = parse_batches(batch)
        self.runs = int(runs) if runs is not None else None
        self.warmup, self.threads = int(warmup), (int(threads) if threads else None)
        self.out = Path(out) if out else None
        self.check, self.strict, self.timeout = bool(check), bool(strict), float(timeout)
        self.tolerances = build_tolerances(**(tolerances or {}))
        self.verbose, self.keep_artifacts, self.command = verbose, bool(keep_artifacts), command
        self.baseline = load_baseline(baseline) if baseline else None  # a bad file fails now, not after the run
        self.max_slowdown = float(max_slowdown)
        if self.max_slowdown < 1:
            raise ConfigError(f"max_slowdown={max_slowdown} must be >= 1 (1.25 allows 25% slower than the baseline)")
        self.threads_note: str | None = None
        self._exports: list[isolation.Worker] = []
        self._zygotes: ZygotePool | None = None
        self._progress: Any = None
        self._timeline: dict[str, float] = {}  # seconds per stage of the run, for the report
        self._clock = 0.0

    def _job(self, work: Path, name: str, **kw: Any) -> dict[str, Any]:
        return {"work": str(work), "result": str(work / f"{name}.result.json"), "sys_path": list(sys.path), **kw}

    def _forked(self, target: Any, job: dict[str, Any], timeout: float, work: Path, name: str,
                worker: isolation.Worker | None = None) -> dict[str, Any]:
        """The child's result; without one (it crashed, hung or never started), a failure that says so, marked
        `isolation` (the child process failed, not necessarily what it was working on)."""
        log = work / f"{name}.log"
        oc = worker.run(target, job, timeout, log) if worker else isolation.forked(target, job, timeout, log)
        return oc.result or {"status": "failed", "reason": oc.failure(name, timeout, log), "wall_s": oc.seconds,
                             "isolation": True}

    def _measure(self, row: Row, artifact: Path, work: Path, timeout: float, ctx: dict[str, Any],
                 reference: bool = False) -> None:
        """Run the artifact's child and fill the row from its result."""
        if timeout <= 0:
            row.status, row.reason = "failed", f"no time left of the {self.timeout:g} s timeout after export"
            return
        name = f"run-{row.format}"
        job = self._job(work, name, format=row.format, artifact=str(artifact), device=self.device,
                        threads=self.threads, imgsz=ctx["imgsz"], batches=self.batches, runs=self.runs,
                        warmup=self.warmup, reference=reference, labels_valid=ctx["labels_valid"],
                        files=ctx["files"], tolerances={p: asdict(t) for p, t in self.tolerances.items()})
        log = work / f"{name}.log"
        forks = self._zygotes is not None and torch_backed(row.format)
        zygote = None if reference or forks or self._zygotes is None else self._zygotes.zygote(row.format)
        oc = None
        if reference:  # the checkpoint needs torch: fork it from the server that has torch imported already
            from .child import reference_job

            oc = isolation.forked(reference_job, job, timeout, log)
        elif forks:  # a torch runtime: the torch fork server is its zygote
            from .child import torch_runtime_job

            oc = isolation.forked(torch_runtime_job, job, timeout, log)
        elif zygote is not None:  # forked from its backend's zygote: the backend is imported once per run
            oc = zygote.run(job, timeout, log)
        if oc is None:  # a fresh interpreter: the runtime's own start-up, imports, threads and memory
            zygote = None
            oc = isolation.fresh(CHILD, job, timeout, log, env=isolation.child_env(self.threads))
        res = oc.result or {"status": "failed", "reason": oc.failure("runtime", timeout, log)}
        if forks and oc.result:
            row.import_s = res.get("import_s")
        if zygote is not None and oc.result:
            row.import_s = zygote.import_s
            if res.get("peak_rss_mb") is not None and zygote.peak_rss_mb is not None:
                res["peak_rss_mb"] = max(res["peak_rss_mb"], zygote.peak_rss_mb)
        row.status = res["status"]
        if res.get("reason"):
            row.reason = res["reason"]
        row.seconds = (row.seconds or 0.0) + oc.seconds
        for key in ("precision", "runtime_version", "dynamic", "top1", "top5", "latency", "peak_rss_mb", "load_s",
                    "phases"):
            if res.get(key) is not None:
                setattr(row, key, res[key])
        row.throughput = {str(k): float(v) for k, v in (res.get("throughput") or {}).items()}
        row.e2e_ms = (res.get("e2e") or {}).get("median_ms")
        par = res.get("parity")
        if par:
            row.agreement, row.max_abs, row.mean_abs = par["agreement"], par["max_abs"], par["mean_abs"]
            row.parity_passed, row.parity_failures = bool(par["passed"]), list(par["failures"])
            row.tolerance = par.get("tolerance")

    def _prepare_row(self, fmt: str, ctx: dict[str, Any]) -> tuple[Row, dict[str, Any] | None]:
        """The row, and the export job for it (None: nothing to export, the row says why or has its artifact)."""
        from ..exporters._registry import get_exporter

        spec = get_exporter(fmt)[0]
        row = Row(format=spec.name, title=spec.title)
        if fmt not in self.artifacts:
            try:
                spec.check_available()  # the same error, status and install command as `yolocls export`
            except YoloclsError as e:
                row.status, row.reason = status_of(e), str(e)
                return row, None
        opts, row.requested, ignored = export_options(
            spec, imgsz=ctx["imgsz"], device=self.device, half=self.half, int8=self.int8,
            dynamic=max(self.batches) > 1, data=ctx["data_root"])
        row.not_honoured = [f"{k} (exported {row.requested})" for k in ignored]
        if fmt in self.artifacts:  # check an existing artifact instead of exporting (e.g. a deployed one)
            artifact = self.artifacts[fmt]
            if not artifact.exists():
                raise ConfigError(f"artifact '{artifact}' given for {fmt} does not exist")
            from ..engine.exporter import artifact_size

            row.size_mb = round(artifact_size(artifact) / 2**20, 3)
            row.reason = "existing artifact (not exported by this run)"
            row.artifact = str(artifact)
            return row, None
        work = Path(ctx["work"])
        return row, self._job(work, f"export-{fmt}", format=fmt, checkpoint=ctx["checkpoint"], sha256=ctx["sha256"],
                              source=str(work / "artifacts" / Path(ctx["checkpoint"]).name), options=opts,
                              threads=self.threads)

    def _export_all(self, jobs: dict[str, dict[str, Any]], work: Path) -> dict[str, dict[str, Any]]:
        """Every export job's result. Exports run before any artifact is timed, in up to `export_lanes()`
        workers at once (nothing is timed meanwhile). Each lane takes the next group of `plan_groups` (formats
        that share a converter backend, so that backend is imported and its conversion cached once), the
        costliest first, as it frees up; each export gets the cores over the lanes still exporting."""
        from collections import deque
        from concurrent.futures import ThreadPoolExecutor

        from .artifacts import export_job
        from .environment import usable_cores

        cores = usable_cores()
        groups = deque(plan_groups(jobs))
        free = self.threads if self.threads_note else cores  # a busy machine: as many lanes as cores left free
        lanes = max(1, min(export_lanes(free), len(groups)))
        while len(self._exports) < lanes:
            self._exports.append(isolation.Worker())
        results: dict[str, dict[str, Any]] = {}
        stop = threading.Event()
        lock = threading.Lock()
        working = [lanes]  # lanes that may still start an export

        def next_group() -> list[str]:
            with lock:
                if groups and not stop.is_set():
                    return groups.popleft()
                working[0] -= 1
                return []

        def run_lane(i: int) -> None:
            while group := next_group():
                for fmt in group:
                    if stop.is_set():
                        return
                    job = jobs[fmt]
                    if lanes > 1 and not self.threads:  # a lane with every core oversubscribes them (measured
                        # slower) while other lanes export; the last lane exporting gets them all
                        job = {**job, "threads": max(1, cores // max(1, working[0]))}
                    results[fmt] = self._forked(export_job, job, self.timeout, work, f"export-{fmt}",
                                                worker=self._exports[i])
                    if self._progress is not None:
                        self._progress(f"exported {fmt}")

        if lanes == 1:
            run_lane(0)
            return results
        pool = ThreadPoolExecutor(lanes, thread_name_prefix="bench-export")
        try:
            for f in [pool.submit(run_lane, i) for i in range(lanes)]:
                f.result()
        except BaseException:  # Ctrl-C, SIGTERM: no new export starts, the running ones are killed (their lane
            stop.set()  # threads then see the worker's pipe close and end)
            for w in self._exports:
                w.kill()
            raise
        finally:
            pool.shutdown(wait=True, cancel_futures=True)
        return results

    def _finish_row(self, row: Row, res: dict[str, Any] | None, work: Path, ctx: dict[str, Any]) -> Row:
        """Fill `row` from its export's result (if it had one), then run and time its artifact."""
        from ..runtimes import unavailable_reason

        if res is not None:
            row.seconds = res.get("wall_s")
            if res["status"] != "ok":
                row.status, row.reason = res["status"], res.get("reason", "")
                return row
            row.artifact = res["path"]
            row.export_s, row.size_mb = res.get("seconds"), res.get("size_mb")
        elif row.artifact is None:  # not available here: nothing was exported
            return row
        why = unavailable_reason(row.format, self.device)
        if why:
            row.status, row.reason = "unavailable", f"exported, not run: {why}"
            return row
        # each format's timeout covers its export and its run
        self._measure(row, Path(row.artifact), work, self.timeout - ((res or {}).get("wall_s") or 0.0), ctx)
        return row

    def _mark(self, stage: str) -> None:
        """Close `stage` of the timeline (seconds since the previous mark)."""
        now = time.perf_counter()
        self._timeline[stage] = round(self._timeline.get(stage, 0.0) + now - self._clock, 2)
        self._clock = now

    def _inspect(self, work: Path) -> dict[str, Any]:
        from .artifacts import inspect_job

        model = self.model
        if model is None:
            from .demo import demo_checkpoint

            model = demo_checkpoint(verbose=self.verbose)
        job = self._job(work, "inspect", model=str(model), imgsz=self.imgsz)
        info = self._forked(inspect_job, job, self.timeout, work, "inspect")
        if info.get("isolation"):
            raise BenchError(f"the bench's child process that reads the reference model '{model}' gave no result "
                             f"({info.get('reason')}); the child failed, which says nothing about the model")
        if info["status"] != "ok":
            raise BenchError(f"cannot use '{model}' as the reference model (give a yolocls .pt checkpoint or a model "
                             f"YAML): {info.get('reason')}")
        return info

    def run(self) -> BenchReport:
        from concurrent.futures import ThreadPoolExecutor

        from .environment import load_average, manifest
        from .report import report_name, unique_name

        t_start = self._clock = time.perf_counter()
        created = datetime.now().astimezone()
        load_start = load_average()
        foreign_start = self._threads_on_busy_machine()
        isolation.start_fork_server()  # its torch import overlaps the parent's own start-up
        # The manifest reads every installed package's file list (~0.6 s here): read while this process only
        # waits for its children, not after the last row.
        background = ThreadPoolExecutor(1, thread_name_prefix="bench-manifest")
        env_future = background.submit(manifest, self._modules())
        background.shutdown(wait=False)
        with work_folder(self.verbose) as work:
            try:
                info, imgsz, data, val, rows = self._run_in(work)
                name = report_name(info["checkpoint"], info["model_name"], imgsz, created)
                if self.out:
                    name = unique_name(self.out, name)
                kept = self._keep(rows, work, self.out / f"{name}_artifacts") if self.keep_artifacts and self.out \
                    else None
                for r in rows:  # what stays in the temp folder is deleted with it: the report must not point there
                    if r.artifact and Path(r.artifact).is_relative_to(work):
                        r.artifact = None
            finally:
                for w in self._exports:
                    w.close()
        env = env_future.result()
        env["runtimes"] = {r.format: r.runtime_version for r in rows if r.runtime_version}
        env["load_average"] = {"start": load_start, "end": load_average()}  # other processes' work skews timings
        env["foreign_load_start"] = foreign_start  # cores' worth other processes used as the run started
        gate = evaluate_gate(rows)
        settings = {"model": str(self.model or info["checkpoint"]), "model_name": info["model_name"],
                    "demo": self.model is None, "data": str(data), "val_images": val["images"], "imgsz": imgsz,
                    "device": self.device, "formats": self.formats, "half": self.half, "int8": self.int8,
                    "batch": self.batches, "runs": self.runs or "adaptive", "warmup": self.warmup,
                    "threads": self.threads, "threads_note": self.threads_note, "schedule": schedule(rows),
                    "timeout": self.timeout,
                    "check": self.check, "tolerances": {p: asdict(t) for p, t in self.tolerances.items()},
                    "command": self.command, "artifacts": str(kept) if kept else None,
                    "baseline": self.baseline["_path"] if self.baseline else None, "max_slowdown": self.max_slowdown}
        report = BenchReport(rows=rows, settings=settings, environment=env, gate=gate, name=name,
                             created=created.isoformat(timespec="seconds"))
        regressed = False
        if self.baseline is not None:
            from .baseline import compare

            report.baseline = compare(self.baseline, report.to_dict(), self.max_slowdown)
            regressed = not report.baseline.passed
        failed = [r.format for r in rows if r.status == "failed"]
        report.exit_code = 1 if (self.check and (not gate.passed or regressed)) or (self.strict and failed) else 0
        self._mark("gate and summary")
        report.wall_s = round(time.perf_counter() - t_start, 2)
        report.timeline = self._timeline
        if self.out:
            from .report import write_reports

            report.files = write_reports(report, self.out)
        if self.verbose:
            from .report import print_summary

            print_summary(report, check=self.check, strict=self.strict)
        return report

    def _run_in(self, work: Path) -> tuple[dict[str, Any], int, str, dict[str, Any], list[Row]]:
        """Everything that uses the scratch folder: the reference, the val split, every format's row."""
        (work / "artifacts").mkdir()
        self._zygotes = self._start_zygotes(work)  # their imports run beside everything until the runs
        try:
            info = self._inspect(work)
            self._mark("reading the model")
            imgsz = int(self.imgsz or info["imgsz"])
            if imgsz % 32:
                new = -(-imgsz // 32) * 32
                warnings.warn(f"imgsz={imgsz} is not a multiple of stride 32; using imgsz={new}", stacklevel=3)
                imgsz = new
            data = self.data or info["data"] or "digits"
            val = prepare_val(str(data), imgsz, len(info["names"]), work)
            self._mark("val split")
            ctx = {"imgsz": imgsz, "checkpoint": info["checkpoint"], "sha256": info["sha256"],
                   "data_root": val["root"], "labels_valid": val["labels_valid"], "files": val["files"]}
            rows = self._all_rows(work, ctx, info)  # closes the zygotes when the runs are over
        except BaseException:  # a model or data that cannot be used: no zygote outlives the run
            if self._zygotes is not None:
                self._zygotes.close()
                self._zygotes = None
            raise
        return info, imgsz, str(data), val, rows

    def _threads_on_busy_machine(self) -> float | None:
        """On a machine already busy, multi-threaded runtimes spend their time waiting for descheduled threads
        (eager PyTorch at 32 px went from ~1 ms to 600 ms at load 3 on 2 cores): time with the cores other
        processes leave free then, exporting one format at a time when one core is left, unless --threads says
        otherwise, and say so in the report. The rule is `_cpu`'s, as for training and predict: other processes'
        use measured now, over BUSY_WINDOW_S (the 1-minute load average only where there is no /proc/stat: it
        lags, so a run started right after another heavy job took that job's decay for a busy machine).
        Returns the foreign load measured (cores' worth; None where it could not be measured)."""
        from .._cpu import cores_taken, other_load, pick_threads, usable_cores

        cores = usable_cores()
        load, measured = other_load(BUSY_WINDOW_S)
        busy = cores_taken(load)
        if self.threads is None and busy:
            self.threads = pick_threads(cores, busy)
            seen = (f"other processes used {load:.1f} of its {cores} cores" if measured
                    else f"load average {load + 1:.1f} on {cores} cores")
            self.threads_note = (f"the machine was busy when the run started ({seen}), so every runtime ran with "
                                 f"{self.threads} thread{'s' if self.threads > 1 else ''}; pass --threads N to "
                                 "choose")
            if self.verbose:
                print(f"note: {self.threads_note}", file=sys.stderr)
        return round(load, 2) if measured else None

    def _all_rows(self, work: Path, ctx: dict[str, Any], info: dict[str, Any]) -> list[Row]:
        from tqdm import tqdm

        from ..runtimes import detect_format

        ckpt = Path(info["checkpoint"])
        ref = Row(format=detect_format(ckpt), title="PyTorch", reference=True, artifact=str(ckpt),
                  size_mb=round(info["size_mb"], 3), reason="reference")
        bar = tqdm(total=1 + len(self.formats), desc="bench", unit="format", disable=not self.verbose,
                   file=sys.stderr, dynamic_ncols=True)
        ctx = {**ctx, "work": str(work)}
        prepared = {fmt: self._prepare_row(fmt, ctx) for fmt in self.formats}
        jobs = {fmt: job for fmt, (_, job) in prepared.items() if job is not None}
        self._progress = bar.set_postfix_str
        if self.out:  # the chart's matplotlib, imported while this process only waits for the exports
            from .chart import start_import

            start_import()
        try:
            try:
                results = self._export_all(jobs, work)
            finally:
                self._progress = None
                self._mark("exports")
            if self._zygotes is not None:
                self._zygotes.wait_all()  # nothing imports any more while artifacts are timed
                self._mark("waiting for runtime imports")
            # The reference runs first of the rows (its probabilities are what every row is compared with),
            # after the exports: timing it then has the machine to itself, as every row does.
            bar.set_postfix_str(ref.format)
            self._measure(ref, ckpt, work, self.timeout, ctx, reference=True)
            bar.update()
            if not ref.ran:
                raise BenchError(f"the reference ({ckpt}) did not run, so nothing can be compared with it: "
                                 f"{ref.reason}")
            rows = [ref]
            for fmt, (row, _) in prepared.items():  # one artifact at a time: timing has the machine to itself
                bar.set_postfix_str(fmt)
                rows.append(self._finish_row(row, results.get(fmt), work, ctx))
                if self._zygotes is not None:
                    self._zygotes.done_with(fmt)
                bar.update()
        finally:
            if self._zygotes is not None:
                self._zygotes.close()
                self._zygotes = None
            self._mark("runs")
            bar.close()
        return rows

    def _start_zygotes(self, work: Path) -> ZygotePool | None:
        """The run zygotes (bench/zygote.py) of the formats that will run here, started before anything else
        (their imports fill the cores while the reference model is read); None when zygotes are off."""
        from ..exporters._registry import get_exporter
        from ..runtimes import unavailable_reason
        from .zygote import enabled

        if not enabled():
            return None

        def exportable(fmt: str) -> bool:
            try:
                get_exporter(fmt)[0].check_available()
            except YoloclsError:
                return False
            return True

        runs = [fmt for fmt in self.formats if (fmt in self.artifacts or exportable(fmt))
                and not unavailable_reason(fmt, self.device) and not torch_backed(fmt)]
        return ZygotePool(runs, work, self.threads) if runs else None

    def _keep(self, rows: list[Row], work: Path, dest: Path) -> Path:
        """Move every artifact of the run (and a reference checkpoint built from a YAML) out of the temp folder
        into `dest` (a folder of this report's own), and point the rows at the moved files."""
        base, n = dest, 1
        while dest.exists():  # never mix artifacts of two runs
            n += 1
            dest = base.with_name(f"{base.name}-{n}")
        dest.mkdir(parents=True)
        for r in rows:
            if r.artifact and Path(r.artifact).is_relative_to(work) and Path(r.artifact).exists():
                target = dest / Path(r.artifact).name
                shutil.move(r.artifact, target)
                r.artifact = str(target)
        return dest

    def _modules(self) -> list[str]:
        from ..exporters._registry import get_exporter

        return [m for f in self.formats for m in get_exporter(f)[0].requires]


def schedule(rows: list[Row]) -> str:
    """How the run shared the machine, for the report's notes."""
    if any(r.import_s is not None for r in rows):
        return ("every export ran first; each artifact then ran alone, in a process of its own forked from a "
                "zygote that had imported its runtime's backend beside the exports (import s, apart from load s; "
                "torch runtimes fork from the torch fork server, as the reference)")
    return "every export ran first; each artifact then ran alone, in a fresh interpreter (load s includes imports)"


def export_lanes(cores: int) -> int:
    """How many exports run at once: YOLOCLS_BENCH_EXPORT_LANES, else 2 where there are 2 cores or more.
    On this project's 2-core machine, every format of yolov8n-cls at 32 px: one lane 92 s, two lanes 72 s;
    two lanes with one torch thread per export worker 81 and 61 s against 91 and 69 s with two each (A B A B;
    the machine's noise is that large), so two lanes get cores // 2 torch threads each."""
    import os

    env = os.environ.get("YOLOCLS_BENCH_EXPORT_LANES", "")
    if env.isdigit():
        return max(1, int(env))
    return 2 if cores >= 2 else 1


def plan_groups(jobs: dict[str, dict[str, Any]]) -> list[list[str]]:
    """The formats of `jobs` as export groups: formats of one `ExporterSpec.group` (by default, exporters that
    require the same first module) are exported one after another by one worker (a shared import and
    conversion cache), in the run's format order. The groups come costliest first (the sum of their exporters'
    `cost_s`): lanes that take the next group as they free up then start the longest exports first and end
    together."""
    from ..exporters._registry import get_exporter

    groups: dict[str, list[str]] = {}
    for fmt in jobs:
        groups.setdefault(get_exporter(fmt)[0].group, []).append(fmt)
    return sorted(groups.values(), key=lambda g: -sum(get_exporter(f)[0].cost_s for f in g))


# What a default of None means, for help texts (`yolocls bench --help` shows these instead of "None").
NONE_MEANS = {"model": "(the built-in demo)", "data": "(the checkpoint's training data, else digits)",
              "imgsz": "(the checkpoint's)", "runs": "(adaptive: 100, fewer for slow runtimes)",
              "threads": "(each runtime's own)", "baseline": "(none)", "out": "(no files)"}
CLI_TO_PARAM = {"format": "formats", "keep": "keep_artifacts"}
CLI_KEYS = ("model", "data", "imgsz", "batch", "device", "verbose", "half", "int8", "runs", "warmup", "threads",
            "out", "check", "timeout", "strict", "format", "keep", "baseline", "max_slowdown")


def cli_defaults() -> dict[str, Any]:
    """{CLI argument: the default `Bench` really uses}, read from its signature, so help cannot drift from it."""
    params = inspect.signature(Bench.__init__).parameters
    out: dict[str, Any] = {}
    for key in CLI_KEYS:
        default = params[CLI_TO_PARAM.get(key, key)].default
        out[key] = NONE_MEANS.get(key, default) if default is None else default
    out.update({k: "(bench/parity.py TOLERANCES)" for k in TOLERANCE_KEYS})
    return out


def benchmark(**kwargs: Any) -> BenchReport:
    """Run the bench and return the whole report (rows, environment, gate, report files, exit code).

    Arguments are those of `yolocls-bench` (see `Bench`), plus `tolerances={'max_abs': ...}`,
    `artifacts={'fmt': path}` (check an existing artifact instead of exporting) and `keep_artifacts`.
    """
    return Bench(**kwargs).run()


def run(model: str | Path | None = None, data: str | None = None, formats: Any = "all", **kwargs: Any) -> list[Row]:
    """Benchmark `model` (a .pt checkpoint; None: the built-in demo) over `formats`; returns one Row per format,
    the .pt reference first. Writes the reports to `out` (default reports/; None: no files).

    >>> rows = yolocls.bench.run(model="best.pt", data="digits", formats="onnx,openvino", imgsz=32)
    """
    return benchmark(model=model, data=data, formats=formats, **kwargs).rows


def bench_cli(args: dict[str, Any]) -> int:
    """`yolocls bench key=value ...` / `yolocls-bench --key value ...`: returns the exit code
    (1 when --check finds a parity breach or --strict a failed format)."""
    args = dict(args)
    command = " ".join(["yolocls-bench", *(f"--{k.replace('_', '-')} {v}" for k, v in args.items())])
    tolerances = {k: args.pop(k) for k in TOLERANCE_KEYS if k in args}
    fmt = args.pop("format", None)
    kw = {CLI_TO_PARAM.get(k, k): v for k, v in args.items() if v is not None}
    extra = sorted(k for k in args if k not in CLI_KEYS and args[k] is not None)
    if extra:
        raise ConfigError(f"'yolocls bench' does not take {', '.join(extra)}; see 'yolocls bench --help'")
    import signal
    import threading

    def terminate(signum: int, frame: Any) -> None:  # SIGTERM (kill, a CI timeout): clean up like Ctrl-C does
        raise SystemExit(128 + signum)

    main = threading.current_thread() is threading.main_thread()
    previous = signal.signal(signal.SIGTERM, terminate) if main else None
    try:
        report = benchmark(formats=fmt or "all", tolerances=tolerances, command=command, **kw)
    finally:
        if main:
            signal.signal(signal.SIGTERM, previous)
    return report.exit_code
