"""``python -m qualcode``: the same CLI as the ``qualcode`` command."""

import sys

from .cli import main

sys.exit(main())
