from __future__ import annotations

import os

os.environ.setdefault("FANPILOT_LLM_PROVIDER", "offline")
