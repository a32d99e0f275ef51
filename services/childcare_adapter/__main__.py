"""``python -m services.childcare_adapter import FILE`` or ``python -m services.childcare_adapter serve``."""

import sys

from services.childcare_adapter.adapter import SPEC
from shared.ingest.adapter import adapter_main

sys.exit(adapter_main(SPEC))
