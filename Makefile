# The two commands of the README, plus helpers.
.PHONY: setup demo test test-slow bench

setup:
	bash scripts/setup.sh

# Fine-tune the MiniLM default on BBC News, evaluate on a held-out split, save.
demo: setup
	.venv/bin/kerasft train --config configs/bbc_news.yaml --overwrite

# The default test run (heavy tests are marked slow and skipped here).
test: setup
	.venv/bin/python -m pytest

test-slow: setup
	.venv/bin/python -m pytest -m slow

bench: setup
	.venv/bin/python bench/train_bench.py
