"""Models: YOLOv8-cls blocks, YAML configs at scales n/s/m/l/x, profiling and safe checkpoints."""

from .checkpoint import checkpoint_from_model, model_from_checkpoint, save_checkpoint, transfer_weights
from .classify import ClassificationModel, check_imgsz, randomize_batchnorm
from .load import load_checkpoint
from .profile import count_flops, count_params, model_info

__all__ = ["ClassificationModel", "check_imgsz", "checkpoint_from_model", "count_flops", "count_params", "randomize_batchnorm",
           "load_checkpoint", "model_from_checkpoint", "model_info", "save_checkpoint", "transfer_weights"]
