"""The results of `yolocls diff`: one ArtifactDiff per artifact, gathered in a DiffReport."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .compare import BlockError, first_divergent


@dataclass
class ArtifactDiff:
    """One artifact against the reference: a row per block (network order) and the output's figures."""

    artifact: str
    format: str
    precision: str
    tolerance: float
    blocks: list[BlockError]
    output: dict[str, float]  # max_abs, agreement (top-1 of the artifact equal to the reference's)
    exposes_blocks: bool
    reason: str = ""  # why the blocks could not be read (with exposes_blocks False)
    seconds: float = 0.0
    notes: list[str] = field(default_factory=list)

    @property
    def first_divergent(self) -> BlockError | None:
        return first_divergent(self.blocks)

    def to_dict(self) -> dict[str, Any]:
        first = self.first_divergent
        return {"artifact": self.artifact, "format": self.format, "precision": self.precision,
                "tolerance": self.tolerance, "exposes_blocks": self.exposes_blocks, "reason": self.reason,
                "first_divergent": {"index": first.index, "name": first.name, "type": first.type} if first else None,
                "output": self.output, "blocks": [b.to_dict() for b in self.blocks], "seconds": self.seconds,
                "notes": self.notes}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> ArtifactDiff:
        """An ArtifactDiff from its `to_dict()` (report.json), e.g. to render a saved report again."""
        keys = ("artifact", "format", "precision", "tolerance", "output", "exposes_blocks", "reason", "seconds",
                "notes")
        return cls(blocks=[BlockError(**b) for b in d["blocks"]], **{k: d[k] for k in keys})


@dataclass
class DiffReport:
    """Everything one `yolocls diff` produced; `files` holds the report paths with save=True."""

    model: str
    data: str
    images: int
    imgsz: int
    depth: int
    artifacts: list[ArtifactDiff]
    sensitivity: list[Any] = field(default_factory=list)  # diagnose.sensitivity.Sensitivity per int8 artifact
    seconds: float = 0.0
    files: dict[str, Path] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {"model": self.model, "data": self.data, "images": self.images, "imgsz": self.imgsz,
                "depth": self.depth, "seconds": self.seconds, "artifacts": [a.to_dict() for a in self.artifacts],
                "sensitivity": [s.to_dict() for s in self.sensitivity]}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> DiffReport:
        """A DiffReport from its `to_dict()` (report.json); the sensitivity part is not read back."""
        return cls(model=d["model"], data=d["data"], images=d["images"], imgsz=d["imgsz"], depth=d["depth"],
                   artifacts=[ArtifactDiff.from_dict(a) for a in d["artifacts"]], seconds=d["seconds"])
