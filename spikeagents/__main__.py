"""``python -m spikeagents`` runs the command line."""

import sys

from spikeagents.cli import main

sys.exit(main())
