"""``python -m services.housing_adapter import FILE`` or ``python -m services.housing_adapter serve``."""

import sys

from services.housing_adapter.adapter import SPEC
from shared.ingest.adapter import adapter_main

sys.exit(adapter_main(SPEC))
