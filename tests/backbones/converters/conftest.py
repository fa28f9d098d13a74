"""Makes `hf_fixtures` importable from the conversion tests in either pytest
import mode (`prepend` or `importlib`)."""

import os
import sys

_HERE = os.path.dirname(os.path.abspath(__file__))
if _HERE not in sys.path:
    sys.path.insert(0, _HERE)
