"""The built-in demo model: cached per yolocls version and recipe, trained once with the trainer."""

from __future__ import annotations

import pytest

from yolocls.bench import demo


def test_demo_cache_is_reused_without_training(demo_home):
    before = demo_home.stat().st_mtime_ns
    assert demo.demo_checkpoint(verbose=False) == demo_home
    assert demo_home.stat().st_mtime_ns == before


def test_demo_cache_key_follows_the_recipe(demo_home):
    other = demo.demo_path({**demo.RECIPE, "epochs": demo.RECIPE["epochs"] + 1})
    assert other != demo.demo_path() and other.parent.parent.parent == demo_home.parent.parent.parent


@pytest.mark.slow
def test_demo_is_trained_with_the_trainer_when_not_cached(tmp_path, monkeypatch, digits_root):
    """Needs yolocls' trainer (engine/trainer.py, issue 3): fails until that lands."""
    from yolocls.models import load_checkpoint

    monkeypatch.setenv("YOLOCLS_HOME", str(tmp_path))
    recipe = {**demo.RECIPE, "epochs": 1}
    ckpt = demo.demo_checkpoint(verbose=False, recipe=recipe)
    assert ckpt == demo.demo_path(recipe) and ckpt.is_file()
    c = load_checkpoint(ckpt)
    assert sorted(c["names"].values()) == [str(i) for i in range(10)] and c["imgsz"] == 32
    assert not [p for p in ckpt.parents[2].iterdir() if p.name.startswith(".")]  # no temp folders left
