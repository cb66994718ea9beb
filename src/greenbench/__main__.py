"""``python -m greenbench`` is the ``greenbench`` console script."""

import sys

from greenbench.cli.main import main

sys.exit(main())
