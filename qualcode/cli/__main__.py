"""``python -m qualcode.cli …``: the ``qualcode`` command."""

from . import main

raise SystemExit(main())
