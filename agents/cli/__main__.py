"""``python -m agents.cli`` is the ``satcoop`` command."""
import sys

from agents.cli import main

sys.exit(main())
