"""OpenVINO backend: runs the precision the IR was exported for, and says which precision actually ran.

On CPUs with AVX512-BF16 or AMX, OpenVINO computes in bf16 unless told otherwise; so compilation always
passes an explicit INFERENCE_PRECISION_HINT (f32 for fp32/int8 IRs, f16 for fp16 IRs where the CPU has
FP16 compute, else f32), bf16 only when asked for (`precision="bf16"`), and reads the hint back from
the compiled model: on a CPU without bf16 a bf16 request silently runs f32, and `precision` says so.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from .. import metadata as md_io
from ..errors import (
    ArtifactError,
    ArtifactMissingError,
    ConfigError,
    MetadataError,
    PlatformNotSupportedError,
)
from ._base import Runtime
from ._registry import register_runtime

_OV_TYPES = {"fp32": "f32", "fp16": "f16", "bf16": "bf16"}
_NAMES = {v: k for k, v in _OV_TYPES.items()}
_COARSENESS = {"fp32": 0, "fp16": 1, "bf16": 2, "int8": 3}  # bf16 keeps 8 mantissa bits, fp16 11
RT_INFO_PATH = ["yolocls", "metadata"]  # where the metadata JSON lives inside the IR (beside it: metadata.yaml)


@register_runtime
class OpenVINORuntime(Runtime):
    """Options: `precision` (auto = the artifact's | fp32 | bf16 | fp16: the compute precision to ask for),
    `hint` (LATENCY | THROUGHPUT), `threads` (INFERENCE_NUM_THREADS). Device: cpu (default), gpu, npu, auto."""

    name = "openvino"
    backend_modules = ("openvino",)
    suffixes = ("_openvino_model", ".xml")
    extra = "openvino"
    content = "xml"

    def load(self) -> None:
        self.ov = ov = self.require("openvino")
        folder, xml = self._files()
        core = ov.Core()
        try:
            model = core.read_model(str(xml))
        except RuntimeError as e:
            cause = next((ln.strip() for ln in str(e).splitlines() if ln.strip()), type(e).__name__)[:200]
            raise ArtifactError(xml, self.name, f"OpenVINO could not read the IR: its .xml (or .bin) is truncated "
                                                f"or damaged ({cause})") from None
        if (folder / md_io.METADATA_FILE).is_file():
            self.metadata = md_io.read_metadata_file(folder)
        elif model.has_rt_info(RT_INFO_PATH):
            self.metadata = md_io.loads(model.get_rt_info(RT_INFO_PATH).astype(str))
        else:
            raise MetadataError(f"'{folder}' has no yolocls metadata (metadata.yaml or rt_info); re-export it with "
                                "yolocls")
        device = self._ov_device(core)
        config = {"INFERENCE_PRECISION_HINT": self._requested_compute(core, device),
                  "PERFORMANCE_HINT": str(self.options.get("hint", "LATENCY")).upper()}
        if config["PERFORMANCE_HINT"] not in ("LATENCY", "THROUGHPUT"):
            raise ConfigError(f"openvino hint='{self.options['hint']}' is not valid; use LATENCY or THROUGHPUT")
        if self.options.get("threads"):
            config["INFERENCE_NUM_THREADS"] = int(self.options["threads"])
        self.hint = config["PERFORMANCE_HINT"]
        self._compile_args = (core, xml, device, config)
        self._block_request = None
        self.compiled = core.compile_model(model, device, config)
        self.request = self.compiled.create_infer_request()
        ran = self.compiled.get_property("INFERENCE_PRECISION_HINT").get_type_name()
        self.compute_precision = _NAMES.get(ran, ran)  # what the compiled model reports, not what we asked

    def _files(self) -> tuple[Path, Path]:
        """(folder, .xml); the .bin beside the .xml must exist (OpenVINO's own error for it is unclear)."""
        if self.path.is_file():
            folder, xml = self.path.parent, self.path
        else:
            xmls = sorted(self.path.glob("*.xml"))
            if len(xmls) != 1:
                what = "no OpenVINO .xml" if not xmls else f"{len(xmls)} .xml files ({', '.join(x.name for x in xmls)})"
                raise ArtifactMissingError(self.path, self.name, f"the folder holds {what}; it should hold exactly "
                                                                 "one <name>.xml with its <name>.bin")
            folder, xml = self.path, xmls[0]
        if not xml.with_suffix(".bin").is_file():
            raise ArtifactMissingError(xml.with_suffix(".bin"), self.name, f"the weights file beside {xml.name} is "
                                                                           "missing")
        return folder, xml

    def _ov_device(self, core) -> str:
        d = self.device.lower() or "cpu"
        if d.isdigit() or d.startswith("cuda"):
            raise ConfigError(f"device='{self.device}' is a CUDA device; OpenVINO runs on Intel devices: "
                              f"cpu, gpu, npu or auto (available here: {', '.join(core.available_devices)})")
        dev = d.upper()
        if dev != "AUTO" and dev.split(".")[0] not in {a.split(".")[0] for a in core.available_devices}:
            raise PlatformNotSupportedError("openvino", f"device {dev} is not present (available: "
                                                        f"{', '.join(core.available_devices)})")
        return dev

    def _requested_compute(self, core, device: str) -> str:
        want = str(self.options.get("precision") or "auto").lower()
        if want == "auto":
            want = self.metadata.get("precision", "fp32")
            caps = core.get_property("CPU", "OPTIMIZATION_CAPABILITIES") if device == "CPU" else ["FP16"]
            if want != "fp16" or "FP16" not in caps:
                want = "fp32"  # fp32 and int8 IRs run their float parts in f32; fp16 where the CPU can
        if want not in _OV_TYPES:
            raise ConfigError(f"openvino precision='{want}' is not valid; use auto, fp32, fp16 or bf16")
        return _OV_TYPES[want]

    @property
    def precision(self) -> str:
        """The coarsest of the artifact's stored precision and the compute precision that ran."""
        stored = str(self.metadata.get("precision", "fp32"))
        return max(stored, self.compute_precision, key=lambda p: _COARSENESS.get(p, 0))

    def version(self) -> str:
        return self.ov.get_version()

    def forward(self, x: np.ndarray) -> np.ndarray:
        self.request.infer({0: x})
        return self.request.get_output_tensor(0).data.copy()

    def forward_chunks(self, chunks: list[np.ndarray]) -> list[np.ndarray]:
        """THROUGHPUT: several inference requests in flight at once (one per stream OpenVINO chose)."""
        if len(chunks) < 2 or self.hint != "THROUGHPUT":
            return super().forward_chunks(chunks)
        out: list[np.ndarray | None] = [None] * len(chunks)

        def done(request, i: int) -> None:
            out[i] = request.get_output_tensor(0).data.copy()

        queue = self.ov.AsyncInferQueue(self.compiled)
        queue.set_callback(done)
        for i, c in enumerate(chunks):
            queue.start_async({0: c}, i)
        queue.wait_all()
        return out

    def forward_blocks(self, x: np.ndarray, entries: list[dict]) -> dict[str, np.ndarray]:
        """The block tensors (named in the block map) as extra outputs of a second compiled model, compiled
        with the same device and precision hint as the one `predict` runs."""
        names = [e["tensor"] for e in entries]
        if self._block_request is None or self._block_request[0] != names:
            core, xml, device, config = self._compile_args
            model = core.read_model(str(xml))
            known = {n for op in model.get_ops() for o in op.outputs() for n in o.get_names()}
            missing = [n for n in names if n not in known]
            if missing:
                raise MetadataError(f"'{self.path}' has no tensors {missing[:3]} that its block map names; re-export it")
            model.add_outputs(names)
            compiled = core.compile_model(model, device, config)
            self._block_request = (names, compiled, compiled.create_infer_request())
        _, compiled, request = self._block_request
        request.infer({0: x})
        return {e["name"]: request.get_tensor(compiled.output(e["tensor"])).data.copy() for e in entries}
