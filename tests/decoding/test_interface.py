"""Every decoding module is numpy-only and has the shared entry points."""

import json
import os
import subprocess
import sys

import pytest

DECODING = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__)))), "kerasft", "decoding")
MODULES = ("classification", "multi_label", "regression", "ner", "qa")

_ISOLATED = """
import importlib.util, json, sys
spec = importlib.util.spec_from_file_location("decoding", sys.argv[1])
module = importlib.util.module_from_spec(spec)
spec.loader.exec_module(module)
print(json.dumps({"leaked": sorted(m for m in sys.modules
                                   if m.split(".")[0] in ("tensorflow", "keras", "kerasft")),
                  "interface": [n for n in ("decode", "format_record", "INPUT_FIELDS",
                                            "WINDOWED") if hasattr(module, n)],
                  "windowed": module.WINDOWED, "prepare": hasattr(module, "prepare")}))
"""


def load_isolated(name):
    """Runs `python -I` (no PYTHONPATH, no user site) on a decoding module
    loaded by file path, as a runner loads it; returns what it saw."""
    proc = subprocess.run([sys.executable, "-I", "-c", _ISOLATED,
                           os.path.join(DECODING, f"{name}.py")],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr[-2000:]
    return json.loads(proc.stdout)


@pytest.mark.parametrize("name", MODULES)
def test_loads_by_path_without_tensorflow_keras_or_kerasft(name):
    found = load_isolated(name)
    assert found["leaked"] == []
    assert found["interface"] == ["decode", "format_record", "INPUT_FIELDS", "WINDOWED"]
    assert found["prepare"] == found["windowed"] == (name in ("ner", "qa"))
