"""`yolocls checks`: this machine as the bench sees it: the environment manifest of its reports, the settings,
and per format whether it exports here, whether its artifacts run here, and why not.

Every answer is the format plugins' own (the exporter spec's required modules, the runtime's
`unavailable_reason`); nothing here names a format or imports a backend.
"""

from __future__ import annotations

from typing import Any


def format_checks(device: str = "cpu") -> list[dict[str, Any]]:
    """One entry per registered format: export ('ok' or the install command), run ('ok' or why not) and the
    versions of the packages it needs."""
    from ..errors import YoloclsError
    from ..exporters._registry import exporter_names, get_exporter
    from ..formats import REFERENCE_FORMAT
    from ..runtimes import unavailable_reason
    from .environment import module_versions

    rows = [{"format": REFERENCE_FORMAT, "export": "(the checkpoint itself)",
             "run": unavailable_reason(REFERENCE_FORMAT, device) or "ok", "versions": module_versions(["torch"])}]
    for name in exporter_names():
        spec = get_exporter(name)[0]
        try:
            spec.check_available()
            export = "ok"
        except YoloclsError as e:
            export = str(e)
        why = unavailable_reason(name, device)
        rows.append({"format": name, "export": export,
                     "run": why or ("ok" if export == "ok" else "needs the export's packages"),
                     "versions": module_versions(list(spec.requires))})
    return rows


def checks(device: str = "cpu") -> dict[str, Any]:
    """The environment manifest (as bench reports record it), the settings in force, and `format_checks`."""
    from ..exporters._registry import exporter_names, get_exporter
    from ..settings import describe, settings_file
    from .environment import manifest

    modules = [m for n in exporter_names() for m in get_exporter(n)[0].requires]
    return {"environment": manifest(modules), "settings_file": str(settings_file()),
            "settings": {k: v for k, (v, _) in describe().items()}, "device": device,
            "formats": format_checks(device)}


def render(report: dict[str, Any]) -> str:
    env = report["environment"]
    lines = [f"yolocls {env['yolocls']}" + (f" ({env['git_commit']})" if env.get("git_commit") else ""),
             f"Python {env['python']} on {env['os']}",
             f"CPU {env['cpu']}: {env['usable_cores']} of {env['cores']} cores usable, "
             f"{env.get('memory_gb')} GB memory; features: {' '.join(env.get('cpu_flags') or []) or 'none listed'}",
             f"torch {env.get('torch')}, numpy {env.get('numpy')}",
             f"settings: {report['settings_file']}"]
    lines += [f"  {k} = {v}" for k, v in report["settings"].items()]
    lines += ["", f"formats (device {report['device']}):"]
    width = max(len(r["format"]) for r in report["formats"])
    for r in report["formats"]:
        versions = ", ".join(f"{k} {v}" for k, v in r["versions"].items()) or "-"
        lines.append(f"  {r['format']:<{width}}  export: {r['export']}")
        lines.append(f"  {'':<{width}}  run:    {r['run']}")
        lines.append(f"  {'':<{width}}  uses:   {versions}")
    ok = [r["format"] for r in report["formats"] if r["run"] == "ok"]
    lines += ["", f"{len(ok)} of {len(report['formats'])} formats export and run here: {', '.join(ok)}"]
    return "\n".join(lines)


def checks_cli(args: dict[str, Any]) -> int:
    """`yolocls checks [device=cpu]`: prints the checks; always exits 0 (it reports, it does not judge)."""
    print(render(checks(str(args.get("device") or "cpu"))))
    return 0
