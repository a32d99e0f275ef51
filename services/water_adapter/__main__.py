"""``python -m services.water_adapter import FILE`` or ``python -m services.water_adapter serve``."""

import sys

from services.water_adapter.adapter import SPEC
from shared.ingest.adapter import adapter_main

sys.exit(adapter_main(SPEC))
