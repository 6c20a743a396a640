import pytest
import torch
from torch.utils.flop_counter import FlopCounterMode

from yolocls.errors import ConfigError
from yolocls.models import ClassificationModel, check_imgsz, count_flops, count_params, randomize_batchnorm

PUBLISHED_PARAMS = {"n": 2_719_288, "s": 6_361_736, "m": 17_053_336, "l": 37_480_744, "x": 57_422_840}
# What Ultralytics 8.4.190 builds at nc=1000; its two classification YAMLs build the same network.
YOLO11_PARAMS = {"n": 2_812_104, "s": 6_724_008, "m": 11_634_216, "l": 14_115_624, "x": 29_637_064}
FAMILY_PARAMS = {**{f"yolov8{s}-cls.yaml": n for s, n in PUBLISHED_PARAMS.items()},
                 **{f"{f}{s}-cls.yaml": n for f in ("yolo11", "yolo26") for s, n in YOLO11_PARAMS.items()}}


@pytest.mark.parametrize("name", FAMILY_PARAMS)
def test_param_counts_match_published_architecture(name):
    with torch.device("meta"):  # counting needs no memory, even for yolov8x-cls
        model = ClassificationModel(name)
    assert count_params(model) == FAMILY_PARAMS[name]


@pytest.mark.parametrize("name", [f"{f}{s}-cls.yaml" for f in ("yolov8", "yolo11") for s in "nsmlx"])
@pytest.mark.parametrize("imgsz", [224, 640])
def test_flops_equal_torch_flop_counter(name, imgsz):
    """Every convolution, linear layer and attention matrix product is counted (torch's counter sees them all)."""
    with torch.device("meta"):
        model = ClassificationModel(name).eval()
    counter = FlopCounterMode(display=False)
    with counter, torch.no_grad():
        model(torch.empty(1, 3, imgsz, imgsz, device="meta"))
    assert count_flops(model, imgsz) == counter.get_total_flops()


def test_true_flops_are_below_published_table_by_the_linear_head():
    # The published 4.3 GFLOPs at 640 counts the Linear at 20x20 positions; the true count is ~3.29.
    g = count_flops(ClassificationModel("yolov8n-cls.yaml"), 640) / 1e9
    assert 3.2 < g < 3.35


def test_eval_outputs_probabilities_and_train_outputs_logits():
    m = ClassificationModel("yolov8n-cls.yaml", nc=7)
    x = torch.rand(2, 3, 64, 64)
    m.eval()
    p = m(x)
    assert p.shape == (2, 7) and torch.allclose(p.sum(1), torch.ones(2), atol=1e-5)
    m.train()
    assert not torch.allclose(m(x).sum(1), torch.ones(2))


def test_nc_and_channels_override_yaml():
    m = ClassificationModel("yolov8n-cls.yaml", ch=1, nc=5).eval()
    assert m.model[0].conv.in_channels == 1 and m(torch.rand(1, 1, 32, 32)).shape == (1, 5)


def test_fuse_keeps_outputs():
    torch.manual_seed(0)
    m = randomize_batchnorm(ClassificationModel("yolov8n-cls.yaml", nc=10).eval())  # non-trivial BN statistics
    x = torch.rand(2, 3, 64, 64)
    with torch.no_grad():
        before = m(x)
        after = m.fuse()(x)
    assert m.is_fused
    assert torch.allclose(before, after, atol=1e-5)


def test_imgsz_rounds_up_to_stride_with_warning():
    with pytest.warns(UserWarning, match="multiple of stride"):
        assert check_imgsz(100) == 128
    assert check_imgsz(224) == 224


@pytest.mark.parametrize("bad", ["yolov9q-cls.yaml", "nonexistent.yaml"])
def test_unknown_model_names_the_fix(bad):
    with pytest.raises(ConfigError, match="yolov8n-cls.yaml"):
        ClassificationModel(bad)


def test_unknown_scale_and_block_are_clear(tmp_path):
    import yaml

    cfg = yaml.safe_load(open(__import__("yolocls").models.config.CFG_DIR / "yolov8-cls.yaml"))
    with pytest.raises(ConfigError, match="unknown scale 'q'"):
        ClassificationModel({**cfg, "scale": "q"})
    cfg["backbone"][0][2] = "SPPF"
    p = tmp_path / "custom.yaml"
    p.write_text(yaml.safe_dump(cfg))
    with pytest.raises(ConfigError, match="block 'SPPF'"):
        ClassificationModel(p)
