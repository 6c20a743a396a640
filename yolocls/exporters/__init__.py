"""Exporters: one plugin per format, each turning a PyTorch ClassificationModel into an artifact.

A format's exporter is a frozen `ExporterSpec` and one `export(ctx) -> Path` function, registered by name.
Third-party formats use the same API (and register through the `yolocls.formats` entry-point group):

    from yolocls.exporters import ExportContext, ExporterSpec, register_exporter

    @register_exporter(ExporterSpec(name="myfmt", title="My format", suffix=".my", options=frozenset({"imgsz"})))
    def export(ctx: ExportContext) -> Path:
        ...  # write ctx.path from ctx.model (options in ctx.opts, metadata in ctx.metadata)
        return ctx.path

Importing this package imports no converter (each plugin imports its own inside `export`).
"""

from ._context import ExportContext, ExportOptions
from ._registry import OPTIONS, ExporterSpec, exporter_names, get_exporter, parse_formats, register_exporter

__all__ = ["OPTIONS", "ExportContext", "ExportOptions", "ExporterSpec", "exporter_names", "get_exporter",
           "parse_formats", "register_exporter"]
