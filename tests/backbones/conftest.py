"""Prints the max |keras - transformers| each conversion test measured."""

import sys


def pytest_terminal_summary(terminalreporter):
    measured = getattr(sys.modules.get("fixtures_hf"), "MEASURED", None)
    if not measured:
        return
    terminalreporter.section("max |keras - transformers| per conversion test")
    for test, value in sorted(measured.items()):
        terminalreporter.write_line(f"{value:.2e}  {test.split('backbones/')[-1]}")
