"""``python -m services.tax_adapter import FILE`` or ``python -m services.tax_adapter serve``."""

import sys

from services.tax_adapter.adapter import SPEC
from shared.ingest.adapter import adapter_main

sys.exit(adapter_main(SPEC))
