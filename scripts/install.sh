#!/usr/bin/env bash
# One-environment install of yolocls with every backend that installs on Linux x86-64.
# Usage: bash scripts/install.sh [VENV_DIR]   (default .venv; CORE_ONLY=1 for the core + dev and docs tools)
# Why a script: a few packages must go in with --no-deps (a pip extra cannot say that):
#   tf_keras (declares the full `tensorflow` wheel, which would land on top of tensorflow-cpu),
#   tensorflowjs (declares tensorflow-decision-forests -> TensorFlow 2.19, protobuf 5, numpy 2.1),
#   paddle2onnx (declares onnx<=1.17).
set -euo pipefail
cd "$(dirname "$0")/.."
VENV=${1:-.venv}
PY=${PYTHON:-python3}
[ -x "$VENV/bin/python" ] || "$PY" -m venv "$VENV"
PIP=("$VENV/bin/python" -m pip install -q -c constraints.txt)
"$VENV/bin/python" -m pip install -q -U pip
# torch first: the pinned CPU wheel; an unpinned torch would pull a multi-GB CUDA build.
"${PIP[@]}" torch==2.13.0
if [ "${CORE_ONLY:-0}" = 1 ]; then
  "${PIP[@]}" -e '.[dev,docs]'
else
  "${PIP[@]}" -e '.[all,dev,docs]'
  "${PIP[@]}" --no-deps tf_keras==2.21.0 tensorflowjs==4.22.0 paddle2onnx==2.1.0
  # Node side of the tfjs runtime (pure-JS packages: no native download at install time).
  if command -v npm >/dev/null; then "$VENV/bin/python" -m yolocls.runtimes.tfjs_setup || echo "tfjs node setup failed (tfjs runtime will be unavailable)"; fi
fi
"$VENV/bin/python" -c "import torch, yolocls; print('yolocls', yolocls.__version__, 'torch', torch.__version__)"
