import sys

from imgrepl.cli import main

sys.exit(main())
