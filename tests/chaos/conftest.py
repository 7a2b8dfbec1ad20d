"""pytest setup for the chaos tests: the harness modules live here, the raw
RESP client in tests/integration."""

import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "integration"))
