"""`python -m localkis …`."""

import sys

from localkis.cli import main

sys.exit(main())
