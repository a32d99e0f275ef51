"""``python -m services.insurance_adapter import FILE`` or ``python -m services.insurance_adapter serve``."""

import sys

from services.insurance_adapter.adapter import SPEC
from shared.ingest.adapter import adapter_main

sys.exit(adapter_main(SPEC))
