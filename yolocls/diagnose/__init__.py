"""Diagnose an export that disagrees with PyTorch: where it diverges, and which blocks int8 hurts.

    from yolocls.diagnose import diff

    report = diff("best.pt", "best.onnx")                 # block-by-block comparison, printed as a table
    report.artifacts[0].first_divergent                   # the first block over tolerance, or None
    diff("best.pt", "best_int8_openvino_model", sensitivity=True, save=True)   # + int8 ranking, runs/classify/diffN/

`yolocls diff model=best.pt artifact=best.onnx` is the same from the command line.
"""

from .diff import compare_artifact, diff
from .results import ArtifactDiff, DiffReport

__all__ = ["ArtifactDiff", "DiffReport", "compare_artifact", "diff"]
