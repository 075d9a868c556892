"""`python -m imgrepl`: the same as the `imgrepl` command."""

import sys

from imgrepl.cli import main

sys.exit(main())
