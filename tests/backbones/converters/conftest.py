"""Makes `hf_fixtures` importable from the conversion tests in either pytest
import mode (`prepend` or `importlib`)."""

import os
import sys

_HERE = os.path.dirname(os.path.abspath(__file__))
if _HERE not in sys.path:
    sys.path.insert(0, _HERE)


def pytest_terminal_summary(terminalreporter):
    """Lists the max |difference| each conversion test measured."""
    measured = getattr(sys.modules.get("hf_fixtures"), "MEASURED", None)
    if not measured:
        return
    terminalreporter.section("max |keras - transformers| per conversion test")
    for test, value in sorted(measured.items()):
        terminalreporter.write_line(f"{value:.2e}  {test.split('converters/')[-1]}")
