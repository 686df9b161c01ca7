"""``python -m qualcode.cli``: the same CLI as the ``qualcode`` command."""

import sys

from . import main

sys.exit(main())
