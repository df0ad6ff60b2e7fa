"""``python -m lossbalance``: the same as the ``lossbalance`` command."""

import sys

from lossbalance.cli import main

sys.exit(main())
