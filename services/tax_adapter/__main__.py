"""``python -m services.tax_adapter import FILE`` imports a file; ``python -m services.tax_adapter serve`` runs
the HTTP endpoint for pushed exports."""

import sys

from services.tax_adapter.cli import main

sys.exit(main())
