"""`python -m seqsuite ...` is the `seqsuite` command."""

import sys

from seqsuite.cli import main

sys.exit(main())
